"""Typed records of what Twilio returns, shared by the gateway and the resources, and the one type of a
country's three dialing-permission flags that every part of the provider uses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, SecretStr

__all__ = [
    "FLAG_NAMES",
    "AccountRecord",
    "AlertRecord",
    "ApiKeyRecord",
    "BulkCountryUpdateResult",
    "CountryFlags",
    "CountryPermissionUpdate",
    "CountryRecord",
    "DialingPermissionsCountry",
]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class CountryFlags(_Record):
    """The three Voice dialing-permission flags of one country on one account, in Twilio's names and order.
    A write always carries all three (what an omitted flag means is not documented by Twilio)."""

    low_risk_numbers_enabled: bool
    high_risk_special_numbers_enabled: bool
    high_risk_tollfraud_numbers_enabled: bool

    def as_dict(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name)) for name in FLAG_NAMES}


FLAG_NAMES: tuple[str, ...] = tuple(CountryFlags.model_fields)
"""The flags' names, in Twilio's order."""


class CountryPermissionUpdate(_Record):
    """One entry of a BulkCountryUpdates request: always all three flags, never a partial entry (what an
    omitted flag means is not documented by Twilio)."""

    iso_code: str
    low_risk_numbers_enabled: bool
    high_risk_special_numbers_enabled: bool
    high_risk_tollfraud_numbers_enabled: bool

    @classmethod
    def of(cls, iso_code: str, flags: CountryFlags) -> CountryPermissionUpdate:
        return cls(iso_code=iso_code, **flags.as_dict())


class CountryRecord(_Record):
    """A country *record* as Twilio returns it (``/v1/DialingPermissions/Countries``), with its three flags
    on the calling account; not to be confused with the ``DialingPermissionCountry`` *resource*."""

    iso_code: str
    name: str
    continent: str
    country_codes: tuple[str, ...]
    low_risk_numbers_enabled: bool
    high_risk_special_numbers_enabled: bool
    high_risk_tollfraud_numbers_enabled: bool

    @property
    def flags(self) -> CountryFlags:
        return CountryFlags(**{name: getattr(self, name) for name in FLAG_NAMES})


DialingPermissionsCountry = CountryRecord
"""The name :class:`CountryRecord` had in 0.1.0 (still exported)."""


class BulkCountryUpdateResult(_Record):
    update_count: int
    update_request: str | None


class AccountRecord(_Record):
    """A 2010 Account. ``auth_token`` is a SecretStr: it never shows in repr, str or logs."""

    sid: str
    friendly_name: str
    status: str
    owner_account_sid: str
    type: str
    auth_token: SecretStr | None = None

    @property
    def is_subaccount(self) -> bool:
        return self.owner_account_sid != self.sid


class ApiKeyRecord(_Record):
    sid: str
    friendly_name: str
    secret: SecretStr


class AlertRecord(_Record):
    """A Monitor (Debugger) alert of one account, as ``/v1/Alerts`` lists it."""

    sid: str
    account_sid: str
    error_code: str
    alert_text: str
    log_level: str
    date_generated: datetime | None
