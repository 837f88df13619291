"""Bad input is refused at check time, during preview, before any request, with the input, the value and
the fix in the message; what only Twilio knows fails at create with the same care."""

from __future__ import annotations

from typing import Any

import pytest
from harness.engine import CheckFailedError, ProviderError
from helpers import country
from pulumi.dynamic import Resource, ResourceProvider
from pulumi_twilio_dialing import DialingPermissionCountry, DialingPermissions, Subaccount, SubaccountInheritance
from pulumi_twilio_dialing.dialing_permission_country import DialingPermissionCountryProvider
from pulumi_twilio_dialing.dialing_permissions import DialingPermissionsProvider
from pulumi_twilio_dialing.subaccount import SubaccountProvider
from pulumi_twilio_dialing.subaccount_inheritance import SubaccountInheritanceProvider

SUB = "AC" + "a" * 32

COUNTRY_CASES = [
    ({"iso_code": "gb"}, "iso_code", "iso_code 'gb' must be upper-case: use 'GB'"),
    ({"iso_code": "Br"}, "iso_code", "use 'BR'"),
    ({"iso_code": "UK"}, "iso_code", "the ISO 3166-1 code of the United Kingdom is GB; use 'GB'"),
    ({"iso_code": "uk"}, "iso_code", "use 'GB'"),
    ({"iso_code": "CA"}, "iso_code", "Twilio folds Canada into the US entry ('United States/Canada', +1); use 'US'"),
    ({"iso_code": "GBR"}, "iso_code", "is not a two-letter ISO 3166-1 alpha-2 country code"),
    ({"iso_code": "G1"}, "iso_code", "is not a two-letter ISO 3166-1 alpha-2 country code"),
    ({"iso_code": ""}, "iso_code", "is not a two-letter ISO 3166-1 alpha-2 country code"),
    ({"iso_code": "ZZ"}, "iso_code", "iso_code 'ZZ' is not an ISO 3166-1 alpha-2 country code"),
    ({"iso_code": 44}, "iso_code", "iso_code must be a string, got 44"),
    # full-string matching: `$` would let a trailing newline through to Twilio
    ({"iso_code": "GB\n"}, "iso_code", "iso_code 'GB\\n' has whitespace around it: use 'GB'"),
    ({"iso_code": " gb"}, "iso_code", "use 'GB'"),
    ({"iso_code": "G\x00"}, "iso_code", "iso_code 'G\\x00' is not a two-letter ISO 3166-1 alpha-2 country code"),
    ({"low_risk_numbers_enabled": True}, "iso_code", "iso_code is required"),
    (
        {"iso_code": "GB", "low_risk_numbers_enabled": "yes"},
        "low_risk_numbers_enabled",
        "must be true or false, got 'yes'",
    ),
    ({"iso_code": "GB", "low_risk_numbers_enabled": 1}, "low_risk_numbers_enabled", "must be true or false, got 1"),
    (
        {"iso_code": "GB", "high_risk_special_numbers_enabled": "true"},
        "high_risk_special_numbers_enabled",
        "got 'true'",
    ),
    ({"iso_code": "GB", "high_risk_tollfraud_numbers_enabled": 0}, "high_risk_tollfraud_numbers_enabled", "got 0"),
    ({"iso_code": "GB", "account_sid": "AC123"}, "account_sid", "account_sid 'AC123' is not an account SID"),
    ({"iso_code": "GB", "account_sid": "SK" + "a" * 32}, "account_sid", "use 'AC' followed by 32 hexadecimal"),
    ({"iso_code": "GB", "account_sid": "AC" + "g" * 32}, "account_sid", "is not an account SID"),
    (
        {"iso_code": "GB", "account_sid": SUB + "\n"},
        "account_sid",
        f"account_sid '{SUB}\\n' has whitespace around it: use '{SUB}'",
    ),
    ({"iso_code": "GB", "account_sid": SUB + "\x00"}, "account_sid", "is not an account SID"),
    (
        {"iso_code": "GB", "on_delete": "destroy"},
        "on_delete",
        "on_delete must be one of 'restore', 'disable' or 'retain', got 'destroy'",
    ),
    ({"iso_code": "GB", "on_delete": "Restore"}, "on_delete", "got 'Restore'"),
]

