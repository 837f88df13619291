"""Generator of the frozen Pulumi state fixtures in this directory. DO NOT RE-RUN IT.

It was run ONCE, at commit b14bf80 (the code before the providers' refactor), from a scratch clone of
that commit, with the clone's package imported both here and in the provider server::

    git clone <repo> /tmp/state-fixtures && cd /tmp/state-fixtures   # at b14bf80
    PYTHONPATH=/tmp/state-fixtures/provider:/tmp/state-fixtures/tests \\
        <venv>/bin/python tests/data/state/generate.py

Each ``<scenario>.json`` holds what a user's stack keeps after ``pulumi up`` of a representative program
written against that code: per resource its type token, name, URN, ID, inputs, outputs (with the pickled
provider ``__provider``) and secret output names, as ``tests/harness/engine.py`` keeps them, except that
the URN is the Pulumi engine's (with the parent component's type, which that harness left out) and the
parent URN and dependencies a stack also keeps are added (see ``registrations_seen``); plus the Twilio
world (the emulator's accounts and flags) before the up, after it, and after a ``destroy`` of that state.
``tests/test_state_contract.py`` loads them to prove that newer code can still refresh, update and destroy
state written by this code. Re-running this file on newer code would overwrite that evidence with
state the NEW code wrote, which proves nothing: it refuses to run anywhere but at b14bf80.

Every SID and auth token is a fixed, obviously fake value chosen here, including the SIDs and tokens the
emulator gives the subaccounts the programs create (``CREATED_SIDS``, ``CREATED_TOKENS``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
COMMIT = "b14bf80"

PROJECT = "twilio-dialing-tests"
STACK = "test"
FORMAT = 1

MAIN_SID = "AC00000000000000000000000000000001"
MAIN_TOKEN = "0123456789abcdef0123456789abcdef"
EXISTING_SID = "AC00000000000000000000000000000e01"  # a subaccount that exists before the up
EXISTING_TOKEN = "0123456789abcdef0123456789abce01"
CREATED_SIDS = ["AC00000000000000000000000000000c01", "AC00000000000000000000000000000c02"]
CREATED_TOKENS = {
    "AC00000000000000000000000000000c01": "0123456789abcdef0123456789abcc01",
    "AC00000000000000000000000000000c02": "0123456789abcdef0123456789abcc02",
}
FAKE_SECRETS = {MAIN_TOKEN, EXISTING_TOKEN, *CREATED_TOKENS.values()}

FLAG_NAMES = (
    "low_risk_numbers_enabled",
    "high_risk_special_numbers_enabled",
    "high_risk_tollfraud_numbers_enabled",
)


# ----------------------------------------------------------------------------------------- guards
def _refuse_unless_at_the_frozen_commit() -> None:
    import pulumi_twilio_dialing

    package = Path(pulumi_twilio_dialing.__file__).resolve()
    if not str(package).startswith(str(REPO)):
        sys.exit(f"refusing: pulumi_twilio_dialing comes from {package}, not from {REPO}; set PYTHONPATH")
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "provider", "tests/harness"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not head.startswith(COMMIT) or dirty:
        sys.exit(f"refusing: the fixtures freeze the state of commit {COMMIT}; this is {head[:7]} (dirty: {dirty!r})")
    # The provider server is `python -m pulumi.dynamic` with this environment: it must import the same code.
    served = subprocess.run(
        [sys.executable, "-c", "import pulumi_twilio_dialing; print(pulumi_twilio_dialing.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env=os.environ,
    ).stdout.strip()
    if not served.startswith(str(REPO)):
        sys.exit(f"refusing: the provider server would import {served}")


# ----------------------------------------------------------------------------------------- programs
def build_program(program: list[dict[str, Any]]) -> Callable[[], None]:
    """The Pulumi program a fixture's ``program`` describes (resource class, name, args)."""
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

    classes: dict[str, tuple[Any, Any]] = {
        "DialingPermissionCountry": (DialingPermissionCountry, DialingPermissionCountryArgs),
        "SubaccountInheritance": (SubaccountInheritance, SubaccountInheritanceArgs),
        "DialingPermissions": (DialingPermissions, DialingPermissionsArgs),
        "Subaccount": (Subaccount, SubaccountArgs),
        "TenantDialingPolicy": (TenantDialingPolicy, TenantDialingPolicyArgs),
    }

    def run() -> None:
        for entry in program:
            resource, args_type = classes[entry["resource"]]
            args = dict(entry["args"])
            if "default" in args:
                args["default"] = CountryPermissionsArgs(**args["default"])
            resource(entry["name"], args_type(**args))

    return run


