"""The root stack and the examples, run through the engine harness against the emulator."""

from __future__ import annotations

import json
import runpy

import pytest
from conftest import REPO, stack_config
from helpers import flags, make_subaccount


def program(path: str):
    return lambda: runpy.run_path(str(REPO / path))


def test_root_stack_manages_the_configured_countries_of_a_subaccount(twilio_emulator, stack):
    backend = twilio_emulator.backend
    sub = make_subaccount(twilio_emulator)
    countries = {"BR": {"lowRisk": True}, "GB": {"lowRisk": True, "highRiskSpecial": True}}
    config = stack_config(
        twilio_emulator,
        **{"twilio-dialing:subaccountSid": sub, "twilio-dialing:countries": json.dumps(countries)},
    )
    engine = stack(config=config, project="twilio-dialing")
    plan = engine.up(program("__main__.py"))
    assert plan.kinds() == {"country-BR": "create", "country-GB": "create", "inheritance": "create"}
    assert backend.effective_flags(sub, "BR") == flags(low=True)
    assert backend.effective_flags(sub, "GB") == flags(low=True, special=True)
    backend.set_flags(twilio_emulator.main_account.sid, "FR", low_risk_numbers_enabled=True)
    assert backend.effective_flags(sub, "FR") == flags()  # inheritance off: the parent's FR does not apply
    assert engine.up(program("__main__.py")).kinds() == dict.fromkeys(plan.steps, "same")
    engine.destroy()
    assert backend.accounts[sub].inheritance is True


def test_root_stack_defaults_to_us_on_the_configured_account(twilio_emulator, stack):
    engine = stack(project="twilio-dialing")
    assert engine.up(program("__main__.py")).kinds() == {"country-US": "create"}


def test_root_stack_refuses_unknown_flag_keys(twilio_emulator, stack):
    config = stack_config(twilio_emulator, **{"twilio-dialing:countries": json.dumps({"BR": {"lowrisk": True}})})
    engine = stack(config=config, project="twilio-dialing")
    with pytest.raises(Exception, match=r"twilio-dialing:countries.BR has unknown keys \['lowrisk'\]"):
        engine.up(program("__main__.py"))


def test_new_signup_example(twilio_emulator, stack):
    backend = twilio_emulator.backend
    sub = make_subaccount(twilio_emulator)
    engine = stack(config=stack_config(twilio_emulator, **{"new-signup:subaccountSid": sub}), project="new-signup")
    engine.up(program("examples/new-signup/__main__.py"))
    assert backend.accounts[sub].inheritance is False
    assert backend.stored_flags(sub, "BR") == flags(low=True)
    backend.set_flags(twilio_emulator.main_account.sid, "FR", low_risk_numbers_enabled=True)
    assert backend.effective_flags(sub, "FR") == flags()
    assert engine.preview(program("examples/new-signup/__main__.py")).kinds() == {
        "inheritance": "same",
        "signup-country": "same",
    }


def test_new_signup_example_needs_its_subaccount(twilio_emulator, stack):
    engine = stack(project="new-signup")
    with pytest.raises(Exception, match="subaccountSid"):
        engine.up(program("examples/new-signup/__main__.py"))
    assert engine.calls == []  # the program's own failure, before any provider call
