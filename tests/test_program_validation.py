"""Program-side validation: a component refuses bad plain arguments before it registers anything (not even
itself), an argument given as an Output is checked when its value arrives, before a child gets it, and the
functions check their arguments before any request. The messages are the resources' own."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from conftest import preview_program
from harness.engine import Registration, run_program
from helpers import make_subaccount
from pulumi_twilio_dialing import (
    TenantDialingPolicy,
    TenantDialingPolicyArgs,
    get_countries,
    get_country,
    get_high_risk_special_prefixes,
    get_subaccounts,
)

SUB = "AC" + "a" * 32
LONG = "G" * 100_000


def tenant(name: str = "acme", **args: Any):
    return lambda: TenantDialingPolicy(name, TenantDialingPolicyArgs(**args))


def _nothing_registered(program, *, preview: bool) -> ValueError:
    """Run ``program`` as the engine would, recording every registration (components included); it must
    fail with a ValueError before any."""
    registered: list[str] = []

    def on_register(registration: Registration):
        registered.append(registration.urn)
        raise AssertionError(f"{registration.urn} was registered")

    def on_component(registration: Registration) -> None:
        registered.append(registration.urn)

    with pytest.raises(ValueError) as failed:
        run_program(
            program,
            project="p",
            stack="s",
            config={},
            secret_keys=set(),
            preview=preview,
            on_register=on_register,
            on_component=on_component,
        )
    assert registered == []
    return failed.value


def _refused(twilio_emulator, stack, program) -> str:
    """``program`` fails at preview and at up with the same message; nothing is registered or stepped, no
    request reaches Twilio, no subaccount exists but the main account."""
    backend = twilio_emulator.backend
    engine = stack()
    backend.clear_request_log()
    messages = set()
    for preview in (True, False):
        messages.add(str(_nothing_registered(program, preview=preview)))
        with pytest.raises(ValueError) as failed:
            (engine.preview if preview else engine.up)(program)
        messages.add(str(failed.value))
    assert len(messages) == 1, messages
    assert engine.calls == []  # not even a Check
    assert len(engine.state) == 0
    assert backend.request_log() == []
    assert list(backend.accounts) == [twilio_emulator.main_account.sid]
    return messages.pop()


PLAIN_CASES = [
    (
        {"friendly_name": "Acme", "allowed_countries": "GB"},
        "TenantDialingPolicy 'acme': allowed_countries must be a list of ISO codes, got the string 'GB': write ['GB']",
    ),
    (  # as a config value often comes
        {"friendly_name": "Acme", "allowed_countries": "GB, fr"},
        "allowed_countries must be a list of ISO codes, got the string 'GB, fr': write ['GB', 'FR']",
    ),
    (
        {"friendly_name": "Acme", "allowed_countries": ["GB", "BR", "GB"]},
        "TenantDialingPolicy 'acme': allowed_countries lists 'GB' more than once: list each country once",
    ),
    (
        {"friendly_name": "Acme", "allowed_countries": ["GB", "gb"]},
        "TenantDialingPolicy 'acme': allowed_countries[1]: iso_code 'gb' must be upper-case: use 'GB'",
    ),
    (
        {"friendly_name": "Acme", "allowed_countries": ["UK"]},
        "TenantDialingPolicy 'acme': allowed_countries[0]: iso_code 'UK' is not used by Twilio: the ISO 3166-1 "
        "code of the United Kingdom is GB; use 'GB'",
    ),
    (
        {"friendly_name": "Acme", "allowed_countries": ["CA"]},
        "allowed_countries[0]: iso_code 'CA' is not used by Twilio: Twilio folds Canada into the US entry",
    ),
    (
        {"friendly_name": "Acme", "allowed_countries": ["ZZ"]},
        "allowed_countries[0]: iso_code 'ZZ' is not an ISO 3166-1 alpha-2 country code; see "
        "pulumi_twilio_dialing.get_countries()",
    ),
    (
        {"friendly_name": "Acme", "allowed_countries": ["GB\n"]},
        "allowed_countries[0]: iso_code 'GB\\n' has whitespace around it: use 'GB'",
    ),
    ({"friendly_name": "Acme", "allowed_countries": [44]}, "allowed_countries[0] must be a string, got 44"),
    (
        {"friendly_name": "Acme", "allowed_countries": {"GB": True}},
        "allowed_countries must be a list, got {'GB': True}",
    ),
    (
        {"friendly_name": "Acme", "allowed_countries": ["GB"], "offboarding": "delete"},
        "TenantDialingPolicy 'acme': offboarding must be one of 'close', 'suspend' or 'retain', got 'delete'",
    ),
    (  # adopting: offboarding does not apply, but a typo there is still a typo
        {"subaccount_sid": SUB, "allowed_countries": ["GB"], "offboarding": "Close"},
        "offboarding must be one of 'close', 'suspend' or 'retain', got 'Close'",
    ),
    (
        {"subaccount_sid": "AC123", "allowed_countries": ["GB"]},
        "TenantDialingPolicy 'acme': subaccount_sid 'AC123' is not an account SID: use 'AC' followed by 32 "
        "hexadecimal characters, as shown in the Twilio Console",
    ),
    (
        {"subaccount_sid": SUB + "\n", "allowed_countries": ["GB"]},
        f"subaccount_sid '{SUB}\\n' has whitespace around it: use '{SUB}'",
    ),
    (
        {"friendly_name": "Acme\x00Corp", "allowed_countries": ["GB"]},
        "TenantDialingPolicy 'acme': friendly_name 'Acme\\x00Corp' contains the control character U+0000 at "
        "position 4: a name must be printable text on one line; remove it",
    ),
    (
        {"friendly_name": "Acme\nCorp", "allowed_countries": ["GB"]},
        "contains the control character U+000A at position 4",
    ),
    ({"friendly_name": " ", "allowed_countries": ["GB"]}, "friendly_name must not be empty"),
    ({"friendly_name": "x" * 65, "allowed_countries": ["GB"]}, "65 characters long; Twilio allows at most 64"),
    ({"friendly_name": 42, "allowed_countries": ["GB"]}, "friendly_name must be a string, got 42"),
    (
        {"allowed_countries": ["GB"]},
        "TenantDialingPolicy 'acme': needs exactly one of friendly_name (create a subaccount) and subaccount_sid "
        "(use an existing one)",
    ),
    ({"friendly_name": "Acme", "subaccount_sid": SUB, "allowed_countries": ["GB"]}, "needs exactly one of"),
]


@pytest.mark.parametrize(("args", "fragment"), PLAIN_CASES)
def test_bad_plain_arguments_register_nothing(twilio_emulator, stack, args, fragment):
    assert fragment in _refused(twilio_emulator, stack, tenant(**args))


def test_every_problem_is_reported_at_once(twilio_emulator, stack):
    message = _refused(
        twilio_emulator,
        stack,
        tenant(friendly_name="A\tB", subaccount_sid="nope", allowed_countries="GB", offboarding="never"),
    )
    for fragment in (
        "needs exactly one of",
        "allowed_countries must be a list",
        "friendly_name 'A\\tB' contains the control character U+0009",
        "subaccount_sid 'nope' is not an account SID",
        "offboarding must be one of",
    ):
        assert fragment in message


def test_a_long_value_is_cut_in_the_message(twilio_emulator, stack):
    message = _refused(twilio_emulator, stack, tenant(friendly_name="Acme", allowed_countries=[LONG]))
    assert f"'{'G' * 60}'… (100000 characters) is not a two-letter ISO 3166-1 alpha-2 country code" in message
    assert len(message) < 300


def test_offboarding_must_be_plain(twilio_emulator, stack):
    message = _refused(
        twilio_emulator,
        stack,
        lambda: TenantDialingPolicy(
            "acme",
            TenantDialingPolicyArgs(
                friendly_name="Acme", allowed_countries=["GB"], offboarding=pulumi.Output.from_input("retain")
            ),
        ),
    )
    assert "offboarding must be written in the program as 'close', 'suspend' or 'retain', not an Output" in message


# ------------------------------------------------------------------------------------ Output arguments
def _late(twilio_emulator, stack, program) -> str:
    """``program`` (whose bad argument is an Output) fails at up with the policy's message inside the SDK's
    chain, and nothing reached a provider or Twilio: the subaccount waits for the countries to pass."""
    backend = twilio_emulator.backend
    engine = stack()
    backend.clear_request_log()
    for run in (engine.preview, engine.up):  # known at preview too, so checked there as well
        with pytest.raises(ValueError) as failed:
            run(program)
        assert engine.calls == [], engine.calls
    assert len(engine.state) == 0
    assert backend.request_log() == []
    assert list(backend.accounts) == [twilio_emulator.main_account.sid]
    return str(failed.value)


def out(value: Any) -> pulumi.Output[Any]:
    return pulumi.Output.from_input(value)


OUTPUT_CASES = [
    ({"friendly_name": "Acme", "allowed_countries": "GB"}, "allowed_countries must be a list of ISO codes"),
    ({"friendly_name": "Acme", "allowed_countries": ["BR", "gb"]}, "allowed_countries[1]: iso_code 'gb' must be"),
    ({"friendly_name": "Acme", "allowed_countries": ["BR", "BR"]}, "allowed_countries lists 'BR' more than once"),
    (
        {"friendly_name": "Acme\x00", "allowed_countries": ["BR"]},
        "friendly_name 'Acme\\x00' contains the control character U+0000",
    ),
    ({"subaccount_sid": SUB + "\n", "allowed_countries": ["BR"]}, "subaccount_sid '" + SUB + "\\n' has whitespace"),
]


@pytest.mark.parametrize(("args", "fragment"), OUTPUT_CASES)
def test_bad_output_arguments_are_checked_before_a_child_gets_them(twilio_emulator, stack, args, fragment):
    def program() -> None:
        # made inside the program: an Output belongs to the event loop of the run
        TenantDialingPolicy("acme", TenantDialingPolicyArgs(**{k: out(v) for k, v in args.items()}))

    message = _late(twilio_emulator, stack, program)
    assert f"TenantDialingPolicy 'acme': {fragment}" in message


def test_a_list_holding_outputs_is_checked_when_they_arrive(twilio_emulator, stack):
    program = lambda: TenantDialingPolicy(  # noqa: E731
        "acme", TenantDialingPolicyArgs(friendly_name="Acme", allowed_countries=["BR", out("uk")])
    )
    assert "allowed_countries[1]: iso_code 'uk' is not used by Twilio" in _late(twilio_emulator, stack, program)


def test_good_output_arguments_onboard_the_tenant(twilio_emulator, stack):
    backend = twilio_emulator.backend
    engine = stack()
    summary: dict[str, str] = {}

    def program() -> None:
        policy = TenantDialingPolicy(
            "acme",
            TenantDialingPolicyArgs(
                friendly_name=out("Acme"), allowed_countries=pulumi.Output.secret(["PT", "BR"]), offboarding="retain"
            ),
        )
        policy.summary.apply(lambda s: summary.setdefault("summary", s))

    engine.up(program)
    sid = engine.state["acme-subaccount"].id
    assert backend.accounts[sid].friendly_name == "Acme"
    # the gate passes on only that the countries passed: the name does not become secret with them
    assert "friendly_name" not in engine.state["acme-subaccount"].secret_outputs
    assert summary["summary"].startswith("low-risk calls to BR, PT only")
    assert engine.preview(program).kinds() == {
        "acme-subaccount": "same",
        "acme-inheritance": "same",
        "acme-permissions": "same",
    }


def test_a_good_adopting_policy_with_an_output_sid(twilio_emulator, stack):
    sid = make_subaccount(twilio_emulator, "existing")
    engine = stack()
    engine.up(
        lambda: TenantDialingPolicy("acme", TenantDialingPolicyArgs(subaccount_sid=out(sid), allowed_countries=["MX"]))
    )
    assert engine.state["acme-permissions"].outputs["account_sid"] == sid


# ----------------------------------------------------------------------------------------------- functions
FUNCTION_CASES = [
    (lambda: get_country("gb"), "get_country: iso_code 'gb' must be upper-case: use 'GB'"),
    (lambda: get_country("UK"), "get_country: iso_code 'UK' is not used by Twilio"),
    (lambda: get_country("GB\n"), "get_country: iso_code 'GB\\n' has whitespace around it: use 'GB'"),
    (lambda: get_country(LONG), "'… (100000 characters) is not a two-letter ISO 3166-1 alpha-2 country code"),
    (lambda: get_country("GB", account_sid="AC123"), "get_country: account_sid 'AC123' is not an account SID"),
    (lambda: get_country("GB", account_sid=SUB + "\n"), f"account_sid '{SUB}\\n' has whitespace around it"),
    (lambda: get_high_risk_special_prefixes("lv"), "get_high_risk_special_prefixes: iso_code 'lv' must be upper-case"),
    (lambda: get_countries(iso_code="gb"), "get_countries: iso_code 'gb' must be upper-case: use 'GB'"),
    (
        lambda: get_countries(continent="Europe"),
        "continent 'Europe' is written 'EUROPE' in Twilio's list: use 'EUROPE'",
    ),
    (lambda: get_countries(continent="north america"), "use 'NORTH_AMERICA'"),
    (lambda: get_countries(continent="ATLANTIS"), "continent 'ATLANTIS' is not one of Twilio's continents: use one of"),
    (lambda: get_countries(country_code="+4 4"), "country_code '+4 4' must be written without spaces"),
    (lambda: get_countries(country_code="UK"), "country_code 'UK' is not a country calling code: use '+' and its"),
    (
        lambda: get_countries(low_risk_numbers_enabled="yes"),
        "low_risk_numbers_enabled must be true or false, got 'yes'",
    ),
    (lambda: get_subaccounts(status="open"), "status must be one of 'active', 'suspended' or 'closed', got 'open'"),
]


@pytest.mark.parametrize(("call", "fragment"), FUNCTION_CASES)
def test_functions_check_their_arguments_before_any_request(twilio_emulator, call, fragment):
    backend = twilio_emulator.backend
    backend.clear_request_log()
    failures: list[str] = []

    def program() -> None:
        try:
            call()
        except ValueError as error:
            failures.append(str(error))

    preview_program(twilio_emulator, program)
    assert len(failures) == 1
    assert fragment in failures[0]
    assert len(failures[0]) < 400
    assert backend.request_log() == []
    with pytest.raises(ValueError, match=r"^get_"):  # outside a program too, before looking for credentials
        call()


def test_functions_pass_good_arguments_through(twilio_emulator):
    results: dict[str, Any] = {}

    def program() -> None:
        results["gb"] = get_country("GB")
        results["europe"] = get_countries(continent="EUROPE", country_code="+44")
        results["closed"] = get_subaccounts(status="closed")

    preview_program(twilio_emulator, program)
    assert results["gb"].iso_code == "GB"
    assert [c.iso_code for c in results["europe"]] == ["GB"]
    assert results["closed"] == []
