"""Adversarial findings on the typed lifecycle (issue 9, point 2): handlers now read the engine's dicts
into lenient pydantic models (``_properties.py``). One test per finding; each docstring says what the user
does, what happened before the change, what the change did when the finding was made ("Now:"), and what
should happen ("Should:"), which the test asserts and the code does since the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
from harness.engine import ProviderError
from helpers import country, inheritance, make_subaccount
from ops_helpers import preview_report_json
from pulumi_twilio_dialing import (
    UNCHANGED,
    DialingPermissions,
    DialingPermissionsArgs,
    StateUnreadableError,
    Subaccount,
    SubaccountArgs,
)
from pulumi_twilio_dialing.dialing_permission_country import DialingPermissionCountryProvider
from pulumi_twilio_dialing.dialing_permissions import DialingPermissionsProvider

pytestmark = pytest.mark.timeout(180)

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # Pulumi's placeholder for a value known only at apply
SECRET = "[secret]"  # what `pulumi preview --json` shows for a secret without --show-secrets
TOLLFRAUD = "high_risk_tollfraud_numbers_enabled"
PREFIX = "pulumi-python:dynamic/twilio-dialing:"
MAIN = "AC00000000000000000000000000000001"
SUB = "AC00000000000000000000000000000e01"


def _report(capsys: pytest.CaptureFixture[str], tmp_path: Path, steps: list[dict[str, Any]]) -> tuple[int, Any]:
    return preview_report_json(capsys, tmp_path, {"steps": steps, "changeSummary": {}})


def _step(
    op: str, kind: str, name: str, *, inputs: dict[str, Any] | None = None, outputs: dict[str, Any] | None = None
):
    urn = f"urn:pulumi:dev::p::{PREFIX}{kind}::{name}"
    step: dict[str, Any] = {"op": op, "urn": urn}
    if inputs is not None:
        step["newState"] = {"urn": urn, "type": PREFIX + kind, "inputs": inputs}
    if outputs is not None:
        step["oldState"] = {"urn": urn, "type": PREFIX + kind, "outputs": outputs}
    return step


def _country(flag: str, value: Any, **more: Any) -> dict[str, Any]:
    """A DialingPermissionCountry's checked inputs for GB, safe but for ``flag`` set to ``value``."""
    inputs = {
        "iso_code": "GB",
        "low_risk_numbers_enabled": True,
        "high_risk_special_numbers_enabled": False,
        TOLLFRAUD: False,
        "on_delete": "restore",
    }
    return {**inputs, flag: value, **more}


# ------------------------------------------------------------------------------------- preview report
@pytest.mark.parametrize("hidden", [UNKNOWN, SECRET], ids=["unknown", "secret"])
def test_preview_report_flags_a_country_create_whose_high_risk_flag_is_hidden(capsys, tmp_path, hidden):
    """The user previews a new DialingPermissionCountry whose toll-fraud flag comes from an Output (known
    only at apply) or is a secret, and gates CI with --fail-on-risk. Before: the flag counted as "may be
    on" and the gate failed (exit 3). Now: the flag does not pass the typed model, the whole resource
    becomes "could not compute the effect (StateUnreadableError)", and the gate passes (exit 0) although
    the create may open toll-fraud ranges. Should: flag it (exit 3), as a DialingPermissions create does."""
    inputs = _country(TOLLFRAUD, hidden)
    code, document = _report(capsys, tmp_path, [_step("create", "DialingPermissionCountry", "gb", inputs=inputs)])
    assert code == 3, document
    assert ("GB", TOLLFRAUD) in {(r["item"], r["setting"]) for r in document["risk_raising"]}


def test_preview_report_flags_an_inheritance_create_whose_value_is_hidden(capsys, tmp_path):
    """Same as above for a SubaccountInheritance whose dialing_permissions_inheritance is known only at
    apply: before flagged ("inherits the parent's permissions"), now not computed and not flagged."""
    inputs = {"account_sid": SUB, "dialing_permissions_inheritance": UNKNOWN, "on_delete": "restore"}
    code, document = _report(capsys, tmp_path, [_step("create", "SubaccountInheritance", "inh", inputs=inputs)])
    assert code == 3, document


