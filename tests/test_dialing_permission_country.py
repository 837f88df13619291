"""DialingPermissionCountry through the real provider server against the emulator, step by step."""

from __future__ import annotations

import pulumi
import pytest
from harness.engine import UNKNOWN, ProviderError
from helpers import country, flags, inheritance, make_subaccount, requests_made
from pulumi_twilio_dialing import (
    DialingPermissionCountry,
    DialingPermissionCountryArgs,
    Subaccount,
    SubaccountArgs,
)
from pulumi_twilio_dialing.emulator import Fault

TYPE = "pulumi-python:dynamic/twilio-dialing:DialingPermissionCountry"
COUNTRY = "/v1/DialingPermissions/Countries"
BULK = "/v1/DialingPermissions/BulkCountryUpdates"


def test_type_token(stack):
    [registration] = stack().registrations(country(iso_code="GB"), preview=True)
    assert registration.type == TYPE


def test_full_lifecycle_on_the_configured_account(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    engine = stack()
    gb = country(iso_code="GB", high_risk_special_numbers_enabled=False)

    # preview: no request, nothing written, computed outputs unknown
    sent = requests_made(twilio_emulator, lambda: engine.preview(gb))
    assert sent == []
    assert engine.calls_of("Create") == []

    # up: adopt (read), write the full triple, read back
    sent = requests_made(twilio_emulator, lambda: engine.up(gb))
    assert sent == [("GET", f"{COUNTRY}/GB"), ("POST", BULK), ("GET", f"{COUNTRY}/GB")]
    assert backend.stored_flags(main, "GB") == flags(low=True)
    bulk = next(r for r in backend.request_log() if r.path == BULK)
    assert '"high_risk_tollfraud_numbers_enabled": false' in bulk.form["UpdateRequest"]  # never a partial entry
    state = engine.state["country"]
    assert state.id == f"{main}/GB"
    assert state.outputs["name"] == "United Kingdom"
    assert state.outputs["continent"] == "EUROPE"
    assert state.outputs["country_codes"] == ["+44"]
    assert state.outputs["account_sid"] == main
    assert state.outputs["on_delete"] == "restore"
    assert state.outputs["flags_before_adoption"] == {
        "low_risk_numbers_enabled": False,
        "high_risk_special_numbers_enabled": False,
        "high_risk_tollfraud_numbers_enabled": False,
    }

    # the unchanged program: no change, no request
    backend.clear_request_log()
    assert engine.preview(gb).kinds() == {"country": "same"}
    assert backend.request_log() == []

    # drift made in the emulator; refresh shows it with one request
    backend.set_flags(main, "GB", high_risk_tollfraud_numbers_enabled=True)
    sent = requests_made(twilio_emulator, lambda: engine.refresh())
    assert sent == [("GET", f"{COUNTRY}/GB")]
    assert engine.state["country"].outputs["high_risk_tollfraud_numbers_enabled"] is True
    assert engine.state["country"].inputs["high_risk_tollfraud_numbers_enabled"] is True

    # up converges
    assert engine.preview(gb).kinds() == {"country": "update"}
    engine.up(gb)
    assert backend.stored_flags(main, "GB") == flags(low=True)

    # a flag change updates: write and read back
    sent = requests_made(
        twilio_emulator, lambda: engine.up(country(iso_code="GB", high_risk_special_numbers_enabled=True))
    )
    assert sent == [("POST", BULK), ("GET", f"{COUNTRY}/GB")]
    assert backend.stored_flags(main, "GB") == flags(low=True, special=True)

    # on_delete alone: state only, no request
    changed = country(iso_code="GB", high_risk_special_numbers_enabled=True, on_delete="disable")
    assert requests_made(twilio_emulator, lambda: engine.up(changed)) == []
    assert engine.state["country"].outputs["on_delete"] == "disable"
    assert engine.state["country"].outputs["name"] == "United Kingdom"  # outputs kept, not wiped

    # iso_code change replaces: FR adopted, then GB deleted ("disable")
    plan = engine.up(country(iso_code="FR"))
    assert plan.kinds() == {"country": "replace"}
    assert plan.steps["country"].replaces == ["iso_code"]
    assert backend.stored_flags(main, "FR") == flags(low=True)
    assert backend.stored_flags(main, "GB") == flags()

    # destroy restores what was found (FR: all off)
    engine.destroy()
    assert backend.stored_flags(main, "FR") == flags()
    assert engine.state == {}


def test_on_delete_restore_and_retain_and_a_no_write_adoption(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "DE", high_risk_special_numbers_enabled=True)
    engine = stack()
    engine.up(country(iso_code="DE"))
    assert backend.stored_flags(main, "DE") == flags(low=True)
    engine.destroy()
    assert backend.stored_flags(main, "DE") == flags(special=True)  # restored

    # adoption when Twilio already matches: one read, no write
    sent = requests_made(twilio_emulator, lambda: engine.up(country(iso_code="US", on_delete="retain")))
    assert sent == [("GET", f"{COUNTRY}/US")]
    backend.set_flags(main, "US", high_risk_special_numbers_enabled=True)
    assert requests_made(twilio_emulator, engine.destroy) == []  # retain: no request
    assert backend.stored_flags(main, "US") == flags(low=True, special=True)


def test_subaccount_with_parent_credentials_only(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    sub = make_subaccount(twilio_emulator)
    engine = stack()
    sent = requests_made(twilio_emulator, lambda: engine.up(country(iso_code="BR", account_sid=sub)))
    assert sent == [
        ("GET", f"/2010-04-01/Accounts/{sub}.json"),  # the parent reads the subaccount's credentials, once
        ("GET", f"{COUNTRY}/BR"),
        ("POST", BULK),
        ("GET", f"{COUNTRY}/BR"),
    ]
    assert [r.account_sid for r in backend.request_log()][1:] == [sub] * 3  # voice calls made as the sub
    assert backend.stored_flags(sub, "BR") == flags(low=True)
    assert backend.stored_flags(main, "BR") == flags()
    assert engine.state["country"].id == f"{sub}/BR"

    # account change replaces; the old account's country is restored
    other = make_subaccount(twilio_emulator, "other")
    plan = engine.up(country(iso_code="BR", account_sid=other))
    assert plan.steps["country"].replaces == ["account_sid"]
    assert backend.stored_flags(other, "BR") == flags(low=True)
    assert backend.stored_flags(sub, "BR") == flags()


def test_a_subaccount_of_another_parent_is_refused(twilio_emulator, stack):
    foreign = twilio_emulator.backend.create_main_account("someone else")
    engine = stack()
    with pytest.raises(ProviderError) as refused:
        engine.up(country(iso_code="BR", account_sid=foreign.sid))
    assert f"account {foreign.sid} is not visible to the configured account" in refused.value.details
    assert foreign.auth_token not in refused.value.details
    assert engine.state == {}


def test_unknown_inputs_in_preview_give_an_unknown_diff(twilio_emulator, stack):
    engine = stack()
    engine.up(country(iso_code="BR"))

    def chained() -> None:
        tenant = Subaccount("tenant", SubaccountArgs(friendly_name="not created yet"))
        DialingPermissionCountry("country", DialingPermissionCountryArgs(iso_code="BR", account_sid=tenant.sid))

    backend = twilio_emulator.backend
    backend.clear_request_log()
    plan = engine.preview(chained)
    assert backend.request_log() == []
    assert plan.kinds() == {"tenant": "create", "country": "update"}  # DIFF_UNKNOWN: the engine decides
    assert plan.steps["country"].outputs["account_sid"] == UNKNOWN


def test_a_429_storm_converges(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.faults.add(Fault("error", count=5, status=429))
    backend.faults.add(Fault("error", count=1, status=503, method="POST"))
    engine = stack()
    engine.up(country(iso_code="IT", high_risk_special_numbers_enabled=True))
    assert backend.stored_flags(main, "IT") == flags(low=True, special=True)
    statuses = [r.status for r in backend.request_log()]
    assert statuses.count(429) == 5
    assert statuses.count(503) == 1


def test_retries_give_up_within_the_configured_time(twilio_emulator, stack):
    from conftest import stack_config

    twilio_emulator.backend.faults.add(Fault("error", fraction=1.0, status=429))
    engine = stack(config=stack_config(twilio_emulator, **{"twilio-dialing:retryTimeout": "0.3"}))
    with pytest.raises(ProviderError) as gave_up:
        engine.up(country(iso_code="IT"))
    assert "Too Many Requests" in gave_up.value.details
    assert "gave up after" in gave_up.value.details


def test_a_write_that_silently_does_not_apply_fails_and_changes_no_state(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    engine = stack()
    backend.faults.add(Fault("accept_not_apply", count=1, path_prefix=BULK))
    with pytest.raises(ProviderError) as failed:
        engine.up(country(iso_code="GB", high_risk_special_numbers_enabled=True))
    assert "did not take" in failed.value.details
    assert "GB.low_risk_numbers_enabled wanted true, found false" in failed.value.details
    assert "GB.high_risk_special_numbers_enabled wanted true, found false" in failed.value.details
    assert engine.state == {}

    engine.up(country(iso_code="GB"))
    before = dict(engine.state["country"].outputs)
    backend.faults.add(Fault("accept_not_apply", count=1, path_prefix=BULK))
    with pytest.raises(ProviderError, match="did not take"):
        engine.up(country(iso_code="GB", high_risk_tollfraud_numbers_enabled=True))
    assert engine.state["country"].outputs == before  # the failed update recorded nothing
    assert backend.stored_flags(main, "GB") == flags(low=True)
    engine.up(country(iso_code="GB", high_risk_tollfraud_numbers_enabled=True))  # the next up finishes
    assert backend.stored_flags(main, "GB") == flags(low=True, tollfraud=True)


def test_concurrent_creates_on_one_account_lose_nothing(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    isos = ["AR", "AT", "BE", "CH", "CL", "DK", "ES", "FI", "IE", "NL", "NO", "PT", "SE", "PL"]
    backend.faults.add(Fault("latency", fraction=1.0, seconds=0.05))
    engine = stack()

    def many() -> None:
        for index, iso in enumerate(isos):
            DialingPermissionCountry(
                iso.lower(),
                DialingPermissionCountryArgs(iso_code=iso, high_risk_special_numbers_enabled=index % 2 == 0),
            )

    engine.up(many)
    for index, iso in enumerate(isos):
        assert backend.stored_flags(main, iso) == flags(low=True, special=index % 2 == 0), iso
    assert len(engine.state) == len(isos)


def test_a_country_twilio_does_not_list_fails_at_create_with_a_clear_message(stack):
    engine = stack()
    with pytest.raises(ProviderError) as missing:
        engine.up(country(iso_code="AQ"))  # a valid ISO code with no entry in the list
    assert "iso_code 'AQ' is not in Twilio's Dialing Permissions country list" in missing.value.details
    assert engine.state == {}


def test_refresh_of_a_country_that_disappeared_removes_it(twilio_emulator, stack):
    engine = stack()
    engine.up(country(iso_code="GB"))
    engine.state["country"].id = engine.state["country"].id.replace("/GB", "/QQ")
    assert engine.refresh().kinds() == {"country": "gone"}


def test_preview_with_secret_inputs_still_works(stack):
    engine = stack()
    plan = engine.preview(
        lambda: DialingPermissionCountry("c", DialingPermissionCountryArgs(iso_code=pulumi.Output.secret("GB")))
    )
    assert plan.kinds() == {"c": "create"}


def test_inheritance_and_country_together(twilio_emulator, stack):
    sub = make_subaccount(twilio_emulator)
    engine = stack()

    def program() -> None:
        inheritance(account_sid=sub, dialing_permissions_inheritance=False)()
        country(iso_code="BR", account_sid=sub)()

    engine.up(program)
    assert twilio_emulator.backend.effective_flags(sub, "BR") == flags(low=True)
    assert twilio_emulator.backend.effective_flags(sub, "GB") == flags()


def test_a_closed_subaccount_is_gone_for_refresh_and_destroy(twilio_emulator, stack):
    backend = twilio_emulator.backend
    refreshed, destroyed = stack(), stack()
    first, second = make_subaccount(twilio_emulator, "first"), make_subaccount(twilio_emulator, "second")
    refreshed.up(country(iso_code="BR", account_sid=first))
    destroyed.up(country(iso_code="BR", account_sid=second))
    backend.accounts[first].status = "closed"
    backend.accounts[second].status = "closed"
    assert refreshed.refresh().kinds() == {"country": "gone"}
    backend.clear_request_log()
    destroyed.destroy()  # succeeds: nothing is left to restore on a closed subaccount
    assert destroyed.state == {}
    assert [r.method for r in backend.request_log()] == ["GET"]  # only the read that found it closed


def test_changing_the_configured_account_replaces_resources_that_use_it(twilio_emulator, stack):
    from conftest import stack_config

    engine = stack()
    engine.up(country(iso_code="GB"))
    other = twilio_emulator.backend.create_main_account("another main account")
    engine.config = stack_config(
        twilio_emulator, **{"twilio:accountSid": other.sid, "twilio:authToken": other.auth_token}
    )
    plan = engine.preview(country(iso_code="GB"))
    assert plan.kinds() == {"country": "replace"}
    assert plan.steps["country"].replaces == ["account_sid"]
    assert engine.preview(country(iso_code="GB", account_sid=twilio_emulator.main_account.sid)).kinds() == {
        "country": "same"
    }
