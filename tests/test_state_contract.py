"""Contract with users' stacks: state written by the code of commit b14bf80 keeps working.

``tests/data/state/*.json`` freeze what a stack held after ``pulumi up`` with that code (see
``tests/data/state/generate.py``, which must not be re-run): per resource its type token, URN, ID, inputs
and outputs, including the pickled provider ``__provider``, which names the provider class by module path
and class name. Each test here seeds the emulator with the Twilio world that state describes (same SIDs and
tokens), loads the recorded state into the harness's engine and drives the CURRENT code through it:

- refresh reads every resource with the recorded ``__provider`` and keeps it, writes nothing, and a destroy
  after it still honours the recorded restore points;
- the same program is a no-op or a state-only update (no write to Twilio, no create/replace/delete);
- a changed program applies the change; destroy then honours the restore points and ``on_delete``;
- destroy straight from the recorded outputs puts Twilio where the old code's destroy put it;
- the recorded type tokens, provider classes and URNs are still what the current code registers.

The assertions are on Twilio's effects (the emulator's accounts and flags), not on output shapes, which
may change as long as the effects do not.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
import pickletools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dill
import pulumi.runtime
import pytest
from conftest import HERMETIC_ENV, SECRET_KEYS, stack_config
from harness.engine import Engine, ResourceState, reveal
from pulumi.dynamic import ResourceProvider
from pulumi_twilio_dialing import (
    CountryPermissionsArgs,
    DialingPermissionCountry,
    DialingPermissionCountryArgs,
    DialingPermissions,
    DialingPermissionsArgs,
    Subaccount,
    SubaccountArgs,
    SubaccountInheritance,
    SubaccountInheritanceArgs,
    TenantDialingPolicy,
    TenantDialingPolicyArgs,
)
from pulumi_twilio_dialing.emulator import FLAG_NAMES, Backend, Emulator

DATA = Path(__file__).resolve().parent / "data" / "state"
SCENARIOS = sorted(path.stem for path in DATA.glob("*.json"))
EXISTING_SID = "AC00000000000000000000000000000e01"  # the subaccount some fixtures' programs found
CREATED_SID = "AC00000000000000000000000000000c01"  # the subaccount some fixtures' programs created


def load(scenario: str) -> dict[str, Any]:
    return json.loads((DATA / f"{scenario}.json").read_text())


# ------------------------------------------------------------------------------------ frozen names
FROZEN = [
    # (type token in state, resource class in the public API, provider module, provider class)
    (
        "pulumi-python:dynamic/twilio-dialing:DialingPermissionCountry",
        "DialingPermissionCountry",
        "pulumi_twilio_dialing.dialing_permission_country",
        "DialingPermissionCountryProvider",
    ),
    (
        "pulumi-python:dynamic/twilio-dialing:SubaccountInheritance",
        "SubaccountInheritance",
        "pulumi_twilio_dialing.subaccount_inheritance",
        "SubaccountInheritanceProvider",
    ),
    (
        "pulumi-python:dynamic/twilio-dialing:DialingPermissions",
        "DialingPermissions",
        "pulumi_twilio_dialing.dialing_permissions",
        "DialingPermissionsProvider",
    ),
    (
        "pulumi-python:dynamic/twilio-dialing:Subaccount",
        "Subaccount",
        "pulumi_twilio_dialing.subaccount",
        "SubaccountProvider",
    ),
]
TENANT_URNS = {
    # The URNs a real engine gives TenantDialingPolicy("acme", friendly_name=...) and its children (the
    # parent's type qualifies each child's type). The harness's URNs leave the parent out.
    "urn:pulumi:test::twilio-dialing-tests::twilio-dialing:index:TenantDialingPolicy::acme",
    "urn:pulumi:test::twilio-dialing-tests::twilio-dialing:index:TenantDialingPolicy$"
    "pulumi-python:dynamic/twilio-dialing:Subaccount::acme-subaccount",
    "urn:pulumi:test::twilio-dialing-tests::twilio-dialing:index:TenantDialingPolicy$"
    "pulumi-python:dynamic/twilio-dialing:SubaccountInheritance::acme-inheritance",
    "urn:pulumi:test::twilio-dialing-tests::twilio-dialing:index:TenantDialingPolicy$"
    "pulumi-python:dynamic/twilio-dialing:DialingPermissions::acme-permissions",
}


EXAMPLES: dict[str, Callable[[], Any]] = {
    # one program per resource class of FROZEN, registering it through the public API
    "DialingPermissionCountry": lambda: DialingPermissionCountry("r", DialingPermissionCountryArgs(iso_code="GB")),
    "SubaccountInheritance": lambda: SubaccountInheritance(
        "r", SubaccountInheritanceArgs(account_sid=EXISTING_SID, dialing_permissions_inheritance=False)
    ),
    "DialingPermissions": lambda: DialingPermissions("r", DialingPermissionsArgs()),
    "Subaccount": lambda: Subaccount("r", SubaccountArgs(friendly_name="x")),
}


def pickled_class(blob: str) -> tuple[str, str]:
    """(module, class) a pickled provider names, read from the pickle's opcodes without running it."""
    strings: list[str] = []
    for opcode, arg, _ in pickletools.genops(base64.b64decode(blob)):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif opcode.name == "STACK_GLOBAL":
            return strings[-2], strings[-1]
        elif opcode.name == "GLOBAL":
            module, name = str(arg).split(" ")
            return module, name
    raise AssertionError("the pickled provider names no class")