# ----------------------------------------------------------------------------------------- the world
def snapshot(backend: Any) -> dict[str, Any]:
    """The emulator's accounts: identity, status, inheritance and every country with a flag ON (every
    country not listed has all three flags off)."""
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


def seed_subaccount(backend: Any, sid: str, token: str, name: str, *, inheritance: bool = True) -> None:
    backend._new_account(sid, token, name, owner=MAIN_SID, inheritance=inheritance)


@contextmanager
def emulator() -> Iterator[Any]:
    from pulumi_twilio_dialing.emulator import Emulator, _backend

    sids = iter(CREATED_SIDS)
    original_new_sid = _backend.new_sid
    _backend.new_sid = lambda prefix: next(sids) if prefix == "AC" else original_new_sid(prefix)
    try:
        with Emulator(main_account_sid=MAIN_SID, main_auth_token=MAIN_TOKEN) as running:
            backend = running.backend
            new_account = backend._new_account

            def fixed_token(sid: str, auth_token: str | None, friendly_name: str, **kwargs: Any) -> Any:
                return new_account(sid, auth_token or CREATED_TOKENS[sid], friendly_name, **kwargs)

            backend._new_account = fixed_token
            yield running
    finally:
        _backend.new_sid = original_new_sid


ROOT_STACK = "pulumi:pulumi:Stack"


def _engine_urn(urn: str) -> str:
    """The URN the Pulumi engine gives (``resource.NewURN``): the mocks qualify top-level types with the
    root stack's, which the engine leaves out."""
    return urn.replace(f"::{ROOT_STACK}$", "::")


@contextmanager
def registrations_seen() -> Iterator[dict[str, dict[str, Any]]]:
    """Per resource name, what the SDK's RegisterResource request said: URN, parent URN, dependencies.

    The harness at b14bf80 keeps a URN without the parent's type and neither parent nor dependencies;
    a stack keeps all three, so the fixtures record them from the request the SDK sends."""
    from pulumi.runtime.mocks import MockMonitor

    seen: dict[str, dict[str, Any]] = {}
    original = MockMonitor.RegisterResource

    def register(self: Any, request: Any) -> Any:
        response = original(self, request)
        if request.type != ROOT_STACK:
            parent = "" if f"::{ROOT_STACK}::" in request.parent else _engine_urn(request.parent)
            seen[request.name] = {
                "urn": _engine_urn(response.urn),
                "parent": parent,
                "dependencies": sorted(_engine_urn(d) for d in request.dependencies),
            }
        return response

    MockMonitor.RegisterResource = register
    try:
        yield seen
    finally:
        MockMonitor.RegisterResource = original


def engine_for(running: Any) -> Any:
    from harness.engine import Engine

    return Engine(
        cwd=REPO,
        project=PROJECT,
        stack=STACK,
        config={
            "twilio:accountSid": MAIN_SID,
            "twilio:authToken": MAIN_TOKEN,
            "twilio-dialing:apiUrl": running.url,
            "twilio-dialing:retryBaseDelay": "0.01",
            "twilio-dialing:retryTimeout": "5",
        },
        secret_keys={"twilio:authToken", "twilio:apiSecret"},
        env={
            name: ""
            for name in (
                "TWILIO_ACCOUNT_SID",
                "TWILIO_AUTH_TOKEN",
                "TWILIO_API_KEY",
                "TWILIO_API_SECRET",
                "TWILIO_DIALING_API_URL",
            )
        },
    )


# ----------------------------------------------------------------------------------------- scenarios
@dataclass
class Scenario:
    name: str
    description: str
    program: list[dict[str, Any]]
    seed: Callable[[Any], None] = lambda backend: None
    # (before, after, destroyed) worlds -> None; asserts what this scenario is meant to show
    sanity: Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], None] = lambda b, a, d: None
    notes: list[str] = field(default_factory=list)


def _on(world: dict[str, Any], sid: str) -> dict[str, Any]:
    return world["accounts"][sid]["flags_on"]


def _flags(low: bool = False, special: bool = False, tollfraud: bool = False) -> dict[str, bool]:
    return dict(zip(FLAG_NAMES, (low, special, tollfraud), strict=True))


def _seed_country_main(backend: Any) -> None:
    backend.set_flags(MAIN_SID, "GB", high_risk_tollfraud_numbers_enabled=True)  # drift: the restore point


