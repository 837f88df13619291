"""The root stack and the examples, run through the engine harness against the emulator."""

from __future__ import annotations

import json
import runpy

import pytest
import yaml
from conftest import REPO, stack_config
from helpers import flags, make_subaccount


def program(path: str):
    return lambda: runpy.run_path(str(REPO / path))


def tenant_config(emulator, stack_file: str) -> dict[str, str]:
    """A committed Pulumi.<tenant>.yaml's config, as the engine hands it over (structured values as JSON)."""
    document = yaml.safe_load((REPO / stack_file).read_text())
    values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in document["config"].items()}
    return stack_config(emulator, **values)


def test_root_stack_is_a_per_tenant_template(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "FR", low_risk_numbers_enabled=True)
    acme = stack(config=tenant_config(twilio_emulator, "Pulumi.acme.yaml"), project="twilio-dialing")
    globex = stack(config=tenant_config(twilio_emulator, "Pulumi.globex.yaml"), project="twilio-dialing")
    acme.up(program("templates/tenant/__main__.py"))
    globex.up(program("templates/tenant/__main__.py"))
    names = {a.friendly_name: a for a in backend.accounts.values() if a.is_subaccount}
    assert set(names) == {"Acme Ltd", "Globex Brasil"}
    acme_sid, globex_sid = names["Acme Ltd"].sid, names["Globex Brasil"].sid
    assert [iso for iso, f in backend.accounts[acme_sid].flags.items() if f != flags()] == ["GB", "IE"]
    assert [iso for iso, f in backend.accounts[globex_sid].flags.items() if f != flags()] == ["BR"]
    assert backend.effective_flags(acme_sid, "FR") == flags()  # inheritance is off
    assert backend.effective_flags(acme_sid, "GB") == flags(low=True)

    backend.clear_request_log()
    assert acme.preview(program("templates/tenant/__main__.py")).kinds() == dict.fromkeys(
        ["tenant-subaccount", "tenant-inheritance", "tenant-permissions"], "same"
    )
    assert backend.request_log() == []

    acme.destroy()  # offboarding closes the tenant's subaccount
    assert backend.accounts[acme_sid].status == "closed"
    assert backend.accounts[globex_sid].status == "active"


def test_root_stack_refuses_a_malformed_country_list(twilio_emulator, stack):
    config = stack_config(
        twilio_emulator, **{"twilio-dialing:tenantName": "x", "twilio-dialing:allowedCountries": '"BR"'}
    )
    with pytest.raises(Exception, match=r"allowedCountries must be a list of ISO codes"):
        stack(config=config, project="twilio-dialing").up(program("templates/tenant/__main__.py"))


def test_harden_account_example(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "GB", low_risk_numbers_enabled=True, high_risk_special_numbers_enabled=True)
    engine = stack(project="harden-account")
    engine.up(program("examples/harden-account/__main__.py"))
    assert backend.stored_flags(main, "GB") == flags(low=True)
    assert all(
        not (f.high_risk_special_numbers_enabled or f.high_risk_tollfraud_numbers_enabled)
        for f in backend.accounts[main].flags.values()
    )


def test_harden_all_subaccounts_example(twilio_emulator, stack):
    backend = twilio_emulator.backend
    subs = [make_subaccount(twilio_emulator, f"t{i}") for i in range(3)]
    for sid in subs:
        backend.set_flags(sid, "LV", high_risk_special_numbers_enabled=True, high_risk_tollfraud_numbers_enabled=True)
    closed = make_subaccount(twilio_emulator, "closed")
    backend.accounts[closed].status = "closed"
    engine = stack(project="harden-all-subaccounts")
    plan = engine.up(program("examples/harden-all-subaccounts/__main__.py"))
    assert set(plan.steps) == {f"hardening-{sid}" for sid in subs}
    for sid in subs:
        assert backend.stored_flags(sid, "LV") == flags()


def test_tenants_from_yaml_example(twilio_emulator, stack):
    backend = twilio_emulator.backend
    engine = stack(project="tenants-from-yaml")
    engine.up(program("examples/tenants-from-yaml/__main__.py"))
    names = {a.friendly_name: a.sid for a in backend.accounts.values() if a.is_subaccount}
    assert set(names) == {"Acme Ltd", "Globex Brasil"}
    assert backend.effective_flags(names["Acme Ltd"], "IE") == flags(low=True)
    assert backend.effective_flags(names["Globex Brasil"], "IE") == flags()
    assert len(engine.state) == 6
    engine.destroy()
    assert all(backend.accounts[sid].status == "closed" for sid in names.values())


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
