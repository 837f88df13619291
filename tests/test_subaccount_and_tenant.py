"""Subaccount, TenantDialingPolicy and the functions, through the real provider server and the emulator."""

from __future__ import annotations

import pytest
from conftest import preview_program
from harness.engine import CheckFailedError, ProviderError
from helpers import flags, make_subaccount, requests_made
from pulumi_twilio_dialing import (
    Subaccount,
    SubaccountArgs,
    TenantDialingPolicy,
    TenantDialingPolicyArgs,
    get_countries,
    get_country,
    get_high_risk_special_prefixes,
    get_subaccounts,
)

ACCOUNTS = "/2010-04-01/Accounts.json"


def subaccount(name: str = "tenant", **args):
    return lambda: Subaccount(name, SubaccountArgs(**args))


def test_subaccount_lifecycle(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    engine = stack()
    assert requests_made(twilio_emulator, lambda: engine.preview(subaccount(friendly_name="Acme"))) == []

    sent = requests_made(twilio_emulator, lambda: engine.up(subaccount(friendly_name="Acme")))
    state = engine.state["tenant"]
    sid = state.id
    # one read first: an active subaccount of that name would be refused (see test_no_orphan_subaccounts)
    assert sent == [("GET", ACCOUNTS), ("POST", ACCOUNTS), ("GET", f"/2010-04-01/Accounts/{sid}.json")]
    assert state.outputs["sid"] == sid
    assert state.outputs["status"] == "active"
    assert state.outputs["owner_account_sid"] == main
    assert state.outputs["on_delete"] == "close"
    assert backend.accounts[sid].auth_token not in engine.export()
    assert "auth_token" not in state.outputs

    assert requests_made(twilio_emulator, lambda: engine.preview(subaccount(friendly_name="Acme"))) == []
    plan = engine.up(subaccount(friendly_name="Acme Corp"))
    assert plan.kinds() == {"tenant": "update"}  # renaming updates in place
    assert backend.accounts[sid].friendly_name == "Acme Corp"

    backend.accounts[sid].friendly_name = "renamed in the Console"
    engine.refresh()
    assert engine.state["tenant"].outputs["friendly_name"] == "renamed in the Console"
    engine.up(subaccount(friendly_name="Acme Corp"))
    assert backend.accounts[sid].friendly_name == "Acme Corp"

    assert (
        requests_made(twilio_emulator, lambda: engine.up(subaccount(friendly_name="Acme Corp", on_delete="suspend")))
        == []
    )
    engine.destroy()
    assert backend.accounts[sid].status == "suspended"


def test_destroy_closes_by_default_and_refresh_drops_a_closed_subaccount(twilio_emulator, stack):
    backend = twilio_emulator.backend
    engine = stack()
    engine.up(subaccount(friendly_name="Short-lived"))
    sid = engine.state["tenant"].id
    engine.destroy()
    assert backend.accounts[sid].status == "closed"

    engine.up(subaccount(friendly_name="Closed elsewhere"))
    other = engine.state["tenant"].id
    backend.accounts[other].status = "closed"
    assert engine.refresh().kinds() == {"tenant": "gone"}


def test_adopting_an_existing_subaccount(twilio_emulator, stack):
    backend = twilio_emulator.backend
    sid = make_subaccount(twilio_emulator, "existing")
    engine = stack()
    engine.up(subaccount(friendly_name="existing", account_sid=sid))
    assert engine.state["tenant"].id == sid
    assert engine.state["tenant"].outputs["on_delete"] == "retain"  # an adopted subaccount is never closed by default
    assert len(backend.accounts) == 2
    engine.destroy()
    assert backend.accounts[sid].status == "active"

    foreign = backend.create_main_account("someone else")
    with pytest.raises(ProviderError, match="is not visible to the configured account"):
        stack().up(subaccount(friendly_name="x", account_sid=foreign.sid))


def test_the_subaccount_cap_is_a_clear_error(twilio_emulator, stack):
    twilio_emulator.settings.max_subaccounts = 1
    make_subaccount(twilio_emulator, "first")
    with pytest.raises(ProviderError) as capped:
        stack().up(subaccount(friendly_name="second"))
    assert "has reached its limit of 1 subaccounts" in capped.value.details
    assert "Twilio error 21100" in capped.value.details


@pytest.mark.parametrize(
    ("args", "prop", "fragment"),
    [
        ({"friendly_name": ""}, "friendly_name", "friendly_name must not be empty"),
        ({"friendly_name": "   "}, "friendly_name", "must not be empty"),
        ({"friendly_name": "x" * 65}, "friendly_name", "65 characters long; Twilio allows at most 64"),
        ({"friendly_name": "ok", "on_delete": "delete"}, "on_delete", "'close', 'suspend' or 'retain'"),
        ({"friendly_name": "ok", "account_sid": "nope"}, "account_sid", "is not an account SID"),
    ],
)
def test_bad_subaccount_input(twilio_emulator, stack, args, prop, fragment):
    engine = stack()
    with pytest.raises(CheckFailedError) as failed:
        engine.preview(subaccount(**args))
    reasons = dict(failed.value.failures)
    assert fragment in reasons[prop]


# ----------------------------------------------------------------------------------------------- tenants
def tenant(name: str = "acme", **args):
    return lambda: TenantDialingPolicy(name, TenantDialingPolicyArgs(**args))


def test_onboarding_and_offboarding_one_tenant(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "FR", low_risk_numbers_enabled=True)  # the parent's own permissions
    engine = stack()
    program = tenant(friendly_name="Acme", allowed_countries=["BR", "PT"])

    sent = requests_made(twilio_emulator, lambda: engine.up(program))
    sid = engine.state["acme-subaccount"].id
    # inheritance and permissions run in parallel, so only the multiset of requests is fixed
    assert sorted(sent) == sorted(
        [
            ("GET", ACCOUNTS),
            ("POST", ACCOUNTS),
            # Subaccount reads back what it created, and that read gives the sub's credentials to the others
            ("GET", f"/2010-04-01/Accounts/{sid}.json"),
            ("GET", "/v1/Settings"),
            ("POST", "/v1/Settings"),
            ("GET", "/v1/Settings"),
            ("GET", "/v1/DialingPermissions/Countries"),
            ("POST", "/v1/DialingPermissions/BulkCountryUpdates"),
            ("GET", "/v1/DialingPermissions/Countries"),
        ]
    )
    assert backend.accounts[sid].inheritance is False
    assert backend.effective_flags(sid, "BR") == flags(low=True)
    assert backend.effective_flags(sid, "PT") == flags(low=True)
    for iso in ("US", "FR", "GB"):
        assert backend.effective_flags(sid, iso) == flags(), iso
    allowed = [iso for iso, f in backend.accounts[sid].flags.items() if f != flags()]
    assert allowed == ["BR", "PT"]

    assert requests_made(twilio_emulator, lambda: engine.preview(program)) == []
    sent = requests_made(twilio_emulator, engine.refresh)
    assert sorted(sent) == sorted(
        [
            ("GET", f"/2010-04-01/Accounts/{sid}.json"),  # the subaccount, and with it its credentials
            ("GET", "/v1/Settings"),
            ("GET", "/v1/DialingPermissions/Countries"),
        ]
    )

    engine.destroy()
    assert backend.accounts[sid].status == "closed"
    assert backend.accounts[sid].inheritance is False  # nothing was restored on an account being closed


def test_a_tenant_on_an_existing_subaccount_is_restored_on_offboarding(twilio_emulator, stack):
    backend = twilio_emulator.backend
    sid = make_subaccount(twilio_emulator, "existing")
    before = {iso: backend.stored_flags(sid, iso) for iso in backend.accounts[sid].flags}
    engine = stack()
    engine.up(tenant(subaccount_sid=sid, allowed_countries=["MX"]))
    assert "acme-subaccount" not in engine.state
    assert backend.effective_flags(sid, "MX") == flags(low=True)
    assert backend.effective_flags(sid, "US") == flags()
    engine.destroy()
    assert backend.accounts[sid].status == "active"
    assert backend.accounts[sid].inheritance is True
    assert {iso: backend.stored_flags(sid, iso) for iso in backend.accounts[sid].flags} == before


def test_a_tenant_needs_exactly_one_subaccount_source(stack):
    with pytest.raises(Exception, match="exactly one of friendly_name"):
        stack().preview(tenant(allowed_countries=["BR"]))
    with pytest.raises(Exception, match="exactly one of friendly_name"):
        stack().preview(tenant(friendly_name="x", subaccount_sid="AC" + "1" * 32, allowed_countries=["BR"]))


def test_the_tenant_summary_output(twilio_emulator, stack):
    engine = stack()
    outputs = {}

    def program() -> None:
        policy = TenantDialingPolicy(
            "acme", TenantDialingPolicyArgs(friendly_name="Acme", allowed_countries=["PT", "BR"])
        )
        policy.summary.apply(lambda s: outputs.setdefault("summary", s))

    engine.registrations(program, preview=False)
    assert outputs["summary"] == (
        "low-risk calls to BR, PT only; every other country and every high-risk range off; inheritance off"
    )


# --------------------------------------------------------------------------------------------- functions
def test_functions_read_with_the_stack_config(twilio_emulator):
    sub = make_subaccount(twilio_emulator)
    twilio_emulator.backend.set_flags(sub, "GB", high_risk_special_numbers_enabled=True)
    results = {}

    def program() -> None:
        results["europe"] = get_countries(continent="EUROPE")
        results["gb_sub"] = get_country("GB", account_sid=sub)
        results["prefixes"] = get_high_risk_special_prefixes("LV")
        results["subaccounts"] = get_subaccounts()
        results["enabled"] = get_countries(low_risk_numbers_enabled=True)

    preview_program(twilio_emulator, program)
    assert {c.continent for c in results["europe"]} == {"EUROPE"}
    assert results["gb_sub"].high_risk_special_numbers_enabled is True
    assert results["prefixes"] == ["+37181", "+3719000"]
    assert [a.sid for a in results["subaccounts"]] == [sub]
    assert results["subaccounts"][0].auth_token is None
    assert [c.iso_code for c in results["enabled"]] == ["US"]
