"""Adversarial findings on the lifecycle changes (get, the exception split, update diagnostics, typed
constructors): each test is what a user does, and what should happen."""

from __future__ import annotations

import re

import pytest
from ops_helpers import probe, subaccounts
from pulumi_twilio_dialing.emulator import Emulator, Fault


@pytest.mark.timeout(120)
def test_probe_closes_the_subaccount_when_reading_its_settings_gets_no_answer() -> None:
    """The user runs `twilio-dialing probe`; the throwaway subaccount is created, then reading its
    settings gets no answer (connection dropped, retries spent). Since TwilioConnectionError no longer
    derives from TwilioApiError, `_own_table`'s `except TwilioApiError` lets it escape `run()` before the
    clean-up: the probe crashes and leaves the throwaway subaccount open. It should abort that step (as it
    did before the split) and still close the subaccount."""
    with Emulator() as emulator:
        # The main account's GET /v1/Settings passes; every later one (the subaccount's) is dropped.
        emulator.backend.faults.add(Fault("drop", count=10_000, after=1, method="GET", path_prefix="/v1/Settings"))
        report = probe(emulator)
        subs = subaccounts(emulator)
    assert report.aborted is not None and "no answer" in report.aborted
    assert [s.status for s in subs] == ["closed"]
    assert report.subaccount_closed


def test_declaring_a_resource_that_was_read_with_get_creates_it(twilio_emulator, stack):
    """The user first reads the table with `DialingPermissions.get("t", main)`, then, in the next `up`,
    declares `DialingPermissions("t", default=...)` under the same name to manage it. The real engine
    (step_generator.go, "Case 2: wasExternal") checks the new inputs with no olds and creates the resource
    (a create-replacement; the read entry is dropped, never deleted), so the create records restore points.
    The harness instead diffs and updates against the read entry's outputs, which no engine does: the
    provider sees an external entry as olds. It should create, as the engine does."""
    from pulumi_twilio_dialing import CountryPermissionsArgs, DialingPermissions

    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    engine = stack()
    assert engine.up(lambda: DialingPermissions.get("t", main)).kinds() == {"t": "read"}
    hardening = CountryPermissionsArgs("unchanged", False, False)
    backend.set_flags(main, "GB", high_risk_special_numbers_enabled=True)
    plan = engine.up(lambda: DialingPermissions("t", default=hardening))
    assert plan.kinds()["t"] in ("create", "replace")
    assert engine.calls_of("Create") == ["t"] and engine.calls_of("Update") == []
    state = engine.state["t"]
    assert not state.external
    assert state.outputs["permissions_before_adoption"]["GB"]["high_risk_special_numbers_enabled"] is True
    engine.destroy()
    assert backend.stored_flags(main, "GB").high_risk_special_numbers_enabled is True  # restored


def test_update_diagnostics_never_claim_a_restore_that_on_delete_retain_skips(twilio_emulator, stack):
    """The user manages GB in `DialingPermissions.countries` (GB's special-services flag was on before, so
    its restore point is on), then in one change drops GB from `countries` and sets `on_delete="retain"`.
    The update follows the new on_delete: it leaves GB as it is (no request writes it). The preview's update
    diagnostics instead say GB's special-services flag goes back on, marked [risk]: a change, and a risky
    one, that the update will not do. The diagnostics should show no change for GB."""
    from pulumi_twilio_dialing import CountryPermissionsArgs, DialingPermissions

    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "GB", high_risk_special_numbers_enabled=True)
    engine = stack()
    engine.up(lambda: DialingPermissions("p", countries={"GB": CountryPermissionsArgs(False, False, False)}))
    assert backend.stored_flags(main, "GB").high_risk_special_numbers_enabled is False
    released = lambda: DialingPermissions("p", countries={}, on_delete="retain")  # noqa: E731
    before = len(engine.provider_output)
    engine.preview(released)
    diagnostics = engine.provider_output[before:]
    engine.up(released)
    assert backend.stored_flags(main, "GB").high_risk_special_numbers_enabled is False  # what the update did
    assert not re.search(r"\bGB\b[^\n]*->", diagnostics), diagnostics  # no line says GB changes