def _sanity_country_main(before: Any, after: Any, destroyed: Any) -> None:
    assert _on(before, MAIN_SID)["GB"] == _flags(tollfraud=True)
    assert _on(after, MAIN_SID)["GB"] == _flags(low=True, special=True)
    assert destroyed == before


def _seed_country_sub(backend: Any) -> None:
    seed_subaccount(backend, EXISTING_SID, EXISTING_TOKEN, "Existing tenant")
    backend.set_flags(EXISTING_SID, "FR", low_risk_numbers_enabled=True)


def _sanity_country_sub(before: Any, after: Any, destroyed: Any) -> None:
    assert _on(before, EXISTING_SID)["FR"] == _flags(low=True)
    assert _on(after, EXISTING_SID)["FR"] == _flags(low=True, tollfraud=True)
    assert "FR" not in _on(destroyed, EXISTING_SID)  # disabled, not restored
    assert _on(destroyed, MAIN_SID) == _on(before, MAIN_SID)


def _seed_existing(backend: Any) -> None:
    seed_subaccount(backend, EXISTING_SID, EXISTING_TOKEN, "Existing tenant")


def _sanity_inheritance(before: Any, after: Any, destroyed: Any) -> None:
    assert before["accounts"][EXISTING_SID]["dialing_permissions_inheritance"] is True
    assert after["accounts"][EXISTING_SID]["dialing_permissions_inheritance"] is False
    assert destroyed == before


HIGH_RISK_BEFORE = {
    "GB": {"high_risk_special_numbers_enabled": True},
    "DE": {"high_risk_tollfraud_numbers_enabled": True},
    "MX": {"high_risk_special_numbers_enabled": True, "high_risk_tollfraud_numbers_enabled": True},
    "BR": {"low_risk_numbers_enabled": True, "high_risk_special_numbers_enabled": True},
}


def _seed_hardening(backend: Any) -> None:
    for iso, flags in HIGH_RISK_BEFORE.items():
        backend.set_flags(MAIN_SID, iso, **flags)


def _sanity_hardening(before: Any, after: Any, destroyed: Any) -> None:
    assert set(_on(before, MAIN_SID)) == {"GB", "DE", "MX", "BR", "US"}
    assert _on(after, MAIN_SID) == {"BR": _flags(low=True), "US": _flags(low=True)}  # low-risk unchanged
    assert destroyed == before


def _seed_countries(backend: Any) -> None:
    backend.set_flags(MAIN_SID, "IN", high_risk_tollfraud_numbers_enabled=True)
    backend.set_flags(MAIN_SID, "US", high_risk_tollfraud_numbers_enabled=True)
    backend.set_flags(MAIN_SID, "FR", high_risk_special_numbers_enabled=True)  # not listed: not managed


def _sanity_countries(before: Any, after: Any, destroyed: Any) -> None:
    assert _on(after, MAIN_SID) == {
        "BR": _flags(low=True),
        "FR": _flags(special=True),
        "IN": _flags(low=True, special=True, tollfraud=True),
        "US": _flags(low=True),
    }
    assert destroyed == before


def _sanity_subaccount_created(before: Any, after: Any, destroyed: Any) -> None:
    created = CREATED_SIDS[0]
    assert created not in before["accounts"]
    assert after["accounts"][created]["status"] == "active"
    assert destroyed["accounts"][created]["status"] == "closed"


def _seed_adopted(backend: Any) -> None:
    seed_subaccount(backend, EXISTING_SID, EXISTING_TOKEN, "Legacy name")


def _sanity_subaccount_adopted(before: Any, after: Any, destroyed: Any) -> None:
    assert after["accounts"][EXISTING_SID]["friendly_name"] == "Adopted tenant"
    assert destroyed == after  # retain: nothing closes, the name stays


def _sanity_tenant_created(before: Any, after: Any, destroyed: Any) -> None:
    created = CREATED_SIDS[0]
    assert after["accounts"][created]["dialing_permissions_inheritance"] is False
    assert _on(after, created) == {"GB": _flags(low=True), "US": _flags(low=True)}
    assert destroyed["accounts"][created]["status"] == "closed"
    assert _on(destroyed, MAIN_SID) == _on(before, MAIN_SID)


def _seed_tenant_existing(backend: Any) -> None:
    seed_subaccount(backend, EXISTING_SID, EXISTING_TOKEN, "Existing tenant")
    backend.set_flags(EXISTING_SID, "DE", high_risk_special_numbers_enabled=True)
    backend.set_flags(EXISTING_SID, "GB", low_risk_numbers_enabled=True)