def test_preview_report_flags_a_country_create_whose_country_is_known_only_at_apply(capsys, tmp_path):
    """Pre-existing, not from the typed change: a new DialingPermissionCountry whose iso_code comes from an
    Output, with toll-fraud on. Before and after the change: no change listed, no risk, exit 0 with
    --fail-on-risk. Should: flag toll-fraud turning on for the country known at apply (exit 3)."""
    inputs = _country(TOLLFRAUD, True, iso_code=UNKNOWN)
    code, document = _report(capsys, tmp_path, [_step("create", "DialingPermissionCountry", "c", inputs=inputs)])
    assert code == 3, document
    assert ("country known at apply", TOLLFRAUD) in {(r["item"], r["setting"]) for r in document["risk_raising"]}


SIGNED_SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": '"x"'}
"""A secret in the form Pulumi's state file keeps it (a signed object), which the report reads as secret."""


@pytest.mark.parametrize("where", ["__provider", "account_sid"])
def test_preview_report_computes_a_country_create_beside_a_secret_in_signed_form(capsys, tmp_path, where):
    """The digest holds a secret as Pulumi's signed object (``__provider``, always secret, or a secret
    ``account_sid``), next to a known create turning toll-fraud on in GB. Before: neither property takes
    part in the effect, the change was listed and flagged (exit 3). Now: the object does not pass the typed
    model (``provider``/``account_sid`` must be strings): "could not compute", exit 0 with --fail-on-risk.
    Should: flag the known risk-raising change (exit 3)."""
    inputs = _country(TOLLFRAUD, True, **{where: SIGNED_SECRET})
    code, document = _report(capsys, tmp_path, [_step("create", "DialingPermissionCountry", "gb", inputs=inputs)])
    assert code == 3, document
    assert ("GB", TOLLFRAUD) in {(r["item"], r["setting"]) for r in document["risk_raising"]}


def test_preview_report_computes_a_release_beside_a_provider_in_signed_form(capsys, tmp_path):
    """A delete of a DialingPermissionCountry whose restore point turns toll-fraud back on, with
    ``__provider`` as a signed secret object in the old state. Before: the release was listed and flagged.
    Now: "could not compute". Should: list and flag it."""
    outputs = {
        "iso_code": "GB",
        "account_sid": MAIN,
        "low_risk_numbers_enabled": True,
        "high_risk_special_numbers_enabled": False,
        TOLLFRAUD: False,
        "on_delete": "restore",
        "flags_before_adoption": {
            "low_risk_numbers_enabled": True,
            "high_risk_special_numbers_enabled": False,
            TOLLFRAUD: True,
        },
        "__provider": SIGNED_SECRET,
    }
    code, document = _report(capsys, tmp_path, [_step("delete", "DialingPermissionCountry", "gb", outputs=outputs)])
    assert code == 3, document
    assert ("GB", TOLLFRAUD) in {(r["item"], r["setting"]) for r in document["risk_raising"]}


# ------------------------------------------------------------------------------------- lax coercion
def test_a_restore_point_edited_to_a_string_is_refused_not_coerced_into_a_write(twilio_emulator, stack):
    """A SubaccountInheritance whose restore point was edited by hand to the string "true" (a `pulumi
    stack import` of a hand-written export). Before: a restore point that is not a boolean was no restore
    point, and destroy wrote nothing. Now: pydantic's lax mode reads "true" as True, and destroy turns
    inheritance on: the subaccount inherits the parent's permissions, more open than the state ever said.
    Should: refuse the state by property, before any request (as for any other value this package never
    writes)."""
    backend = twilio_emulator.backend
    sub = make_subaccount(twilio_emulator)
    backend.set_inheritance(sub, False)
    engine = stack()
    engine.up(inheritance(account_sid=sub, dialing_permissions_inheritance=False))
    assert engine.state["inheritance"].outputs["inheritance_before_adoption"] is False
    engine.state["inheritance"].outputs["inheritance_before_adoption"] = "true"
    backend.clear_request_log()
    with pytest.raises(ProviderError) as raised:
        engine.destroy()
    assert "StateUnreadableError" in str(raised.value)
    assert "inheritance_before_adoption" in str(raised.value)
    assert backend.accounts[sub].inheritance is False
    assert backend.request_log() == []  # refused before any request


