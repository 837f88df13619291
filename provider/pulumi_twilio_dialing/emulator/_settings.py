"""Behaviours of the emulator that no public source pins down, as named settings.

``../shared/reference/twilio-api.md`` marks these UNVERIFIED: a live Twilio account is needed to know what
the real API does. Each is a setting with a stated default so tests can run against either reading, and so
nothing the emulator does here is an accident. Change them per test with ``Emulator.settings`` or
``POST /__emulator__/settings``.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Self

__all__ = ["EmulatorSettings"]

OmittedFlag = Literal["unchanged", "false", "reject"]
Echo = Literal["echo", "accepted"]
InheritingReads = Literal["own", "parent"]
MainSettings = Literal["store", "reject"]
IsoCase = Literal["strict", "insensitive"]
CountryCodeForm = Literal["both", "with_plus", "without_plus"]


@dataclass
class EmulatorSettings:
    """UNVERIFIED behaviours of the real API and the emulator's chosen default for each."""

    bulk_omitted_flag: OmittedFlag = "unchanged"
    """What a BulkCountryUpdates entry that omits one of the three flags means. ``unchanged`` keeps the
    stored value; ``false`` turns it off (the fear one production script codes against); ``reject`` answers
    400. Our provider always sends all three flags, so it is correct under every choice."""

    bulk_max_entries: int = 250
    """Most entries one BulkCountryUpdates request may hold (no documented cap; community code sends the
    whole ~218-country table in one call, so the default admits it). Larger requests get 400/20001."""

    bulk_update_request: Echo = "echo"
    """``update_request`` in the 201 body: the submitted JSON string (``echo``, what the field description
    says) or the literal ``"accepted"`` (what the spec's example shows)."""

    bulk_update_count: Literal["entries", "one"] = "entries"
    """``update_count`` in the 201 body: the number of entries applied, or always 1 (as generated
    examples show)."""

    inheriting_subaccount_reads: InheritingReads = "own"
    """What ``GET /v1/DialingPermissions/Countries`` shows on a subaccount that inherits: its own stored
    flags (``own``) or the parent's (``parent``). Writes always go to the subaccount's own table; the
    effective permissions (``Backend.effective_flags``) always follow inheritance."""

    main_account_settings: MainSettings = "store"
    """``/v1/Settings`` called with a main account's credentials: ``store`` keeps a value (default false)
    that has no effect, ``reject`` answers 400/20001."""

    new_subaccount_inheritance: bool = True
    """``dialing_permissions_inheritance`` of a new subaccount (sources conflict; Twilio's blog says true)."""

    iso_code_case: IsoCase = "strict"
    """Whether a lower-case ISO code (path, filter or bulk entry) is accepted. ``strict``: it matches no
    country (404 on fetch, 400 in a bulk entry)."""

    country_code_filter: CountryCodeForm = "both"
    """Which forms the ``CountryCode`` list filter accepts: ``44`` and ``+44`` (``both``), or one of them."""

    api_keys_see_auth_tokens: bool = False
    """Whether an account read, listed, created or updated through the 2010 API with an API key (even a Main
    one) shows its ``auth_token``. Default false: ``"auth_token": ""`` (public record:
    RJPearson94/terraform-provider-twilio issue 52, an empty token for subaccounts read with a Main API key,
    reproduced by its maintainer). ``True`` is what the emulator did before, kept to test code written
    against it. Auth-token principals always see it."""

    retry_after_seconds: int | None = None
    """If set, 429 answers carry ``Retry-After`` with this many seconds (unknown whether Twilio sends it)."""

    propagation_delay_seconds: float = 0.0
    """For this long after a flag write, reads of that country still show the previous flags (Twilio says
    writes take effect at once; one integrator waited 5 s). 0 means writes are visible immediately."""

    max_concurrent_requests: int = 100
    """Per-account concurrency cap; a request beyond it gets 429/20429 (the real cap is account specific)."""

    max_subaccounts: int = 1000
    """Documented default cap of open (not closed) subaccounts per upgraded main account (21100 beyond)."""

    default_low_risk_countries: tuple[str, ...] = field(default=("US",))
    """Countries whose low-risk flag is on in a newly created account (a new account has its sign-up
    country enabled); every other flag of every country starts off."""

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Self:
        """Defaults overridden by ``values`` (field name to value), validated like :meth:`update`."""
        settings = cls()
        settings.update(values)
        return settings

    @classmethod
    def from_file(cls, path: str | Path) -> Self:
        """Settings from a JSON file holding one object of field name to value (what :meth:`to_dict` gives)."""
        path = Path(path)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ValueError(f"cannot read emulator settings file {path}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"emulator settings file {path} is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise ValueError(
                f"emulator settings file {path} must hold a JSON object of setting name to value, "
                f"got {type(document).__name__}"
            )
        try:
            return cls.from_dict(document)
        except ValueError as error:
            raise ValueError(f"emulator settings file {path}: {error}") from None

    def to_dict(self) -> dict[str, Any]:
        """Every setting as JSON-ready values (tuples become lists); ``from_dict`` reads it back."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    def update(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (field name to value) all at once, or none of them.

        Unknown names and values of the wrong type (``{"bulk_max_entries": "abc"}``) raise ``ValueError``
        naming the setting, the expected type and the value, before anything is stored.
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown emulator settings {unknown}; known settings: {sorted(known)}")
        hints = _field_types()
        validated = {name: _validated(name, hints[name], value) for name, value in changes.items()}
        for name, value in validated.items():
            setattr(self, name, value)

    def restore(self, other: EmulatorSettings) -> None:
        """Take every value of ``other``, in place: code holding this object sees the restored values."""
        for f in fields(self):
            setattr(self, f.name, getattr(other, f.name))


@functools.cache
def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(EmulatorSettings)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _describe(annotation: Any) -> str:
    """The expected type in JSON terms: ``a non-negative integer``, ``one of "echo", "accepted"``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is tuple:
        return "a list of strings" if args[0] is str else f"a list of {_describe(args[0])}"
    names = {
        bool: "true or false",
        int: "a non-negative integer",
        float: "a non-negative number",
        str: "a string",
        type(None): "null",
    }
    return names.get(annotation, str(annotation))


def _validated(name: str, annotation: Any, value: Any) -> Any:
    converted = _convert(annotation, value)
    if converted is _INVALID:
        raise ValueError(
            f"emulator setting {name} must be {_describe(annotation)}, got {json.dumps(value, default=repr)}"
        )
    return converted


_INVALID: Any = object()


def _convert(annotation: Any, value: Any) -> Any:
    """``value`` as the setting's type (a JSON list becomes a tuple), or ``_INVALID``. No coercion from
    strings: ``"5"`` is not an integer, so a typo in a settings file is an error rather than a guess."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        # bool is an int in Python: True must not pass for a Literal[1], nor 1 for Literal[True].
        return value if any(value == a and type(value) is type(a) for a in args) else _INVALID
    if origin in (typing.Union, types.UnionType):
        for option in args:
            converted = _convert(option, value)
            if converted is not _INVALID:
                return converted
        return _INVALID
    if origin is tuple:
        if not isinstance(value, list | tuple):
            return _INVALID
        items = [_convert(args[0], item) for item in value]
        return _INVALID if _INVALID in items else tuple(items)
    if annotation is type(None):
        return None if value is None else _INVALID
    if annotation is bool:
        return value if isinstance(value, bool) else _INVALID
    if annotation is int:
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else _INVALID
    if annotation is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
        return float(value) if ok else _INVALID
    if annotation is str:
        return value if isinstance(value, str) else _INVALID
    raise TypeError(f"no validation for the type {annotation!r} of emulator setting")
