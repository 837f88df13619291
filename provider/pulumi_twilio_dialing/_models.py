"""Typed records of what Twilio returns, shared by the gateway and the resources."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, SecretStr

__all__ = [
    "AccountRecord",
    "AlertRecord",
    "ApiKeyRecord",
    "BulkCountryUpdateResult",
    "CountryPermissionUpdate",
    "DialingPermissionsCountry",
]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class CountryPermissionUpdate(_Record):
    """One entry of a BulkCountryUpdates request: always all three flags, never a partial entry (what an
    omitted flag means is not documented by Twilio)."""

    iso_code: str
    low_risk_numbers_enabled: bool
    high_risk_special_numbers_enabled: bool
    high_risk_tollfraud_numbers_enabled: bool


class DialingPermissionsCountry(_Record):
    """A country of ``/v1/DialingPermissions/Countries`` with its three flags on the calling account."""

    iso_code: str
    name: str
    continent: str
    country_codes: tuple[str, ...]
    low_risk_numbers_enabled: bool
    high_risk_special_numbers_enabled: bool
    high_risk_tollfraud_numbers_enabled: bool


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
