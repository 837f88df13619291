"""Lifecycle safety (issue 7) through the real provider server, with the emulator's fault injection.

Each test is one of the ways today's users reorganise or break a deployment. The property behind all of
them: after a successful ``up`` Twilio equals the program; after a failed one Twilio equals the state the
engine keeps, or the error says exactly where it differs; a delete never undoes another resource; and
restore points are never lost to a failure.
"""

from __future__ import annotations

import re

import pulumi
import pytest
from conftest import stack_config
from harness.engine import ProviderError
from helpers import flags, make_subaccount, requests_made
from pulumi_twilio_dialing import (
    UNCHANGED,
    CountryPermissionsArgs,
    DialingPermissionCountry,
    DialingPermissionCountryArgs,
    DialingPermissions,
    DialingPermissionsArgs,
    Subaccount,
    SubaccountArgs,
    TenantDialingPolicy,
    TenantDialingPolicyArgs,
)
from pulumi_twilio_dialing.emulator import Fault

HARDENING = CountryPermissionsArgs(UNCHANGED, False, False)
BULK = "/v1/DialingPermissions/BulkCountryUpdates"
ACCOUNTS = "/2010-04-01/Accounts.json"
TIGHT_RETRIES = {"twilio-dialing:retryTimeout": "0.001", "twilio-dialing:bulkChunkSize": "50"}


def table(emulator, account: str) -> dict[str, object]:
    backend = emulator.backend
    return {iso: backend.stored_flags(account, iso) for iso in backend.accounts[account].flags}


def risky(emulator, account: str, *isos: str) -> None:
    for iso in isos:
        emulator.backend.set_flags(
            account, iso, high_risk_special_numbers_enabled=True, high_risk_tollfraud_numbers_enabled=True
        )


def hardening(name: str = "hardening", **opts):
    return lambda: DialingPermissions(name, DialingPermissionsArgs(default=HARDENING), pulumi.ResourceOptions(**opts))


def high_risk_on(emulator, account: str) -> list[str]:
    return sorted(
        iso
        for iso, f in table(emulator, account).items()
        if f.high_risk_special_numbers_enabled or f.high_risk_tollfraud_numbers_enabled
    )


# ------------------------------------------------------------------------------ 1. no delete undoes another
def test_a_rename_without_aliases_never_reopens_toll_fraud_ranges(twilio_emulator, stack):
    main = twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB", "LV", "NG")
    engine = stack()
    engine.up(hardening("hardening"))
    assert high_risk_on(twilio_emulator, main) == []

    # the engine creates "hardening-v2" first and deletes "hardening" last, in the same run
    plan = engine.up(hardening("hardening-v2"))
    assert plan.kinds() == {"hardening-v2": "create", "hardening": "delete"}
    assert high_risk_on(twilio_emulator, main) == []  # before: GB, LV and NG were reopened here
    assert "of this deployment manages them now" in engine.provider_output
    assert "GB.high_risk_tollfraud_numbers_enabled=true" in engine.provider_output  # the restore point, shown
    assert "aliases" in engine.provider_output
    assert requests_made(twilio_emulator, lambda: engine.preview(hardening("hardening-v2"))) == []
    assert engine.preview(hardening("hardening-v2")).kinds() == {"hardening-v2": "same"}


def test_moving_a_country_into_the_bulk_resource_keeps_it_closed(twilio_emulator, stack):
    main = twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB")
    engine = stack()
    engine.up(lambda: DialingPermissionCountry("gb", DialingPermissionCountryArgs(iso_code="GB")))
    assert twilio_emulator.backend.stored_flags(main, "GB") == flags(low=True)

    def bulk() -> None:
        DialingPermissions(
            "permissions", DialingPermissionsArgs(countries={"GB": CountryPermissionsArgs(True, False, False)})
        )

    plan = engine.up(bulk)
    assert plan.kinds() == {"permissions": "create", "gb": "delete"}
    assert twilio_emulator.backend.stored_flags(main, "GB") == flags(low=True)
    assert "DialingPermissions of this deployment manages them now" in engine.provider_output