class _Registrations(pulumi.runtime.Mocks):
    """Records each custom resource the program registers (type token, name, inputs) in a preview."""

    def __init__(self) -> None:
        self.custom: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.custom:
            self.custom.append((args.typ, args.name, dict(args.inputs)))
        return None, {}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        raise NotImplementedError(args.token)


def register(program: Callable[[], Any], project: str, stack: str) -> tuple[_Registrations, set[str]]:
    """Run ``program`` as a preview under mocks: its custom registrations and the engine's URN of every
    resource (component or custom) it registers."""
    mocks = _Registrations()
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True)

    @pulumi.runtime.test
    def run() -> Any:
        program()
        return pulumi.Output.from_input(None)

    run()
    # The mocks qualify a top-level resource's type with the root stack's; the engine leaves it out.
    urns = pulumi.runtime.settings.get_monitor().get_registered_resources()
    return mocks, {urn.replace("::pulumi:pulumi:Stack$", "::") for urn in urns}


def test_frozen_names_still_exist():
    """Users' stacks hold these names; renaming or moving any of them breaks every existing stack.

    - The type token is part of each resource's URN: a new token makes the engine create a new resource
      and delete the old one (for a Subaccount, delete CLOSES it, irreversibly).
    - ``__provider`` pickles the provider class by reference (module path + class name); refresh and
      destroy unpickle the blob from state, so the class must stay importable under that name (or keep
      an alias there) and accept the empty pickled state.
    - TenantDialingPolicy's component type and its children's names are in the children's URNs too.
    """
    recorded = {
        (r["type"], *pickled_class(r["outputs"]["__provider"]))
        for scenario in SCENARIOS
        for r in load(scenario)["resources"]
    }
    assert recorded == {(token, module, name) for token, _, module, name in FROZEN}
    for token, resource, module_path, class_name in FROZEN:
        provider = getattr(importlib.import_module(module_path), class_name)
        assert issubclass(provider, ResourceProvider), (module_path, class_name)
        mocks, _ = register(EXAMPLES[resource], "twilio-dialing-tests", "test")
        [(registered_type, _, inputs)] = mocks.custom
        assert registered_type == token
        blob = base64.b64decode(reveal(inputs["__provider"]))
        assert type(dill.loads(blob)) is provider  # noqa: S301 - our own blob, made by this test

    tenant = TenantDialingPolicyArgs(friendly_name="Acme", allowed_countries=["US"])
    _, urns = register(lambda: TenantDialingPolicy("acme", tenant), "twilio-dialing-tests", "test")
    assert urns == TENANT_URNS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_program_still_registers_the_recorded_urns(scenario):
    """The fixture's program, run by the current code, gives every resource the URN in the state (the
    engine matches state by URN: another URN would create a new resource and delete the recorded one)."""
    fixture = load(scenario)
    mocks, registered = register(program_of(fixture["program"]), fixture["project"], fixture["stack"])
    custom_names = {name for _, name, _ in mocks.custom}
    custom = {urn for urn in registered if urn.rsplit("::", 1)[1] in custom_names}
    assert custom == {r["urn"] for r in fixture["resources"]}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_recorded_provider_unpickles_to_the_current_class(scenario):
    for resource in load(scenario)["resources"]:
        for props in (resource["inputs"], resource["outputs"]):
            module_path, class_name = pickled_class(props["__provider"])
            assert f"{module_path}:{class_name}" == resource["provider_class"]
            current = getattr(importlib.import_module(module_path), class_name)
            provider = dill.loads(base64.b64decode(props["__provider"]))  # noqa: S301 - a committed fixture
            assert type(provider) is current
            assert isinstance(provider, ResourceProvider)