@pytest.mark.parametrize(
    ("provider", "outputs"),
    [
        (DialingPermissionsProvider(), {"permissions": {"GB": {"low_risk_numbers_enabled": "false"}}}),
        (DialingPermissionsProvider(), {"countries": {"GB": {"low_risk_numbers_enabled": "false"}}}),
        (DialingPermissionCountryProvider(), {"iso_code": "GB", "flags_before_adoption": {TOLLFRAUD: 0}}),
        (DialingPermissionCountryProvider(), {"iso_code": "GB", "unverified": "false"}),
    ],
    ids=["permissions", "countries", "flags_before_adoption", "unverified"],
)
def test_no_recorded_flag_is_coerced_from_a_string_or_a_number(provider, outputs):
    """Recorded flags and markers are booleans this package writes itself; a string or a number in their
    place was written by something else. Before: some were read as Python truth ("false" -> True), some
    skipped. Now: lax pydantic reads "false", "0", 0 as False and "no"/"off" too, and a country's flags
    "false" in ``countries`` stays a string that ``bool()`` turns into True. Should: refuse them."""
    with pytest.raises(StateUnreadableError):
        provider.properties(outputs, "AC00000000000000000000000000000001")


# ------------------------------------------------------------------------------------- the error itself
@pytest.mark.parametrize(
    ("outputs", "path", "held"),
    [
        ({"countries": {"GB": {"low_risk_numbers_enabled": [1]}}}, "countries.GB.low_risk_numbers_enabled", "a list"),
        (
            {"iso_code": "GB", "partial_restore_points": {TOLLFRAUD: {"on": 44.0}}},
            f"partial_restore_points.{TOLLFRAUD}.on",
            "a number",
        ),
    ],
)
def test_the_refusal_names_the_property_and_what_it_holds(outputs, path, held):
    """A refusal names the property and the JSON type it holds. Now: inside a union (a DialingPermissions
    flag: boolean or "unchanged") the path gets pydantic's member tag (``...enabled.bool``) and the value
    is said to be "null"; deeper inside, "null" too. Should: the property's path, and what it holds."""
    provider = DialingPermissionsProvider() if "countries" in outputs else DialingPermissionCountryProvider()
    with pytest.raises(StateUnreadableError) as raised:
        provider.properties(outputs)
    assert f"property {path} holds {held}," in str(raised.value)


# ------------------------------------------------------------------------------------- blocked destroys
def test_a_display_only_output_of_another_type_does_not_block_destroy(twilio_emulator, stack):
    """A DialingPermissionCountry whose informational output ``country_codes`` holds numbers (a state
    written by a script that exported the dialling codes as numbers). Those outputs take no part in any
    decision: destroy restores the country."""
    backend, main_sid = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main_sid, "GB", high_risk_tollfraud_numbers_enabled=False)
    before = backend.stored_flags(main_sid, "GB")
    engine = stack()
    engine.up(country("gb", iso_code="GB", high_risk_special_numbers_enabled=True))
    engine.state["gb"].outputs["country_codes"] = [44]
    engine.destroy()
    assert backend.stored_flags(main_sid, "GB") == before


# ------------------------------------------------------------------------------------- unknowns (before too)
def test_a_preview_with_a_default_flag_known_only_at_apply_succeeds(twilio_emulator, stack):
    """A DialingPermissions whose default toll-fraud flag comes from another resource's output (known only
    at apply). Check used to fail in preview with 'default.high_risk_tollfraud_numbers_enabled must be true,
    false or "unchanged", got <pulumi.output.Unknown object at 0x...>'. The preview succeeds (the diff is
    unknown, the engine decides), with no request."""
    engine = stack()

    def program() -> None:
        tenant = Subaccount("tenant", SubaccountArgs(friendly_name="not created yet"))
        later = tenant.sid.apply(lambda _: False)
        default = {"low_risk_numbers_enabled": UNCHANGED, "high_risk_special_numbers_enabled": False, TOLLFRAUD: later}
        DialingPermissions("perms", DialingPermissionsArgs(default=default), pulumi.ResourceOptions())

    twilio_emulator.backend.clear_request_log()
    plan = engine.preview(program)
    assert plan.kinds() == {"tenant": "create", "perms": "create"}
    assert twilio_emulator.backend.request_log() == []