def test_two_resources_swapping_countries_never_undo_each_other(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB", "FR")
    original = table(twilio_emulator, main)
    engine = stack()

    def program(a: str, b: str, a_low: bool, b_low: bool):
        def run() -> None:
            DialingPermissionCountry("a", DialingPermissionCountryArgs(iso_code=a, low_risk_numbers_enabled=a_low))
            DialingPermissionCountry("b", DialingPermissionCountryArgs(iso_code=b, low_risk_numbers_enabled=b_low))

        return run

    engine.up(program("GB", "FR", True, False))
    assert backend.stored_flags(main, "GB") == flags(low=True)
    assert backend.stored_flags(main, "FR") == flags()

    plan = engine.up(program("FR", "GB", True, False))  # both replaced; originals deleted at the end
    assert plan.kinds() == {"a": "replace", "b": "replace"}
    assert backend.stored_flags(main, "FR") == flags(low=True)  # Twilio == program
    assert backend.stored_flags(main, "GB") == flags()
    assert high_risk_on(twilio_emulator, main) == []

    engine.destroy()
    # "a" handed GB's restore point to the new "b" during the run; FR's was taken over after "a" adopted
    # it, so FR goes back to what "a" found (closed): never more open than the program had it
    assert backend.stored_flags(main, "GB") == original["GB"]
    assert backend.stored_flags(main, "FR") in (original["FR"], flags(low=False))


def test_switching_a_tenant_to_its_subaccount_sid_does_not_close_the_subaccount(twilio_emulator, stack):
    backend = twilio_emulator.backend
    engine = stack()
    engine.up(
        lambda: TenantDialingPolicy("acme", TenantDialingPolicyArgs(allowed_countries=["BR"], friendly_name="Acme"))
    )
    sid = engine.state["acme-subaccount"].id

    adopted = lambda: TenantDialingPolicy(  # noqa: E731
        "acme", TenantDialingPolicyArgs(allowed_countries=["BR"], subaccount_sid=sid)
    )
    plan = engine.up(adopted)
    assert plan.kinds()["acme-subaccount"] == "delete"
    assert backend.accounts[sid].status == "active"  # before: closed, irreversibly
    assert f"Subaccount {sid}: not closed" in engine.provider_output
    assert backend.effective_flags(sid, "BR") == flags(low=True)
    assert backend.accounts[sid].inheritance is False

    engine.destroy()  # an existing subaccount is never closed by the policy
    assert backend.accounts[sid].status == "active"


# ------------------------------------------------------------------------------ 2. failure atomicity
def test_a_country_whose_verification_fails_is_put_back(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB")
    original = backend.stored_flags(main, "GB")
    engine = stack(config=stack_config(twilio_emulator, **TIGHT_RETRIES))
    gb = lambda: DialingPermissionCountry("gb", DialingPermissionCountryArgs(iso_code="GB"))  # noqa: E731
    # the write lands, the read that verifies it fails: before, the retry adopted the written flags
    backend.faults.add(Fault("error", status=500, count=1, after=1, method="GET", path_prefix="/v1/Dialing"))
    with pytest.raises(ProviderError) as failed:
        engine.up(gb)
    assert "Put back the 3 setting(s) it had changed" in failed.value.details
    assert engine.state == {}
    assert backend.stored_flags(main, "GB") == original

    engine.up(gb)
    assert engine.state["gb"].outputs["flags_before_adoption"] == {
        "low_risk_numbers_enabled": False,
        "high_risk_special_numbers_enabled": True,
        "high_risk_tollfraud_numbers_enabled": True,
    }
    engine.destroy()
    assert backend.stored_flags(main, "GB") == original


@pytest.mark.parametrize(("lost", "said"), [("drop", "got no answer"), ("garble", "got an unreadable answer")])
def test_a_lost_answer_is_put_back(twilio_emulator, stack, lost, said):
    """Twilio applies the write but the answer never arrives, or arrives unreadable (and the retry budget is
    spent)."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "LV")
    original = table(twilio_emulator, main)
    engine = stack(config=stack_config(twilio_emulator, **TIGHT_RETRIES))
    backend.faults.add(Fault(lost, count=1, path_prefix=BULK))
    with pytest.raises(ProviderError) as failed:
        engine.up(hardening())
    assert said in failed.value.details
    assert "Put back the 2 setting(s)" in failed.value.details
    assert table(twilio_emulator, main) == original
    engine.up(hardening())
    engine.destroy()
    assert table(twilio_emulator, main) == original


def test_when_putting_back_fails_too_the_error_lists_every_difference(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, *backend.accounts[main].flags)
    original = table(twilio_emulator, main)
    engine = stack(config=stack_config(twilio_emulator, **TIGHT_RETRIES))
    # every write fails after the first: the create's second chunk, and every attempt to put back
    backend.faults.add(Fault("error", status=503, count=1000, after=1, path_prefix=BULK))

    def program() -> None:
        DialingPermissions("p", DialingPermissionsArgs(default=CountryPermissionsArgs(False, False, False)))

    with pytest.raises(ProviderError) as failed:
        engine.up(program)
    details = failed.value.details
    assert "StateDivergedError" in details
    assert len(details) < 5000  # it travels in gRPC status headers (8 KiB soft limit, partial state included)
    assert "Putting back what it had written failed too" in details
    # the first chunk (AD ...) was applied, the second (from DM) may have been: its answer was lost
    assert "AD.high_risk_tollfraud_numbers_enabled: live false, state none, restore point true" in details
    assert re.search(r"\.\.\. and \d+ more, listed above", details)  # the error is capped; the diagnostics list all
    assert "DM.high_risk_tollfraud_numbers_enabled: live unknown, state none, restore point true" in (
        engine.provider_output
    )
    assert "pulumi refresh" in details

    # The engine kept a partial state with the restore points (ErrorResourceInitFailed), so nothing is lost:
    # the next up reads Twilio again and finishes, and destroy puts back the table from before.
    assert "Pulumi keeps this resource as a partial state" in details
    kept = engine.state["p"]
    assert kept.outputs["unverified"] is True
    backend.faults.clear()
    engine.refresh()  # a refresh keeps the partial state (and its restore points) for the next up to finish
    assert engine.state["p"].outputs["unverified"] is True
    assert engine.preview(program).kinds() == {"p": "update"}  # never "same" while Twilio may differ
    engine.up(program)
    assert "unverified" not in engine.state["p"].outputs
    assert all(f == flags() for f in table(twilio_emulator, main).values())
    engine.destroy()
    assert table(twilio_emulator, main) == original


# ------------------------------------------------------------------------------ 4. per-flag ownership
def test_flags_stop_and_start_being_managed_with_their_own_restore_points(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB", "FR")
    original = table(twilio_emulator, main)
    engine = stack()

    def listed(countries: dict[str, CountryPermissionsArgs]):
        return lambda: DialingPermissions("p", DialingPermissionsArgs(countries=countries))

    closed = CountryPermissionsArgs(False, False, False)
    engine.up(listed({"GB": closed, "FR": closed}))
    assert backend.stored_flags(main, "GB") == flags() and backend.stored_flags(main, "FR") == flags()

    # FR dropped: restored in the same update; GB's toll-fraud flag back to "unchanged": restored too
    engine.up(listed({"GB": CountryPermissionsArgs(False, False, UNCHANGED)}))
    assert backend.stored_flags(main, "FR") == original["FR"]
    assert backend.stored_flags(main, "GB") == flags(tollfraud=True)
    restore = engine.state["p"].outputs["permissions_before_adoption"]
    assert set(restore) == {"GB"} and set(restore["GB"]) == {
        "low_risk_numbers_enabled",
        "high_risk_special_numbers_enabled",
    }

    # someone changes DE; later the resource starts managing DE: its restore point is DE as it is then
    backend.set_flags(main, "DE", low_risk_numbers_enabled=True, high_risk_special_numbers_enabled=True)
    changed_de = backend.stored_flags(main, "DE")
    engine.up(listed({"GB": CountryPermissionsArgs(False, False, UNCHANGED), "DE": closed}))
    assert backend.stored_flags(main, "DE") == flags()
    engine.destroy()
    assert backend.stored_flags(main, "DE") == changed_de  # not what DE was when "p" was created
    assert table(twilio_emulator, main) == {**original, "DE": changed_de}


# ------------------------------------------------------------------------------ 5. no orphan subaccounts
@pytest.mark.parametrize("lost", ["drop", "garble"])  # no answer, or one that cannot be read
def test_a_lost_answer_to_creating_a_subaccount_adopts_the_one_it_made(twilio_emulator, stack, lost):
    backend = twilio_emulator.backend
    engine = stack()
    backend.faults.add(Fault(lost, count=1, method="POST", path_prefix=ACCOUNTS))
    engine.up(lambda: Subaccount("tenant", SubaccountArgs(friendly_name="Acme")))
    named = [a for a in backend.accounts.values() if a.friendly_name == "Acme"]
    assert len(named) == 1
    assert engine.state["tenant"].id == named[0].sid
    assert "Twilio's answer to the create was lost" in engine.provider_output


def test_a_second_subaccount_with_the_same_name_is_never_created(twilio_emulator, stack):
    existing = make_subaccount(twilio_emulator, "Acme")
    engine = stack()
    with pytest.raises(ProviderError) as refused:
        engine.up(lambda: Subaccount("tenant", SubaccountArgs(friendly_name="Acme")))
    assert f"an active subaccount named 'Acme' already exists ({existing})" in refused.value.details
    assert "account_sid" in refused.value.details
    assert [a for a in twilio_emulator.backend.accounts.values() if a.friendly_name == "Acme"] != []
    assert len([a for a in twilio_emulator.backend.accounts.values() if a.friendly_name == "Acme"]) == 1


def test_destroy_leaves_alone_what_someone_changed_since(twilio_emulator, stack):
    """The restore point equals what the resource set (the country was closed before), and the account
    owner opened low-risk calls in the Console since: destroy must not undo that."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    engine = stack()
    engine.up(
        lambda: DialingPermissionCountry(
            "de", DialingPermissionCountryArgs(iso_code="DE", low_risk_numbers_enabled=False)
        )
    )
    backend.set_flags(main, "DE", low_risk_numbers_enabled=True)  # the owner, in the Console
    sent = requests_made(twilio_emulator, engine.destroy)
    assert sent == [("GET", "/v1/DialingPermissions/Countries/DE")]
    assert backend.stored_flags(main, "DE") == flags(low=True)
    assert "DE.low_risk_numbers_enabled set false, now true" in engine.provider_output


# ------------------------------------------------------------------------------ renames with aliases, failed ups
def test_a_rename_with_an_alias_keeps_the_resource_and_its_restore_points(twilio_emulator, stack):
    main = twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB", "LV")
    original = table(twilio_emulator, main)
    engine = stack()
    engine.up(hardening("hardening"))
    plan = engine.up(hardening("hardening-v2", aliases=[pulumi.Alias(name="hardening")]))
    assert plan.kinds() == {"hardening-v2": "same"}  # no create, no delete: the same resource
    engine.destroy()
    assert table(twilio_emulator, main) == original  # the restore points moved with it


def test_moving_into_a_component_with_an_alias_keeps_the_restore_points(twilio_emulator, stack):
    main = twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "NG")
    original = table(twilio_emulator, main)
    engine = stack()
    engine.up(lambda: DialingPermissionCountry("ng", DialingPermissionCountryArgs(iso_code="NG")))

    class Tenant(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("acme:index:Tenant", name, None)
            DialingPermissionCountry(
                "ng",
                DialingPermissionCountryArgs(iso_code="NG"),
                pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]),
            )

    plan = engine.up(lambda: Tenant("acme"))
    assert [step.kind for step in plan.steps.values()] == ["same"]
    engine.destroy()
    assert table(twilio_emulator, main) == original