def test_the_fixtures_hold_no_secret_but_the_fake_tokens():
    fake = {
        "0123456789abcdef0123456789abcdef",  # main
        "0123456789abcdef0123456789abce01",  # the existing subaccount
        "0123456789abcdef0123456789abcc01",  # a created subaccount
    }
    for scenario in SCENARIOS:
        text = (DATA / f"{scenario}.json").read_text()
        assert set(re.findall(r"(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])", text)) <= fake, scenario
        for resource in load(scenario)["resources"]:
            assert not any(token in json.dumps(resource) for token in fake), scenario  # state holds no token


# ------------------------------------------------------------------------------------ the world
def snapshot(backend: Backend) -> dict[str, Any]:
    """The emulator's accounts as the fixtures record them (countries with any flag on, per account)."""
    accounts = {}
    for sid, account in sorted(backend.accounts.items()):
        accounts[sid] = {
            "friendly_name": account.friendly_name,
            "owner_account_sid": account.owner_account_sid,
            "status": account.status,
            "auth_token": account.auth_token,
            "dialing_permissions_inheritance": account.inheritance,
            "flags_on": {
                iso: flags.as_dict() for iso, flags in sorted(account.flags.items()) if any(flags.as_dict().values())
            },
        }
    return {"accounts": accounts}


def effects(world: dict[str, Any]) -> dict[str, Any]:
    """What Twilio would enforce: status, and for an account still open its inheritance and flags. Names
    are left out: the old code does not undo the rename of an adopted subaccount on destroy; new code may."""
    return {
        sid: {"status": a["status"]}
        | (
            {}
            if a["status"] == "closed"
            else {"inheritance": a["dialing_permissions_inheritance"], "flags_on": a["flags_on"]}
        )
        for sid, a in world["accounts"].items()
    }


def seed(backend: Backend, world: dict[str, Any]) -> None:
    """Make the emulator hold exactly ``world``'s accounts (same SIDs and tokens) and flags."""
    off = dict.fromkeys(FLAG_NAMES, False)
    for sid, recorded in world["accounts"].items():
        account = backend.accounts.get(sid) or backend.create_main_account(
            recorded["friendly_name"], sid=sid, auth_token=recorded["auth_token"]
        )
        account.friendly_name = recorded["friendly_name"]
        account.owner_account_sid = recorded["owner_account_sid"]
        account.status = recorded["status"]
        account.inheritance = recorded["dialing_permissions_inheritance"]
        for iso in account.flags:
            backend.set_flags(sid, iso, **recorded["flags_on"].get(iso, off))
    assert snapshot(backend) == world


# ------------------------------------------------------------------------------------ programs
RESOURCES: dict[str, tuple[Any, Any]] = {
    "DialingPermissionCountry": (DialingPermissionCountry, DialingPermissionCountryArgs),
    "SubaccountInheritance": (SubaccountInheritance, SubaccountInheritanceArgs),
    "DialingPermissions": (DialingPermissions, DialingPermissionsArgs),
    "Subaccount": (Subaccount, SubaccountArgs),
    "TenantDialingPolicy": (TenantDialingPolicy, TenantDialingPolicyArgs),
}