def _sanity_tenant_existing(before: Any, after: Any, destroyed: Any) -> None:
    assert after["accounts"][EXISTING_SID]["dialing_permissions_inheritance"] is False
    assert _on(after, EXISTING_SID) == {"BR": _flags(low=True)}
    assert destroyed == before


SCENARIOS = [
    Scenario(
        "country_main_restore",
        "DialingPermissionCountry GB on the configured (main) account, default on_delete (restore); GB had "
        "the toll-fraud flag on before, which is the restore point.",
        [
            {
                "resource": "DialingPermissionCountry",
                "name": "gb",
                "args": {"iso_code": "GB", "high_risk_special_numbers_enabled": True},
            }
        ],
        _seed_country_main,
        _sanity_country_main,
    ),
    Scenario(
        "country_subaccount_disable",
        "DialingPermissionCountry FR on an existing subaccount (account_sid, parent credentials only) with "
        'on_delete="disable": destroy turns all three flags off instead of restoring low-risk.',
        [
            {
                "resource": "DialingPermissionCountry",
                "name": "fr",
                "args": {
                    "iso_code": "FR",
                    "account_sid": EXISTING_SID,
                    "high_risk_tollfraud_numbers_enabled": True,
                    "on_delete": "disable",
                },
            }
        ],
        _seed_country_sub,
        _sanity_country_sub,
    ),
    Scenario(
        "subaccount_inheritance",
        "SubaccountInheritance turning inheritance off on an existing subaccount (which inherited before: "
        "the restore point).",
        [
            {
                "resource": "SubaccountInheritance",
                "name": "inheritance",
                "args": {"account_sid": EXISTING_SID, "dialing_permissions_inheritance": False},
            }
        ],
        _seed_existing,
        _sanity_inheritance,
    ),
    Scenario(
        "permissions_hardening",
        'DialingPermissions hardening of the main account: default low-risk "unchanged", both high-risk '
        "ranges off for every country; GB, DE, MX and BR had high-risk flags on before (the restore point).",
        [
            {
                "resource": "DialingPermissions",
                "name": "hardening",
                "args": {
                    "default": {
                        "low_risk_numbers_enabled": "unchanged",
                        "high_risk_special_numbers_enabled": False,
                        "high_risk_tollfraud_numbers_enabled": False,
                    }
                },
            }
        ],
        _seed_hardening,
        _sanity_hardening,
    ),
    Scenario(
        "permissions_countries",
        "DialingPermissions of the main account with explicit countries and no default (every flag not set "
        'is "unchanged", so only the listed flags are managed); IN and US had toll-fraud on before, FR '
        "(not listed) keeps its special flag.",
        [
            {
                "resource": "DialingPermissions",
                "name": "listed",
                "args": {
                    "countries": {
                        "BR": {"low_risk_numbers_enabled": True},
                        "IN": {"low_risk_numbers_enabled": True, "high_risk_special_numbers_enabled": True},
                        "US": {"high_risk_tollfraud_numbers_enabled": False},
                    }
                },
            }
        ],
        _seed_countries,
        _sanity_countries,
    ),
    Scenario(
        "subaccount_created",
        "Subaccount created by the program (default on_delete for a created subaccount: close).",
        [{"resource": "Subaccount", "name": "tenant", "args": {"friendly_name": "Acme"}}],
        sanity=_sanity_subaccount_created,
    ),
    Scenario(
        "subaccount_adopted",
        "Subaccount adopted with account_sid (renamed on adoption; default on_delete for an adopted "
        "subaccount: retain).",
        [
            {
                "resource": "Subaccount",
                "name": "tenant",
                "args": {"friendly_name": "Adopted tenant", "account_sid": EXISTING_SID},
            }
        ],
        _seed_adopted,
        _sanity_subaccount_adopted,
    ),
    Scenario(
        "tenant_created",
        "TenantDialingPolicy with friendly_name: creates Subaccount, SubaccountInheritance (off) and "
        "DialingPermissions (every country off but GB and US low-risk); offboarding close, so the children "
        "have on_delete retain and destroy closes the subaccount.",
        [
            {
                "resource": "TenantDialingPolicy",
                "name": "acme",
                "args": {"friendly_name": "Acme", "allowed_countries": ["US", "GB"]},
            }
        ],
        sanity=_sanity_tenant_created,
    ),
    Scenario(
        "tenant_existing",
        "TenantDialingPolicy on an existing subaccount (subaccount_sid): SubaccountInheritance and "
        "DialingPermissions with on_delete restore; destroy puts back inheritance and the whole table.",
        [
            {
                "resource": "TenantDialingPolicy",
                "name": "acme",
                "args": {"subaccount_sid": EXISTING_SID, "allowed_countries": ["BR"]},
            }
        ],
        _seed_tenant_existing,
        _sanity_tenant_existing,
    ),
]