def test_deletions_a_failed_up_left_do_not_undo_the_next_up(twilio_emulator, make_engine):
    """A replacement moves "a" from GB to FR while a new "b" takes GB over, and the run fails on a bad
    country: "a"'s original (GB) stays pending. The next run deletes it at its end, after "b" has claimed
    GB, so GB stays as "b" wants it."""
    from conftest import HERMETIC_ENV, SECRET_KEYS

    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB", "FR")
    engine = make_engine(
        config=stack_config(twilio_emulator), secret_keys=SECRET_KEYS, env=HERMETIC_ENV, parallel=False
    )

    def program(*resources: tuple[str, str, bool]):
        def run() -> None:
            for name, iso, low in resources:
                DialingPermissionCountry(name, DialingPermissionCountryArgs(iso_code=iso, low_risk_numbers_enabled=low))

        return run

    engine.up(program(("a", "GB", True)))
    with pytest.raises(ProviderError, match="AQ"):
        engine.up(program(("a", "FR", True), ("b", "GB", False), ("bad", "AQ", False)))
    assert [s.name for s in engine.pending_deletes()] == ["a"]
    assert backend.stored_flags(main, "GB") == flags()  # "b" already set it

    plan = engine.up(program(("a", "FR", True), ("b", "GB", False)))
    assert engine.pending_deletes() == []
    assert [d.name for d in plan.deletions] == ["a"]
    assert backend.stored_flags(main, "GB") == flags()  # not reopened by the pending delete
    assert backend.stored_flags(main, "FR") == flags(low=True)
    assert "DialingPermissionCountry (iso_code GB) of this deployment manages them now" in engine.provider_output


