"""Handlers work on typed properties (``_properties.py``): what the engine sends is read once into each
resource's model, leniently for state, and a state this package could not have written is refused by name
before any request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness.engine import ProviderError
from helpers import country, requests_made
from pulumi_twilio_dialing import (
    CountryPermissionsArgs,
    DialingPermissions,
    DialingPermissionsArgs,
    StateUnreadableError,
    Subaccount,
    SubaccountArgs,
)
from pulumi_twilio_dialing._lifecycle import ManagedProvider
from pulumi_twilio_dialing._properties import PROVIDER_KEY
from pulumi_twilio_dialing.dialing_permission_country import DialingPermissionCountryProvider
from pulumi_twilio_dialing.dialing_permissions import DialingPermissionsProvider
from pulumi_twilio_dialing.subaccount import SubaccountProvider
from pulumi_twilio_dialing.subaccount_inheritance import SubaccountInheritanceProvider

DATA = Path(__file__).resolve().parent / "data" / "state"
PROVIDERS: dict[str, ManagedProvider] = {
    "DialingPermissionCountry": DialingPermissionCountryProvider(),
    "DialingPermissions": DialingPermissionsProvider(),
    "Subaccount": SubaccountProvider(),
    "SubaccountInheritance": SubaccountInheritanceProvider(),
}
SECRET_LOOKING = "do-not-echo-this-value-7f3a"


def _recorded() -> list[tuple[str, str, dict]]:
    found = []
    for path in sorted(DATA.glob("*.json")):
        for resource in json.loads(path.read_text())["resources"]:
            kind = resource["type"].rsplit(":", 1)[-1]
            if kind in PROVIDERS:
                found.append((f"{path.stem}:{resource['name']}", kind, resource["outputs"]))
    return found


@pytest.mark.parametrize(("where", "kind", "outputs"), _recorded(), ids=[r[0] for r in _recorded()])
def test_every_recorded_output_is_a_declared_property_and_reads_back_unchanged(where, kind, outputs):
    """0.1.0 state: every output it holds is a field of the resource's model (nothing is left to the
    untyped extras), and the model gives back exactly what the engine sent."""
    props = PROVIDERS[kind].properties(outputs)
    assert props.model_extra == {}, (where, props.model_extra)
    assert props.wire() == outputs
    assert props.provider == outputs[PROVIDER_KEY]


@pytest.mark.parametrize(
    ("kind", "outputs", "named"),
    [
        ("DialingPermissions", {"permissions": ["not", "a", SECRET_LOOKING]}, "property permissions holds a list"),
        ("DialingPermissions", {"countries": {"GB": SECRET_LOOKING}}, "property countries.GB holds a string"),
        ("DialingPermissionCountry", {"iso_code": "GB", "flags_before_adoption": SECRET_LOOKING}, "a string"),
        ("SubaccountInheritance", {"dialing_permissions_inheritance": [SECRET_LOOKING]}, "holds a list"),
        ("Subaccount", {"friendly_name": {"x": SECRET_LOOKING}}, "property friendly_name holds an object"),
        # on_delete decides what destroy does (closing is irreversible): a value outside the resource's own
        # choices is refused, never read as the default
        ("Subaccount", {"on_delete": ""}, "property on_delete holds a string"),
        ("DialingPermissions", {"on_delete": "disable"}, "property on_delete holds a string"),
    ],
)
def test_a_state_of_the_wrong_type_is_refused_by_name_without_its_value(kind, outputs, named):
    with pytest.raises(StateUnreadableError) as raised:
        PROVIDERS[kind].properties(outputs, "AC00000000000000000000000000000001")
    message = str(raised.value)
    assert named in message
    assert message.startswith(f"{kind} AC00000000000000000000000000000001: ")
    assert "pulumi state delete" in message and "pulumi stack import" in message
    assert SECRET_LOOKING not in message  # a property may hold a secret: never quoted


def test_a_destroy_of_a_hand_edited_state_says_which_property_and_sends_nothing(twilio_emulator, stack):
    engine = stack()
    engine.up(
        lambda: DialingPermissions(
            "perms", DialingPermissionsArgs(default=CountryPermissionsArgs("unchanged", False, False))
        )
    )
    state = engine.state["perms"]
    state.outputs["permissions_before_adoption"] = {"GB": SECRET_LOOKING}  # pulumi stack import of an edit
    twilio_emulator.backend.clear_request_log()
    with pytest.raises(ProviderError) as raised:
        engine.destroy()
    message = str(raised.value)
    assert "StateUnreadableError" in message and "property permissions_before_adoption.GB holds a string" in message
    assert SECRET_LOOKING not in message
    assert twilio_emulator.backend.request_log() == []  # refused before any request
    assert "perms" in engine.state  # the engine keeps the resource: nothing was restored


def test_a_subaccount_renamed_in_the_console_beyond_the_input_rules_refreshes_and_closes(twilio_emulator, stack):
    """The state's name is what Twilio holds, not an input: a name no input would pass (too long, with a
    newline) must not block refresh or destroy."""
    backend = twilio_emulator.backend
    engine = stack()
    engine.up(lambda: Subaccount("tenant", SubaccountArgs(friendly_name="Acme")))
    sid = engine.state["tenant"].id
    odd = "Acme\n" + "x" * 80
    backend.accounts[sid].friendly_name = odd
    engine.refresh()
    assert engine.state["tenant"].outputs["friendly_name"] == odd
    engine.destroy()
    assert backend.accounts[sid].status == "closed"


def test_outputs_of_a_newer_version_do_not_block_refresh_update_or_destroy(twilio_emulator, stack):
    """A downgrade: the state holds outputs this version does not declare. They are read without complaint,
    kept by an update that writes nothing, and the recorded restore points still drive the destroy."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    before = backend.stored_flags(main, "GB")
    engine = stack()
    engine.up(country("gb", iso_code="GB", high_risk_special_numbers_enabled=True))
    engine.state["gb"].outputs["added_in_a_later_version"] = {"anything": [1, 2]}
    special = {"iso_code": "GB", "high_risk_special_numbers_enabled": True}
    assert requests_made(twilio_emulator, lambda: engine.up(country("gb", **special, on_delete="disable"))) == []
    assert engine.state["gb"].outputs["added_in_a_later_version"] == {"anything": [1, 2]}
    assert engine.state["gb"].outputs["on_delete"] == "disable"
    engine.refresh()
    engine.up(country("gb", **special))
    engine.destroy()
    assert backend.stored_flags(main, "GB") == before