def _dependency_order(seen: dict[str, dict[str, Any]]) -> list[str]:
    """Resource names, each after every resource it depends on, ties by name: a stable order (the SDK
    registers independent resources from parallel threads, so neither registration nor completion order
    is stable). Destroy goes in reverse."""
    urns = {entry["urn"]: name for name, entry in seen.items()}
    placed: list[str] = []
    while len(placed) < len(seen):
        ready = [
            name
            for name, entry in seen.items()
            if name not in placed and all(urns.get(d) in placed for d in entry["dependencies"] if d in urns)
        ]
        placed.append(min(ready))
    return placed


def _export(engine: Any, seen: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """What the engine keeps per resource, in dependency order. The URN, parent and dependencies are the
    Pulumi engine's (see ``registrations_seen``)."""
    custom = {name: entry for name, entry in seen.items() if name in engine.state}
    assert sorted(custom) == sorted(engine.state)
    order = _dependency_order(custom)
    return [
        {
            "type": state.type,
            "name": state.name,
            "urn": seen[state.name]["urn"],
            "parent": seen[state.name]["parent"],
            "dependencies": seen[state.name]["dependencies"],
            "id": state.id,
            "inputs": state.inputs,
            "outputs": state.outputs,
            "secret_outputs": sorted(state.secret_outputs),
        }
        for state in (engine.state[name] for name in order)
    ]


def _provider_class(blob: str) -> str:
    """``module:Class`` of the pickled provider, read from the pickle's opcodes (nothing is executed)."""
    import base64
    import pickletools

    strings = []
    for opcode, arg, _ in pickletools.genops(base64.b64decode(blob)):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        if opcode.name == "STACK_GLOBAL" and strings[-2].startswith("pulumi_twilio_dialing"):
            return f"{strings[-2]}:{strings[-1]}"
        if opcode.name == "GLOBAL" and str(arg).startswith("pulumi_twilio_dialing"):
            return str(arg).replace(" ", ":")
    raise AssertionError("no pulumi_twilio_dialing class in the pickled provider")


def _check_no_real_secret(text: str) -> None:
    import re

    for token in re.findall(r"(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])", text):
        assert token in FAKE_SECRETS, f"unexpected 32-hex value in a fixture: {token}"


def generate(scenario: Scenario) -> dict[str, Any]:
    with emulator() as running:
        scenario.seed(running.backend)
        before = snapshot(running.backend)
        engine = engine_for(running)
        try:
            with registrations_seen() as seen:
                engine.up(build_program(scenario.program))
            after = snapshot(running.backend)
            resources = _export(engine, seen)
            engine.destroy()
            destroyed = snapshot(running.backend)
        finally:
            engine.close()
    scenario.sanity(before, after, destroyed)
    for resource in resources:
        resource["provider_class"] = _provider_class(resource["outputs"]["__provider"])
        assert resource["inputs"]["__provider"] == resource["outputs"]["__provider"]
    return {
        "format": FORMAT,
        "generated_at_commit": COMMIT,
        "generated_by": "tests/data/state/generate.py (do not re-run)",
        "scenario": scenario.name,
        "description": scenario.description,
        "project": PROJECT,
        "stack": STACK,
        "program": scenario.program,
        "resources": resources,
        "world": {
            "main_account_sid": MAIN_SID,
            "main_auth_token": MAIN_TOKEN,
            "note": "flags_on lists each country with any flag on; every other country has all three off",
            "before": before,
            "after": after,
            "destroyed": destroyed,
        },
    }


def main() -> None:
    _refuse_unless_at_the_frozen_commit()
    for scenario in SCENARIOS:
        fixture = generate(scenario)
        text = json.dumps(fixture, indent=2, sort_keys=True) + "\n"
        _check_no_real_secret(text)
        (HERE / f"{scenario.name}.json").write_text(text)
        print(f"{scenario.name}: {len(fixture['resources'])} resources, {len(text)} bytes")


if __name__ == "__main__":
    main()