def test_moving_a_subaccounts_resources_into_a_tenant_policy_reopens_nothing(twilio_emulator, stack):
    backend = twilio_emulator.backend
    sid = make_subaccount(twilio_emulator, "existing")
    risky(twilio_emulator, sid, "GB")
    original = {iso: backend.stored_flags(sid, iso) for iso in backend.accounts[sid].flags}
    engine = stack()

    def loose() -> None:
        from pulumi_twilio_dialing import SubaccountInheritance, SubaccountInheritanceArgs

        SubaccountInheritance(
            "inheritance", SubaccountInheritanceArgs(account_sid=sid, dialing_permissions_inheritance=False)
        )
        DialingPermissions(
            "permissions",
            DialingPermissionsArgs(
                account_sid=sid,
                default=CountryPermissionsArgs(False, False, False),
                countries={"MX": CountryPermissionsArgs(True, False, False)},
            ),
        )

    engine.up(loose)
    assert high_risk_on(twilio_emulator, sid) == [] and backend.accounts[sid].inheritance is False

    # the same settings, now as a tenant policy: new URNs (children of a component), old ones deleted last
    plan = engine.up(
        lambda: TenantDialingPolicy("acme", TenantDialingPolicyArgs(allowed_countries=["MX"], subaccount_sid=sid))
    )
    assert plan.kinds()["inheritance"] == "delete" and plan.kinds()["permissions"] == "delete"
    assert high_risk_on(twilio_emulator, sid) == []
    assert backend.accounts[sid].inheritance is False  # not flipped back to inheriting the parent's table
    assert backend.effective_flags(sid, "MX") == flags(low=True)
    engine.destroy()
    assert backend.accounts[sid].status == "active"  # an existing subaccount is never closed by the policy
    # Without aliases (a component's children cannot be given them) the policy recorded the values it found,
    # which the loose resources had set: destroy leaves GB closed, never more open than the program had it.
    assert high_risk_on(twilio_emulator, sid) == [] and original["GB"] != backend.stored_flags(sid, "GB")