INHERITANCE_CASES = [
    ({"dialing_permissions_inheritance": False}, "account_sid", "account_sid is required"),
    ({"account_sid": SUB}, "dialing_permissions_inheritance", "dialing_permissions_inheritance is required"),
    (
        {"account_sid": SUB, "dialing_permissions_inheritance": "no"},
        "dialing_permissions_inheritance",
        "must be true or false, got 'no'",
    ),
    (
        {"account_sid": "ACxyz", "dialing_permissions_inheritance": False},
        "account_sid",
        "'ACxyz' is not an account SID",
    ),
    (
        {"account_sid": SUB + "\n", "dialing_permissions_inheritance": False},
        "account_sid",
        "has whitespace around it",
    ),
    (
        {"account_sid": SUB, "dialing_permissions_inheritance": True, "on_delete": "disable"},
        "on_delete",
        "must be one of 'restore' or 'retain', got 'disable'",
    ),
]


def _refused(twilio_emulator, stack, program, prop, fragment):
    engine = stack()
    twilio_emulator.backend.clear_request_log()
    with pytest.raises(CheckFailedError) as failed:
        engine.preview(program)
    assert twilio_emulator.backend.request_log() == []  # refused before any request
    reasons = dict(failed.value.failures)
    assert prop in reasons, failed.value.failures
    assert fragment in reasons[prop]
    with pytest.raises(CheckFailedError):
        engine.up(program)
    assert engine.calls_of("Create") == []


@pytest.mark.parametrize(("args", "prop", "fragment"), COUNTRY_CASES)
def test_bad_country_input(twilio_emulator, stack, args, prop, fragment):
    _refused(twilio_emulator, stack, _raw_country(args), prop, fragment)


@pytest.mark.parametrize(("args", "prop", "fragment"), INHERITANCE_CASES)
def test_bad_inheritance_input(twilio_emulator, stack, args, prop, fragment):
    _refused(twilio_emulator, stack, _raw_inheritance(args), prop, fragment)


def test_unknown_extra_inputs_are_refused(twilio_emulator, stack):
    _refused(
        twilio_emulator,
        stack,
        _raw_country({"iso_code": "GB", "low_risk": True}),
        "low_risk",
        "'low_risk' is not an input of DialingPermissionCountry; its inputs are: iso_code, low_risk_numbers_enabled",
    )


def test_every_failure_is_reported_at_once(twilio_emulator, stack):
    engine = stack()
    with pytest.raises(CheckFailedError) as failed:
        engine.preview(_raw_country({"iso_code": "uk", "low_risk_numbers_enabled": "yes", "on_delete": "x"}))
    assert [p for p, _ in failed.value.failures] == ["iso_code", "low_risk_numbers_enabled", "on_delete"]


def test_defaults_are_filled_in_at_check(stack):
    plan = stack().preview(country(iso_code="GB"))
    assert plan.steps["country"].outputs == {
        "iso_code": "GB",
        "low_risk_numbers_enabled": True,
        "high_risk_special_numbers_enabled": False,
        "high_risk_tollfraud_numbers_enabled": False,
        "on_delete": "restore",
        "__provider": plan.steps["country"].outputs["__provider"],
    }


def test_missing_credentials_name_the_keys_to_set(twilio_emulator, stack):
    engine = stack(config={"twilio-dialing:apiUrl": twilio_emulator.url})
    assert engine.preview(country(iso_code="GB")).kinds() == {"country": "create"}  # preview needs none
    with pytest.raises(ProviderError) as missing:
        engine.up(country(iso_code="GB"))
    for key in ("twilio:accountSid", "twilio:authToken", "twilio:apiKey", "twilio:apiSecret", "TWILIO_AUTH_TOKEN"):
        assert key in missing.value.details


def test_refused_credentials_name_the_account_never_the_token(twilio_emulator, stack):
    from conftest import stack_config

    wrong = "0123456789abcdef" * 2
    engine = stack(config=stack_config(twilio_emulator, **{"twilio:authToken": wrong}))
    with pytest.raises(ProviderError) as refused:
        engine.up(country(iso_code="GB"))
    assert "Twilio error 20003" in refused.value.details
    assert f"credentials of account {twilio_emulator.main_account.sid}" in refused.value.details
    assert wrong not in refused.value.details
    assert wrong not in engine.provider_output