def program_of(entries: list[dict[str, Any]]) -> Callable[[], None]:
    """The program a fixture's ``program`` describes: resource class, name and args."""

    def run() -> None:
        for entry in entries:
            resource, args_type = RESOURCES[entry["resource"]]
            args = copy.deepcopy(entry["args"])
            if "default" in args:
                args["default"] = CountryPermissionsArgs(**args["default"])
            resource(entry["name"], args_type(**args))

    return run


def _flags(low: bool = False, special: bool = False, tollfraud: bool = False) -> dict[str, bool]:
    return dict(zip(FLAG_NAMES, (low, special, tollfraud), strict=True))


@dataclass(frozen=True)
class Change:
    """A change to the fixture program's (only top-level) resource and what it must do to Twilio."""

    args: Callable[[dict[str, Any]], dict[str, Any]]
    applied: Callable[[Backend, str], bool]  # (backend, main account SID) -> whether Twilio shows the change


def _flags_on(backend: Backend, sid: str, iso: str) -> dict[str, bool]:
    return backend.stored_flags(sid, iso).as_dict()


CHANGES = {
    "country_main_restore": Change(
        lambda a: a | {"high_risk_special_numbers_enabled": False},
        lambda b, main: _flags_on(b, main, "GB") == _flags(low=True),
    ),
    "country_subaccount_disable": Change(
        lambda a: a | {"high_risk_tollfraud_numbers_enabled": False},
        lambda b, main: _flags_on(b, EXISTING_SID, "FR") == _flags(low=True),
    ),
    "subaccount_inheritance": Change(
        lambda a: a | {"dialing_permissions_inheritance": True},
        lambda b, main: b.accounts[EXISTING_SID].inheritance is True,
    ),
    "permissions_hardening": Change(
        lambda a: a | {"countries": {"GB": {"high_risk_special_numbers_enabled": True}}},
        lambda b, main: _flags_on(b, main, "GB") == _flags(special=True),
    ),
    "permissions_countries": Change(
        lambda a: a | {"countries": a["countries"] | {"MX": {"low_risk_numbers_enabled": True}}},
        lambda b, main: _flags_on(b, main, "MX") == _flags(low=True),
    ),
    "subaccount_created": Change(
        lambda a: a | {"friendly_name": "Acme Corp"},
        lambda b, main: b.accounts[CREATED_SID].friendly_name == "Acme Corp",
    ),
    "subaccount_adopted": Change(
        lambda a: a | {"friendly_name": "Adopted tenant (renamed)"},
        lambda b, main: b.accounts[EXISTING_SID].friendly_name == "Adopted tenant (renamed)",
    ),
    "tenant_created": Change(
        lambda a: a | {"allowed_countries": [*a["allowed_countries"], "FR"]},
        lambda b, main: _flags_on(b, CREATED_SID, "FR") == _flags(low=True),
    ),
    "tenant_existing": Change(
        lambda a: a | {"allowed_countries": [*a["allowed_countries"], "MX"]},
        lambda b, main: _flags_on(b, EXISTING_SID, "MX") == _flags(low=True),
    ),
}


# ------------------------------------------------------------------------------------ the contract
@dataclass
class Recorded:
    fixture: dict[str, Any]
    emulator: Emulator
    engine: Engine

    @property
    def names(self) -> list[str]:
        return [r["name"] for r in self.fixture["resources"]]

    @property
    def world(self) -> dict[str, Any]:
        return self.fixture["world"]

    def writes(self) -> list[str]:
        return [r.path for r in self.emulator.backend.request_log() if r.method != "GET"]