def test_a_write_that_takes_a_moment_to_show_is_waited_for(twilio_emulator, stack):
    """Reads show the flags from before a write for a while (emulator: propagation_delay_seconds): the
    read-back waits with the retry policy's backoff (0.01 s doubling in tests) instead of failing."""
    main = twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB", "LV")
    original = table(twilio_emulator, main)
    twilio_emulator.settings.propagation_delay_seconds = 0.05
    engine = stack()
    engine.up(hardening())
    assert high_risk_on(twilio_emulator, main) == []
    engine.destroy()
    assert table(twilio_emulator, main) == original


# ------------------------------------------------------------------------------ found by an adversarial pass
def test_a_write_that_shows_only_later_is_put_back_not_taken_for_nothing(twilio_emulator, stack):
    """Reads lag 0.5 s behind writes, longer than the read-back waits: the create cannot tell what took,
    so it puts back everything it sent (before: it said "nothing had changed" while the write landed)."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB")
    original = backend.stored_flags(main, "GB")
    twilio_emulator.settings.propagation_delay_seconds = 0.5
    engine = stack(config=stack_config(twilio_emulator, **TIGHT_RETRIES))
    gb = lambda: DialingPermissionCountry("gb", DialingPermissionCountryArgs(iso_code="GB"))  # noqa: E731
    with pytest.raises(ProviderError):
        engine.up(gb)
    assert backend.stored_flags(main, "GB") == original  # the last write was the one putting it back
    kept = engine.state.get("gb")
    assert kept is None or kept.outputs["unverified"] is True  # nothing, or a partial state to finish
    twilio_emulator.settings.propagation_delay_seconds = 0.0
    engine.up(gb)
    engine.destroy()
    assert backend.stored_flags(main, "GB") == original


@pytest.mark.parametrize("status", [400, 403])
def test_a_failed_read_back_is_not_taken_for_a_refused_write(twilio_emulator, stack, status):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB")
    original = backend.stored_flags(main, "GB")
    engine = stack(config=stack_config(twilio_emulator, **TIGHT_RETRIES))
    # request 1 reads, 2 writes, 3 (the read-back) fails with a 4xx: the write took, and must be put back
    backend.faults.add(
        Fault(
            "error" if status >= 500 else "echo_credentials",
            status=status,
            count=1,
            after=1,
            method="GET",
            path_prefix="/v1/DialingPermissions/Countries",
        )
    )
    with pytest.raises(ProviderError) as failed:
        engine.up(lambda: DialingPermissionCountry("gb", DialingPermissionCountryArgs(iso_code="GB")))
    assert "reading it back failed" in failed.value.details
    assert engine.state == {}
    assert backend.stored_flags(main, "GB") == original


def test_destroy_puts_back_what_the_state_says_even_if_a_read_lags(twilio_emulator, stack):
    """The stack opened toll fraud on GB; reads still show it closed (not yet propagated) when destroy
    runs. Destroy must not take the stale read for "already restored"."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    original = backend.stored_flags(main, "GB")
    engine = stack(config=stack_config(twilio_emulator, **TIGHT_RETRIES))
    engine.up(
        lambda: DialingPermissionCountry(
            "gb", DialingPermissionCountryArgs(iso_code="GB", high_risk_tollfraud_numbers_enabled=True)
        )
    )
    twilio_emulator.settings.propagation_delay_seconds = 60.0
    try:
        engine.destroy()
    except ProviderError:  # the restore could not be verified within the wait: put back (or said), kept
        kept = engine.state["gb"].outputs
        assert (
            kept["high_risk_tollfraud_numbers_enabled"]
            == backend.stored_flags(main, "GB").high_risk_tollfraud_numbers_enabled
        )
    else:
        assert backend.stored_flags(main, "GB") == original


