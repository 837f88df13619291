"""SubaccountInheritance through the real provider server against the emulator, step by step."""

from __future__ import annotations

import pytest
from conftest import stack_config
from harness.engine import CheckFailedError, ProviderError
from helpers import inheritance, make_subaccount, requests_made
from pulumi_twilio_dialing.emulator import Fault

TYPE = "pulumi-python:dynamic/twilio-dialing:SubaccountInheritance"
SETTINGS = "/v1/Settings"


def test_type_token(stack, twilio_emulator):
    [registration] = stack().registrations(
        inheritance(account_sid=twilio_emulator.main_account.sid, dialing_permissions_inheritance=False),
        preview=True,
    )
    assert registration.type == TYPE


def test_full_lifecycle_with_parent_credentials(twilio_emulator, stack):
    backend = twilio_emulator.backend
    sub = make_subaccount(twilio_emulator)
    engine = stack()
    off = inheritance(account_sid=sub, dialing_permissions_inheritance=False)

    assert requests_made(twilio_emulator, lambda: engine.preview(off)) == []

    sent = requests_made(twilio_emulator, lambda: engine.up(off))
    assert sent == [
        ("GET", f"/2010-04-01/Accounts/{sub}.json"),
        ("GET", SETTINGS),
        ("POST", SETTINGS),
        ("GET", SETTINGS),
    ]
    assert backend.accounts[sub].inheritance is False
    state = engine.state["inheritance"]
    assert state.id == sub
    assert state.outputs["inheritance_before_adoption"] is True
    assert state.outputs["on_delete"] == "restore"

    assert requests_made(twilio_emulator, lambda: engine.preview(off)) == []
    assert engine.preview(off).kinds() == {"inheritance": "same"}

    backend.set_inheritance(sub, True)  # drift
    # refresh is a new command, so a new provider process: it reads the subaccount's credentials again
    assert requests_made(twilio_emulator, engine.refresh) == [
        ("GET", f"/2010-04-01/Accounts/{sub}.json"),
        ("GET", SETTINGS),
    ]
    assert engine.state["inheritance"].outputs["dialing_permissions_inheritance"] is True
    assert engine.preview(off).kinds() == {"inheritance": "update"}
    engine.up(off)
    assert backend.accounts[sub].inheritance is False

    on = inheritance(account_sid=sub, dialing_permissions_inheritance=True)
    assert requests_made(twilio_emulator, lambda: engine.up(on)) == [
        ("GET", f"/2010-04-01/Accounts/{sub}.json"),
        ("POST", SETTINGS),
        ("GET", SETTINGS),
    ]
    assert backend.accounts[sub].inheritance is True
    engine.up(off)

    retained = inheritance(account_sid=sub, dialing_permissions_inheritance=False, on_delete="retain")
    assert requests_made(twilio_emulator, lambda: engine.up(retained)) == []
    engine.up(off)

    other = make_subaccount(twilio_emulator, "other")
    plan = engine.up(inheritance(account_sid=other, dialing_permissions_inheritance=False))
    assert plan.kinds() == {"inheritance": "replace"}
    assert backend.accounts[other].inheritance is False
    assert backend.accounts[sub].inheritance is True  # the replaced one was restored

    engine.destroy()
    assert backend.accounts[other].inheritance is True


def test_destroy_with_retain_leaves_the_setting(twilio_emulator, stack):
    sub = make_subaccount(twilio_emulator)
    engine = stack()
    engine.up(inheritance(account_sid=sub, dialing_permissions_inheritance=False, on_delete="retain"))
    assert requests_made(twilio_emulator, engine.destroy) == []
    assert twilio_emulator.backend.accounts[sub].inheritance is False


def test_the_subaccounts_own_credentials_work_too(twilio_emulator, stack):
    sub = twilio_emulator.backend.accounts[make_subaccount(twilio_emulator)]
    config = stack_config(twilio_emulator, **{"twilio:accountSid": sub.sid, "twilio:authToken": sub.auth_token})
    engine = stack(config=config)
    engine.up(inheritance(account_sid=sub.sid, dialing_permissions_inheritance=False))
    assert twilio_emulator.backend.accounts[sub.sid].inheritance is False


def test_a_main_accounts_sid_is_refused(twilio_emulator, stack):
    engine = stack()
    main = twilio_emulator.main_account.sid
    sent = []
    with pytest.raises(ProviderError) as refused:
        sent = requests_made(
            twilio_emulator, lambda: engine.up(inheritance(account_sid=main, dialing_permissions_inheritance=False))
        )
    assert f"account_sid {main} is a main account" in refused.value.details
    assert "subaccount setting" in refused.value.details
    assert all(path != SETTINGS for _, path in sent)
    assert [r.path for r in twilio_emulator.backend.request_log() if r.method == "POST"] == []


def test_a_write_that_does_not_apply_is_detected(twilio_emulator, stack):
    sub = make_subaccount(twilio_emulator)
    twilio_emulator.backend.faults.add(Fault("accept_not_apply", count=1, path_prefix=SETTINGS, method="POST"))
    engine = stack()
    with pytest.raises(ProviderError) as failed:
        engine.up(inheritance(account_sid=sub, dialing_permissions_inheritance=False))
    assert "reading it back shows true" in failed.value.details
    assert engine.state == {}


def test_two_resources_for_one_subaccount_fail_at_check(twilio_emulator, stack):
    sub = make_subaccount(twilio_emulator)

    def twice() -> None:
        inheritance("one", account_sid=sub, dialing_permissions_inheritance=False)()
        inheritance("two", account_sid=sub, dialing_permissions_inheritance=True)()

    with pytest.raises(CheckFailedError) as failed:
        stack().preview(twice)
    [(prop, reason)] = failed.value.failures
    assert prop == "account_sid"
    assert f"dialing_permissions_inheritance of account {sub} would be managed by both" in reason
    assert "keep one SubaccountInheritance per subaccount" in reason