def test_update_diagnostics_never_claim_a_restore_of_a_country_another_resource_takes_over(twilio_emulator, stack):
    """The user moves GB out of `DialingPermissions.countries` into its own `DialingPermissionCountry` (kept
    closed), in one change. The update of the bulk resource leaves GB alone (the country resource manages it
    now: its claim is in) and hands GB's restore point over. The preview's diagnostics of the bulk resource
    instead say it turns GB's special-services flag back on, marked [risk]: a change no request makes.
    They should not name GB as changed by it."""
    from pulumi_twilio_dialing import CountryPermissionsArgs, DialingPermissionCountry, DialingPermissions

    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "GB", high_risk_special_numbers_enabled=True)
    engine = stack()
    engine.up(lambda: DialingPermissions("p", countries={"GB": CountryPermissionsArgs(False, False, False)}))

    def moved() -> None:
        DialingPermissionCountry("gb", iso_code="GB", low_risk_numbers_enabled=False)
        DialingPermissions("p", countries={})

    before = len(engine.provider_output)
    engine.preview(moved)
    diagnostics = engine.provider_output[before:]
    engine.up(moved)
    assert backend.stored_flags(main, "GB").high_risk_special_numbers_enabled is False  # what the up did
    assert engine.state["gb"].outputs["flags_before_adoption"]["high_risk_special_numbers_enabled"] is True
    assert not re.search(r"\bGB\b[^\n]*->", diagnostics), diagnostics  # no line says GB changes


def test_preview_of_a_get_whose_id_is_not_known_yet_reads_nothing(twilio_emulator, stack):
    """The user creates a tenant's subaccount and, in the same program, reads its table with
    `DialingPermissions.get("t", sub.sid)`. In a preview the SID is unknown: the real engine then skips the
    Read (step.go ReadStep.Apply: "The only time we can't run is if the ID we are given is unknown") and
    the preview succeeds. The harness sends the unknown sentinel to the provider as the ID, and the preview
    fails with "ID '04da6b54-...' is not <account SID>". The preview should succeed, and the up read the
    table of the new subaccount."""
    from pulumi_twilio_dialing import DialingPermissions, Subaccount, SubaccountArgs

    engine = stack()

    def program() -> None:
        sub = Subaccount("s", SubaccountArgs(friendly_name="tenant-later"))
        DialingPermissions.get("t", sub.sid)

    assert engine.preview(program).kinds() == {"s": "create", "t": "read"}
    assert engine.calls_of("Read") == []
    assert engine.up(program).kinds() == {"s": "create", "t": "read"}
    assert engine.state["t"].outputs["account_sid"] == engine.state["s"].id


def test_update_diagnostics_of_a_partial_state_say_the_update_reads_twilio_first(twilio_emulator, stack):
    """A create of `DialingPermissions` failed and putting back failed too: the engine keeps a partial state
    (`unverified`, no table). The next preview shows an update; its diagnostics say nothing at all, as if
    nothing would change, while the update reads Twilio and writes whatever differs (here GB's toll-fraud
    range, still open). The diagnostics should say that the state is partial and that the per-country
    changes are known only once the update has read Twilio (as preview-report's note does)."""
    from conftest import stack_config
    from harness.engine import ProviderError
    from pulumi_twilio_dialing import CountryPermissionsArgs, DialingPermissions

    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "GB", high_risk_tollfraud_numbers_enabled=True)
    engine = stack(config=stack_config(twilio_emulator, **{"twilio-dialing:retryTimeout": "0.001"}))
    program = lambda: DialingPermissions("p", default=CountryPermissionsArgs("unchanged", False, False))  # noqa: E731
    backend.faults.add(Fault("error", status=503, count=1000, path_prefix="/v1/DialingPermissions/BulkCountryUpdates"))
    with pytest.raises(ProviderError, match="StateDivergedError"):
        engine.up(program)
    assert engine.state["p"].outputs["unverified"] is True
    backend.faults.clear()
    before = len(engine.provider_output)
    assert engine.preview(program).kinds() == {"p": "update"}
    diagnostics = engine.provider_output[before:]
    engine.up(program)
    assert backend.stored_flags(main, "GB").high_risk_tollfraud_numbers_enabled is False  # the update wrote GB
    assert "partial" in diagnostics and "reads Twilio" in diagnostics


@pytest.mark.parametrize("form", ["dict", "output"])
def test_default_given_as_a_dict_or_an_output_is_registered_or_refused_clearly(make_engine, form):
    """With the new keyword form, the user writes `DialingPermissions("p", default={...})`, as they already
    may for each entry of `countries` (and as Pulumi SDKs accept dicts for nested args), or passes an Output
    for it. The constructor fails with "AttributeError: 'dict' object has no attribute 'as_dict'" (for an
    Output: "TypeError: 'Output' object is not callable"), naming neither the input nor the fix. It should
    register the flags the dict names (the provider checks them like any input)."""
    import pulumi
    from pulumi_twilio_dialing import CountryPermissionsArgs, DialingPermissions

    flags = {"high_risk_special_numbers_enabled": False, "high_risk_tollfraud_numbers_enabled": False}
    given = flags if form == "dict" else pulumi.Output.from_input(CountryPermissionsArgs(None, False, False))
    [registration] = make_engine().registrations(lambda: DialingPermissions("p", default=given), preview=True)
    assert registration.inputs["default"] == flags


