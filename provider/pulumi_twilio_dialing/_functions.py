"""Plain functions for programs: read Twilio's country list, one country, its high-risk special prefixes,
and the configured account's subaccounts, through the same gateway and credentials as the resources.

Inside a Pulumi program they read the stack config (``twilio:*``, ``twilio-dialing:*``); anywhere they
fall back to the environment. They make requests whenever they run, previews included.

Their arguments are checked first, with the validators (and the messages) of the resources, so
``get_country("gb")`` says "use 'GB'" as ``DialingPermissionCountry`` does, and sends nothing.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pulumi.runtime.config import get_config
from pydantic import AfterValidator, BaseModel, ConfigDict, StrictBool, StrictStr

from ._config import shown
from ._models import AccountRecord, CountryRecord
from ._provider import AccountSid, IsoCode, check_arguments
from ._session import Session

__all__ = ["get_countries", "get_country", "get_high_risk_special_prefixes", "get_subaccounts"]


class _ProgramConfig:
    """Stack config as a program sees it (``pulumi.Config`` would warn on every secret read)."""

    def get(self, key: str, /) -> Any:
        return get_config(key)


def _session() -> Session:
    return Session.shared(_ProgramConfig())


CONTINENTS = ("AFRICA", "ANTARCTICA", "ASIA", "EUROPE", "NORTH_AMERICA", "OCEANIA", "SOUTH_AMERICA")
"""The continents, as Twilio's country list writes them (UPPER_SNAKE)."""


def _continent(value: str) -> str:
    if value in CONTINENTS:
        return value
    # Twilio compares exactly: "Europe" or "north america" would match nothing and return an empty list
    written = re.sub(r"[\s-]+", "_", value.strip()).upper()
    if written in CONTINENTS:
        raise ValueError(
            f"continent {shown(value, as_input=True)} is written {written!r} in Twilio's list: use {written!r}"
        )
    raise ValueError(
        f"continent {shown(value, as_input=True)} is not one of Twilio's continents: use one of "
        f"{', '.join(map(repr, CONTINENTS))}"
    )


def _country_code(value: str) -> str:
    # Twilio's codes are "+" and 1 to 4 digits ("+44", "+1809"); whether it also takes them without the "+"
    # is not documented, so both are let through as written.
    if re.fullmatch(r"\+?[0-9]{1,6}", value):
        return value
    written = re.sub(r"[\s().-]+", "", value)
    if re.fullmatch(r"\+?[0-9]{1,6}", written):
        raise ValueError(
            f"country_code {shown(value, as_input=True)} must be written without spaces or punctuation: use {written!r}"
        )
    raise ValueError(
        f"country_code {shown(value, as_input=True)} is not a country calling code: use '+' and its digits, "
        "such as '+44' or '+1'"
    )


class _CountryQuery(BaseModel):
    """The arguments of the country functions, checked like the resources' inputs before any request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iso_code: IsoCode | None = None
    continent: Annotated[StrictStr, AfterValidator(_continent)] | None = None
    country_code: Annotated[StrictStr, AfterValidator(_country_code)] | None = None
    low_risk_numbers_enabled: StrictBool | None = None
    high_risk_special_numbers_enabled: StrictBool | None = None
    high_risk_tollfraud_numbers_enabled: StrictBool | None = None
    account_sid: AccountSid | None = None


class _CountryKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    iso_code: IsoCode
    account_sid: AccountSid | None = None


class _SubaccountQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["active", "suspended", "closed"] | None = None


def get_countries(
    *,
    iso_code: str | None = None,
    continent: str | None = None,
    country_code: str | None = None,
    low_risk_numbers_enabled: bool | None = None,
    high_risk_special_numbers_enabled: bool | None = None,
    high_risk_tollfraud_numbers_enabled: bool | None = None,
    account_sid: str | None = None,
) -> list[CountryRecord]:
    """The countries of Twilio's Dialing Permissions list with their flags on ``account_sid`` (default:
    the configured account), filtered like the API (``continent="EUROPE"``, ``country_code="+44"``, ...).
    One request, whatever the number of countries."""
    check_arguments(
        _CountryQuery,
        "get_countries",
        {
            "iso_code": iso_code,
            "continent": continent,
            "country_code": country_code,
            "low_risk_numbers_enabled": low_risk_numbers_enabled,
            "high_risk_special_numbers_enabled": high_risk_special_numbers_enabled,
            "high_risk_tollfraud_numbers_enabled": high_risk_tollfraud_numbers_enabled,
            "account_sid": account_sid,
        },
    )
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


def get_country(iso_code: str, *, account_sid: str | None = None) -> CountryRecord:
    """One country with its flags on ``account_sid`` (default: the configured account)."""
    check_arguments(_CountryKey, "get_country", {"iso_code": iso_code, "account_sid": account_sid})
    return _session().gateway(account_sid).fetch_country(iso_code)


def get_high_risk_special_prefixes(iso_code: str) -> list[str]:
    """The E.164 prefixes Twilio counts as high-risk special services in a country (``+37181``, ...)."""
    check_arguments(_CountryKey, "get_high_risk_special_prefixes", {"iso_code": iso_code})
    return _session().main.list_high_risk_special_prefixes(iso_code)


def get_subaccounts(*, status: str | None = "active") -> list[AccountRecord]:
    """The configured account's subaccounts (default: the active ones), without their auth tokens."""
    check_arguments(_SubaccountQuery, "get_subaccounts", {"status": status})
    accounts = _session().main.list_accounts(status=status)
    return [a.model_copy(update={"auth_token": None}) for a in accounts if a.is_subaccount]
