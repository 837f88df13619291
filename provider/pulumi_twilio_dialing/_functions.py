"""Plain functions for programs: read Twilio's country list, one country, its high-risk special prefixes,
and the configured account's subaccounts, through the same gateway and credentials as the resources.

Inside a Pulumi program they read the stack config (``twilio:*``, ``twilio-dialing:*``); anywhere they
fall back to the environment. They make requests whenever they run, previews included.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime.config import get_config

from ._models import AccountRecord, DialingPermissionsCountry
from ._session import Session

__all__ = ["get_countries", "get_country", "get_high_risk_special_prefixes", "get_subaccounts"]


class _ProgramConfig:
    """Stack config as a program sees it (``pulumi.Config`` would warn on every secret read)."""

    def get(self, key: str, /) -> Any:
        return get_config(key)


def _session() -> Session:
    return Session.shared(_ProgramConfig())


def get_countries(
    *,
    iso_code: str | None = None,
    continent: str | None = None,
    country_code: str | None = None,
    low_risk_numbers_enabled: bool | None = None,
    high_risk_special_numbers_enabled: bool | None = None,
    high_risk_tollfraud_numbers_enabled: bool | None = None,
    account_sid: str | None = None,
) -> list[DialingPermissionsCountry]:
    """The countries of Twilio's Dialing Permissions list with their flags on ``account_sid`` (default:
    the configured account), filtered like the API (``continent="EUROPE"``, ``country_code="+44"``, ...).
    One request, whatever the number of countries."""
    return (
        _session()
        .gateway(account_sid)
        .list_countries(
            iso_code=iso_code,
            continent=continent,
            country_code=country_code,
            low_risk_numbers_enabled=low_risk_numbers_enabled,
            high_risk_special_numbers_enabled=high_risk_special_numbers_enabled,
            high_risk_tollfraud_numbers_enabled=high_risk_tollfraud_numbers_enabled,
        )
    )


def get_country(iso_code: str, *, account_sid: str | None = None) -> DialingPermissionsCountry:
    """One country with its flags on ``account_sid`` (default: the configured account)."""
    return _session().gateway(account_sid).fetch_country(iso_code)


def get_high_risk_special_prefixes(iso_code: str) -> list[str]:
    """The E.164 prefixes Twilio counts as high-risk special services in a country (``+37181``, ...)."""
    return _session().main.list_high_risk_special_prefixes(iso_code)


def get_subaccounts(*, status: str | None = "active") -> list[AccountRecord]:
    """The configured account's subaccounts (default: the active ones), without their auth tokens."""
    accounts = _session().main.list_accounts(status=status)
    return [a.model_copy(update={"auth_token": None}) for a in accounts if a.is_subaccount]