def test_a_malformed_configured_account_sid_is_a_clear_error(twilio_emulator, stack):
    from conftest import stack_config

    engine = stack(config=stack_config(twilio_emulator, **{"twilio:accountSid": "ACnope"}))
    with pytest.raises(ProviderError) as bad:
        engine.up(country(iso_code="GB"))
    assert "twilio:accountSid (or TWILIO_ACCOUNT_SID) is 'ACnope', which is not an account SID" in bad.value.details


SUBACCOUNT_NAME_CASES = [
    (
        "Acme\x00",
        "friendly_name 'Acme\\x00' contains the control character U+0000 at position 4: a name must be "
        "printable text on one line; remove it",
    ),
    ("Acme\nCorp", "contains the control character U+000A at position 4"),
    ("\tAcme", "contains the control character U+0009 at position 0"),
    ("Acme\x7f", "contains the control character U+007F"),
    ("Acme\x85", "contains the control character U+0085"),
    ("Acme\u2028Corp", "contains the line separator U+2028"),
    ("Acme\x00" + "x" * 100_000, "'… (100005 characters) contains the control character U+0000"),
]


@pytest.mark.parametrize(("name", "fragment"), SUBACCOUNT_NAME_CASES)
def test_control_characters_in_a_subaccount_name_are_refused(twilio_emulator, stack, name, fragment):
    _refused(
        twilio_emulator,
        stack,
        _raw(Subaccount, SubaccountProvider(), "tenant", {"friendly_name": name}),
        "friendly_name",
        fragment,
    )


def test_printable_names_pass(stack):
    for name in ("Acme Corp", "Ümlaut & Söhne", "Café ☕", "x" * 64):
        assert stack().preview(_raw(Subaccount, SubaccountProvider(), "tenant", {"friendly_name": name})).kinds() == {
            "tenant": "create"
        }


LONG = "G" * 100_000
LONG_CASES = [
    ("country", {"iso_code": LONG}, "iso_code", "is not a two-letter ISO 3166-1 alpha-2 country code"),
    ("country", {"iso_code": "GB", "account_sid": "AC" + "a" * 99_998}, "account_sid", "is not an account SID"),
    (
        "country",
        {"iso_code": "GB", "low_risk_numbers_enabled": LONG},
        "low_risk_numbers_enabled",
        "must be true or false",
    ),
    ("country", {"iso_code": "GB", "on_delete": LONG}, "on_delete", "on_delete must be one of"),
    ("country", {"iso_code": "GB", LONG: True}, None, "is not an input of DialingPermissionCountry"),
    ("permissions", {"countries": {LONG: {}}}, None, "is not a two-letter ISO 3166-1 alpha-2 country code"),
    ("permissions", {"default": {LONG: True}}, None, "is not a known key"),
]


@pytest.mark.parametrize(("kind", "args", "prop", "fragment"), LONG_CASES)
def test_a_long_value_is_cut_in_every_message(twilio_emulator, stack, kind, args, prop, fragment):
    """A 100,000-character value is shown as its first 60 characters and its length, never in full."""
    raw = {"country": _raw_country, "permissions": _raw_permissions}[kind]
    engine = stack()
    twilio_emulator.backend.clear_request_log()
    with pytest.raises(CheckFailedError) as failed:
        engine.preview(raw(args))
    assert twilio_emulator.backend.request_log() == []
    [(field, reason)] = failed.value.failures
    if prop is not None:
        assert field == prop
    assert len(field) < 200
    assert fragment in reason
    assert "… (100000 characters)" in f"{field} {reason}"
    assert len(reason) < 400, reason


def _raw(resource: type[Resource], provider: ResourceProvider, name: str, args: dict[str, Any]):
    """A program registering exactly ``args``, bypassing the typed Args class, as a YAML or JSON program
    (or a careless caller) could."""

    def program() -> None:
        Resource.__init__(resource.__new__(resource), provider, name, dict(args), None)

    return program


def _raw_country(args: dict[str, Any]):
    return _raw(DialingPermissionCountry, DialingPermissionCountryProvider(), "country", args)


def _raw_inheritance(args: dict[str, Any]):
    return _raw(SubaccountInheritance, SubaccountInheritanceProvider(), "inheritance", args)


def _raw_permissions(args: dict[str, Any]):
    return _raw(DialingPermissions, DialingPermissionsProvider(), "permissions", args)