@contextmanager
def recorded_stack(scenario: str, make_engine: Callable[..., Engine]) -> Iterator[Recorded]:
    """The emulator seeded with the world after the recorded up, and an engine holding the recorded state."""
    fixture = load(scenario)
    world = fixture["world"]
    with Emulator(main_account_sid=world["main_account_sid"], main_auth_token=world["main_auth_token"]) as emulator:
        seed(emulator.backend, world["after"])
        engine = make_engine(
            config=stack_config(emulator),
            secret_keys=SECRET_KEYS,
            env=HERMETIC_ENV,
            project=fixture["project"],
            stack=fixture["stack"],
        )
        # The fixtures also record each resource's parent and dependencies (a stack keeps them; the harness
        # at b14bf80 did not model them), for a harness that does.
        for r in fixture["resources"]:
            engine.state[r["name"]] = ResourceState(
                r["type"],
                r["name"],
                r["urn"],
                r["id"],
                copy.deepcopy(r["inputs"]),
                copy.deepcopy(r["outputs"]),
                set(r["secret_outputs"]),
            )
        emulator.backend.clear_request_log()
        yield Recorded(fixture, emulator, engine)


@pytest.fixture(params=SCENARIOS)
def recorded(request, make_engine) -> Iterator[Recorded]:
    with recorded_stack(request.param, make_engine) as stack:
        yield stack


def test_refresh_keeps_the_recorded_resources_and_their_restore_points(recorded):
    engine, backend = recorded.engine, recorded.emulator.backend
    plan = engine.refresh()
    assert set(plan.kinds().values()) <= {"same", "refresh"}, plan.kinds()
    # every Read unpickled the recorded __provider; the state records no dependencies between the
    # resources, so the harness runs their steps concurrently and the order of the calls varies
    assert sorted(engine.calls_of("Read")) == sorted(recorded.names)
    for r in recorded.fixture["resources"]:
        assert engine.state[r["name"]].id == r["id"]
        assert engine.state[r["name"]].outputs["__provider"] == r["outputs"]["__provider"]
    assert recorded.writes() == []
    assert snapshot(backend) == recorded.world["after"]

    engine.destroy()  # the restore points survived the refresh
    assert engine.state == {}
    assert effects(snapshot(backend)) == effects(recorded.world["destroyed"])


def test_destroy_of_the_recorded_state_restores_twilio(recorded):
    engine, backend = recorded.engine, recorded.emulator.backend
    dependencies = {s.name: {d.rsplit("::", 1)[-1] for d in s.dependencies} for s in engine.state.values()}
    engine.destroy()
    deleted = engine.calls_of("Delete")
    assert sorted(deleted) == sorted(recorded.names)  # every Delete unpickled the recorded __provider
    # Independent resources are deleted in parallel (as the engine does), so only dependents-first is fixed.
    for name, needs in dependencies.items():
        assert all(deleted.index(name) < deleted.index(need) for need in needs), (name, needs, deleted)
    assert engine.state == {}
    assert effects(snapshot(backend)) == effects(recorded.world["destroyed"])


def test_the_same_program_writes_nothing_and_a_changed_one_applies(recorded):
    engine, backend, fixture = recorded.engine, recorded.emulator.backend, recorded.fixture
    program = fixture["program"]
    main = recorded.world["main_account_sid"]

    plan = engine.up(program_of(program))
    assert set(plan.kinds().values()) <= {"same", "update"}, plan.kinds()  # never create, replace or delete
    assert recorded.writes() == []
    assert {name: s.id for name, s in engine.state.items()} == {r["name"]: r["id"] for r in fixture["resources"]}
    assert snapshot(backend) == recorded.world["after"]

    change = CHANGES[fixture["scenario"]]
    [top] = program
    plan = engine.up(program_of([top | {"args": change.args(copy.deepcopy(top["args"]))}]))
    assert set(plan.kinds().values()) <= {"same", "update"}, plan.kinds()
    assert change.applied(backend, main), fixture["scenario"]
    assert {name: s.id for name, s in engine.state.items()} == {r["name"]: r["id"] for r in fixture["resources"]}

    engine.destroy()  # restore points recorded by the old code, kept through the update, are honoured
    assert engine.state == {}
    assert effects(snapshot(backend)) == effects(recorded.world["destroyed"])
