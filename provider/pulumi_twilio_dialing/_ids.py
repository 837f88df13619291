"""Resource IDs, written and read back in one place per shape.

A resource's ID is in users' state (a contract, like the type tokens): ``DialingPermissionCountry`` is
``<account_sid>/<iso_code>`` (``AC…/GB``); ``DialingPermissions``, ``SubaccountInheritance`` and
``Subaccount`` are the account SID itself. ``parse`` reads any ID the provider wrote, as it always did;
``check`` is for an ID a user typed (``Resource.get``): it refuses a malformed one with the shape expected,
before any request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from ._config import ACCOUNT_SID_PATTERN, shown

__all__ = ["AccountId", "CountryId", "ResourceId"]

_ISO_CODE = re.compile(r"\A[A-Z]{2}\Z")
_EXAMPLE_SID = "AC" + "0123456789abcdef" * 2


@dataclass(frozen=True)
class ResourceId:
    """The account every ID names; subclasses add what else identifies the resource."""

    account_sid: str
    SHAPE: ClassVar[str] = "<account SID>"
    EXAMPLE: ClassVar[str] = _EXAMPLE_SID

    def format(self) -> str:
        return self.account_sid

    def inputs(self) -> dict[str, Any]:
        """The inputs the ID names (the ID wins over the state when they disagree)."""
        return {}

    @classmethod
    def parse(cls, text: str) -> ResourceId:
        return cls(text)

    @classmethod
    def check(cls, text: object, kind: str) -> ResourceId:
        """``text`` as an ID of ``kind``, or a ValueError naming it, the shape expected and an example."""
        parsed = cls.parse(text) if isinstance(text, str) else None
        if parsed is None or not parsed.valid():
            raise ValueError(
                f"{kind} ID {shown(text)} is not {cls.SHAPE}: use, for example, {cls.EXAMPLE!r} (the resource's "
                "`id` output, or what `pulumi stack export` shows)"
            )
        return parsed

    def valid(self) -> bool:
        return ACCOUNT_SID_PATTERN.fullmatch(self.account_sid) is not None


@dataclass(frozen=True)
class AccountId(ResourceId):
    """``AC…``: the ID of ``DialingPermissions``, ``SubaccountInheritance`` and ``Subaccount``."""


@dataclass(frozen=True)
class CountryId(ResourceId):
    """``AC…/GB``: the ID of a ``DialingPermissionCountry``."""

    iso_code: str = ""
    SHAPE: ClassVar[str] = "'<account SID>/<ISO code>'"
    EXAMPLE: ClassVar[str] = f"{_EXAMPLE_SID}/GB"

    def format(self) -> str:
        return f"{self.account_sid}/{self.iso_code}"

    def inputs(self) -> dict[str, Any]:
        return {"account_sid": self.account_sid, "iso_code": self.iso_code}

    @classmethod
    def parse(cls, text: str) -> CountryId:
        account_sid, _, iso_code = text.partition("/")
        return cls(account_sid, iso_code)

    def valid(self) -> bool:
        return super().valid() and _ISO_CODE.fullmatch(self.iso_code) is not None