def _written(backend) -> set[str]:
    """ISO codes the BulkCountryUpdates requests of the request log wrote."""
    import json

    return {
        entry["iso_code"]
        for r in backend.request_log()
        if r.method == "POST" and r.path.endswith("BulkCountryUpdates")
        for entry in json.loads(r.form["UpdateRequest"])
    }


@pytest.mark.parametrize(
    ("scenario", "change"),
    [
        # stop managing BR and IN (restore points from 0.1.0), start managing MX
        (
            "permissions_countries",
            lambda a: {"countries": {"US": a["countries"]["US"], "MX": {"low_risk_numbers_enabled": False}}},
        ),
        # stop managing everything the default managed (0.1.0 kept the whole table as restore points)
        ("permissions_hardening", lambda a: {"default": {"low_risk_numbers_enabled": "unchanged"}}),
    ],
)
def test_update_diagnostics_of_0_1_0_state_name_exactly_the_countries_the_update_writes(make_engine, scenario, change):
    """A stack written by 0.1.0 is previewed with a changed program that releases countries (their 0.1.0
    restore points) and adopts others. The countries the preview's diagnostics say would change must be
    exactly those the update then writes, and the preview makes no request."""
    import copy
    import re

    from test_state_contract import program_of, recorded_stack

    with recorded_stack(scenario, make_engine) as recorded:
        emulator, engine, fixture = recorded.emulator, recorded.engine, recorded.fixture
        [top] = fixture["program"]
        program = program_of([top | {"args": change(copy.deepcopy(top["args"]))}])
        emulator.backend.clear_request_log()
        before = len(engine.provider_output)
        assert set(engine.preview(program).kinds().values()) == {"update"}
        assert emulator.backend.request_log() == []
        diagnostics = engine.provider_output[before:]
        engine.up(program)
        written = _written(emulator.backend)
    claimed = set(re.findall(r"^  ([A-Z]{2}): ", diagnostics.split("would change", 1)[-1], re.M))
    assert written, "the change writes something"
    assert claimed == written


def test_get_of_every_resource_never_writes_through_up_refresh_and_destroy(twilio_emulator, stack):
    """The user reads every resource kind with `get` (preview, up, a second up, refresh, destroy), the
    subaccount's ID arriving as an Output. No request other than a GET may ever reach Twilio, and no
    destroy may touch what was read (holds)."""
    from helpers import make_subaccount
    from pulumi_twilio_dialing import DialingPermissionCountry, DialingPermissions, Subaccount, SubaccountInheritance

    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    sub = make_subaccount(twilio_emulator, "tenant-read-only")
    backend.set_flags(sub, "GB", high_risk_tollfraud_numbers_enabled=True)
    engine = stack()

    def program() -> None:
        read = Subaccount.get("sub", sub)
        DialingPermissions.get("table", read.sid)
        DialingPermissionCountry.get("gb", read.sid.apply(lambda sid: f"{sid}/GB"))
        SubaccountInheritance.get("inheritance", read.sid)
        DialingPermissions.get("main", main)

    backend.clear_request_log()
    engine.preview(program)
    engine.up(program)
    engine.up(program)
    engine.refresh()
    engine.destroy()
    assert {r.method for r in backend.request_log()} == {"GET"}
    assert engine.calls_of("Delete") == [] and engine.resources() == []
    assert backend.accounts[sub].status == "active"
    assert backend.stored_flags(sub, "GB").high_risk_tollfraud_numbers_enabled is True


def test_get_of_inheritance_refuses_a_main_account_as_the_resource_does(twilio_emulator, stack):
    """The user reads `SubaccountInheritance.get("x", main_sid)` with the main account's SID by mistake.
    The managed resource refuses a main account ("inheritance is a subaccount setting"); the get instead
    reads /v1/Settings as the main account and records whatever it answers (with the emulator's default,
    `false`), as if the main account had an inheritance setting (on Twilio, it may just be an opaque 400).
    It should refuse with the same message as the resource, naming the SID."""
    from harness.engine import ProviderError
    from pulumi_twilio_dialing import SubaccountInheritance

    main = twilio_emulator.main_account.sid
    engine = stack()
    with pytest.raises(ProviderError, match=f"account_sid {main} is a main account"):
        engine.up(lambda: SubaccountInheritance.get("x", main))


def test_get_of_inheritance_of_a_closed_subaccount_says_it_does_not_exist(twilio_emulator, stack):
    """`SubaccountInheritance.get` of a closed subaccount: like every get, the engine reports that the
    resource does not exist (holds; guards the main-account check added above)."""
    from harness.engine import DeploymentError
    from helpers import make_subaccount
    from pulumi_twilio_dialing import SubaccountInheritance

    closed = make_subaccount(twilio_emulator, "closed-tenant")
    twilio_emulator.backend.accounts[closed].status = "closed"
    with pytest.raises(DeploymentError, match=f"resource '{closed}' does not exist"):
        stack().up(lambda: SubaccountInheritance.get("gone", closed))