def test_long_errors_reach_the_engine_whole(twilio_emulator, stack):
    """A write Twilio accepts but does not apply on the whole table: the error names 450 settings. Errors
    travel in gRPC headers (8 KiB soft limit): capped, with everything in the diagnostics."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, *backend.accounts[main].flags)
    engine = stack(config=stack_config(twilio_emulator, **TIGHT_RETRIES))
    backend.faults.add(Fault("accept_not_apply", count=1, path_prefix=BULK))
    with pytest.raises(ProviderError) as failed:
        engine.up(hardening())
    assert "Stream removed" not in failed.value.details
    assert "WriteNotAppliedError" in failed.value.details and "... and " in failed.value.details
    engine.up(hardening())
    backend.faults.add(Fault("accept_not_apply", count=1, path_prefix=BULK))
    with pytest.raises(ProviderError) as failed:
        engine.destroy()
    assert "Stream removed" not in failed.value.details


def test_an_update_listing_a_country_twilio_does_not_have_is_refused(twilio_emulator, stack):
    engine = stack()
    closed = CountryPermissionsArgs(False, False, False)
    engine.up(lambda: DialingPermissions("p", DialingPermissionsArgs(countries={"GB": closed})))
    with pytest.raises(ProviderError, match="countries lists AQ"):
        engine.up(lambda: DialingPermissions("p", DialingPermissionsArgs(countries={"GB": closed, "AQ": closed})))


def test_a_failed_read_back_after_creating_a_subaccount_still_records_it(twilio_emulator, stack):
    backend = twilio_emulator.backend
    engine = stack(config=stack_config(twilio_emulator, **TIGHT_RETRIES))
    backend.faults.add(Fault("error", status=503, count=1, method="GET", path_prefix="/2010-04-01/Accounts/AC"))
    engine.up(lambda: Subaccount("tenant", SubaccountArgs(friendly_name="Acme")))
    made = [a.sid for a in backend.accounts.values() if a.friendly_name == "Acme" and a.status == "active"]
    assert [engine.state["tenant"].id] == made  # recorded from the create's answer, not orphaned


def test_a_get_beside_the_resource_managing_that_country_changes_nothing_under_faults(twilio_emulator, stack):
    """`DialingPermissionCountry.get` of GB beside the resource that hardens GB (who else manages it: the read
    entry must never claim, write or restore); the hardening's answer is lost once, then its destroy fails
    (what if the answer is lost or the next request fails); the next up, refresh and destroy still know the
    restore point, and only the managed resource ever writes."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB")
    original = backend.stored_flags(main, "GB")
    engine = stack(config=stack_config(twilio_emulator, **TIGHT_RETRIES))

    def program() -> None:
        DialingPermissionCountry(
            "gb",
            DialingPermissionCountryArgs(
                iso_code="GB", high_risk_special_numbers_enabled=False, high_risk_tollfraud_numbers_enabled=False
            ),
        )
        DialingPermissionCountry.get("gb-as-read", f"{main}/GB")

    def writes() -> int:
        return sum(1 for r in backend.request_log() if r.method == "POST")

    backend.faults.add(Fault("drop", count=1, path_prefix=BULK))
    with pytest.raises(ProviderError) as failed:
        engine.up(program)
    assert "got no answer" in failed.value.details
    assert backend.stored_flags(main, "GB") == original  # the lost write was put back
    assert "gb" not in engine.state

    engine.up(program)
    assert not backend.stored_flags(main, "GB").high_risk_tollfraud_numbers_enabled
    assert engine.state["gb-as-read"].external
    assert engine.state["gb"].outputs["flags_before_adoption"]["high_risk_tollfraud_numbers_enabled"] is True
    backend.clear_request_log()
    assert set(engine.refresh().kinds().values()) <= {"same", "refresh"}
    assert set(engine.preview(program).kinds().values()) == {"same", "read"}  # a get reads in previews too
    assert writes() == 0

    backend.faults.add(Fault("error", status=503, count=1000, path_prefix=BULK))
    with pytest.raises(ProviderError):
        engine.destroy()
    assert "gb" in engine.state  # a failed delete keeps the resource and its restore point
    assert engine.state["gb"].outputs["flags_before_adoption"]["high_risk_tollfraud_numbers_enabled"] is True
    backend.faults.clear()
    backend.clear_request_log()
    engine.destroy()
    assert engine.state == {}
    assert backend.stored_flags(main, "GB") == original  # the restore point came back once, from "gb"
    assert writes() == 1


def test_a_partial_state_renamed_with_an_alias_keeps_its_restore_point_through_refresh_and_destroy(
    twilio_emulator, stack
):
    """The three questions on the typed lifecycle, with whole programs (one provider process per command).
    What if the answer is lost and the next request fails: the hardening of GB is applied but its answer
    lost, and putting it back fails, so the engine keeps a partial state (only the small inputs and the
    restore points, read into the typed properties). Who else manages it: the same resource, renamed with an
    alias, next to a DialingPermissions hardening every other country (GB left to the country resource).
    What the next up, refresh and destroy believe: the up finishes the partial state with GB's restore point
    intact, refresh and preview write nothing, a failing destroy keeps it, and the next destroy restores GB
    once, while the bulk resource restores only its own countries."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    risky(twilio_emulator, main, "GB", "FR")
    before = table(twilio_emulator, main)
    engine = stack(config=stack_config(twilio_emulator, **TIGHT_RETRIES))
    hardened = {"high_risk_special_numbers_enabled": False, "high_risk_tollfraud_numbers_enabled": False}

    def v1() -> None:
        DialingPermissionCountry("gb", DialingPermissionCountryArgs(iso_code="GB", **hardened))

    def v2() -> None:
        DialingPermissionCountry(
            "gb-hardened",
            DialingPermissionCountryArgs(iso_code="GB", **hardened),
            pulumi.ResourceOptions(aliases=[pulumi.Alias(name="gb")]),
        )
        leave_gb = CountryPermissionsArgs(UNCHANGED, UNCHANGED, UNCHANGED)
        DialingPermissions("rest", DialingPermissionsArgs(default=HARDENING, countries={"GB": leave_gb}))

    def writes() -> list[str]:
        return [r.path for r in backend.request_log() if r.method == "POST"]

    backend.faults.add(Fault("drop", count=1, path_prefix=BULK))  # applied, answer lost
    backend.faults.add(Fault("error", status=503, count=1000, after=1, path_prefix=BULK))  # put-back fails
    with pytest.raises(ProviderError) as failed:
        engine.up(v1)
    assert "StateDivergedError" in failed.value.details
    assert "GB.high_risk_tollfraud_numbers_enabled: live unknown, state none, restore point true" in (
        failed.value.details
    )
    kept = engine.state["gb"].outputs
    assert kept["unverified"] is True and "flags_before_adoption" not in kept  # partial: small inputs only
    backend.faults.clear()

    engine.up(v2)
    assert engine.state.keys() == {"gb-hardened", "rest"}  # renamed, not replaced: nothing deleted
    state = engine.state["gb-hardened"].outputs
    assert "unverified" not in state
    assert state["flags_before_adoption"] == {
        "low_risk_numbers_enabled": before["GB"].low_risk_numbers_enabled,
        "high_risk_special_numbers_enabled": True,
        "high_risk_tollfraud_numbers_enabled": True,
    }
    assert high_risk_on(twilio_emulator, main) == []
    assert "GB" not in engine.state["rest"].outputs["permissions_before_adoption"]  # not the bulk's to restore

    backend.clear_request_log()
    assert set(engine.refresh().kinds().values()) <= {"same", "refresh"}
    assert set(engine.preview(v2).kinds().values()) == {"same"}
    assert writes() == []

    backend.faults.add(Fault("error", status=503, count=1000, path_prefix=BULK))
    with pytest.raises(ProviderError):
        engine.destroy()
    assert engine.state["gb-hardened"].outputs["flags_before_adoption"] == state["flags_before_adoption"]
    backend.faults.clear()
    backend.clear_request_log()
    engine.destroy()
    assert engine.state == {}
    assert table(twilio_emulator, main) == before  # GB and FR open again, as they were before the stack
    gb_writes = [r for r in backend.request_log() if r.method == "POST" and "GB" in str(r.form)]
    assert len(gb_writes) == 1  # GB put back once, by its own resource
