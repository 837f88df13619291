"""The CrossGuard policy pack in policy/: each policy's validate function, called with the inputs our
resources really produce (taken from harness previews and ups, as PreviewDigest documents carry them)."""

from __future__ import annotations

import ast
import importlib.util
import sys
from importlib.metadata import version

import pytest
import yaml
from conftest import REPO
from harness.digest import preview_digest
from helpers import make_subaccount
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy
from pulumi_twilio_dialing import (
    UNCHANGED,
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
from pulumi_twilio_dialing._permissions import FLAG_NAMES

POLICY = REPO / "policy"


def _load():
    spec = importlib.util.spec_from_file_location("twilio_dialing_policies", POLICY / "twilio_dialing_policies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("twilio_dialing_policies", module)
    spec.loader.exec_module(module)
    return module


policies = _load()
BY_NAME = {p.name: p for p in policies.POLICIES}
TOLLFRAUD, SPECIAL, INHERIT = (
    "no-high-risk-tollfraud",
    "no-high-risk-special-services",
    "tenant-subaccounts-do-not-inherit",
)
HARDENING = CountryPermissionsArgs(UNCHANGED, False, False)


def args_of(state: dict, config: dict | None = None) -> ResourceValidationArgs:
    """What the analyzer hands a policy: the inputs, deserialised and behind the unknown-checking proxy."""
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], state.get("parent"))
    props = unknown_checking_proxy(deserialize_properties(state["inputs"]))
    name = state["urn"].split("::")[-1]
    return ResourceValidationArgs(state["type"], props, state["urn"], name, opts, None, config)


def violations(digest: dict, config: dict | None = None) -> dict[str, list[tuple[str, str]]]:
    """Per policy, (resource name, message) of every violation over the digest's new states."""
    found: dict[str, list[tuple[str, str]]] = {name: [] for name in BY_NAME}
    for step in digest["steps"]:
        state = step.get("newState")
        if not state or not state.get("custom"):
            continue
        args = args_of(state, config)
        for name, policy in BY_NAME.items():
            policy.validate(args, lambda message, urn=None, n=name, a=args: found[n].append((a.name, message)))
    return found


def test_the_pack_is_what_pulumi_loads():
    project = yaml.safe_load((POLICY / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert "virtualenv" in project["runtime"]["options"]
    [requirement] = (POLICY / "requirements.txt").read_text().split()
    assert requirement.startswith("pulumi-policy")
    assert version("pulumi-policy") >= "1.21"
    main = ast.parse((POLICY / "__main__.py").read_text())
    imported = {alias.name for node in ast.walk(main) if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert {"PACK_NAME", "POLICIES", "PolicyPack"} <= imported
    assert BY_NAME[TOLLFRAUD].enforcement_level == EnforcementLevel.MANDATORY
    assert BY_NAME[SPECIAL].enforcement_level == EnforcementLevel.ADVISORY
    assert BY_NAME[INHERIT].enforcement_level == EnforcementLevel.MANDATORY


def test_the_pack_knows_every_resource_type_and_flag_of_the_package(stack):
    programs = [
        lambda: DialingPermissions("p", DialingPermissionsArgs(default=HARDENING)),
        lambda: DialingPermissionCountry("c", DialingPermissionCountryArgs(iso_code="GB")),
        lambda: SubaccountInheritance(
            "i", SubaccountInheritanceArgs(account_sid="AC" + "0" * 32, dialing_permissions_inheritance=False)
        ),
        lambda: Subaccount("s", SubaccountArgs(friendly_name="x")),
    ]
    types = {r.type for program in programs for r in stack().registrations(program, preview=True)}
    assert types == set(policies.TYPES.values())
    assert tuple(policies.FLAG_NAMES) == FLAG_NAMES
    assert policies.UNCHANGED == UNCHANGED


def test_violations_of_a_risky_program_and_none_from_a_tenant(twilio_emulator, stack):
    main, sub = twilio_emulator.main_account.sid, make_subaccount(twilio_emulator)

    def program():
        DialingPermissions(
            "hardening",
            DialingPermissionsArgs(
                default=HARDENING,
                countries={
                    "NG": CountryPermissionsArgs(True, False, True),
                    "LV": {"high_risk_special_numbers_enabled": True},
                    "FR": {"high_risk_tollfraud_numbers_enabled": UNCHANGED},
                },
            ),
        )
        DialingPermissionCountry(
            "sub-pk",
            DialingPermissionCountryArgs(iso_code="PK", account_sid=sub, high_risk_tollfraud_numbers_enabled=True),
        )
        SubaccountInheritance(
            "sub-inherit", SubaccountInheritanceArgs(account_sid=sub, dialing_permissions_inheritance=True)
        )
        TenantDialingPolicy("acme", TenantDialingPolicyArgs(allowed_countries=["GB"], friendly_name="Acme"))

    digest = preview_digest(stack(), program)
    found = violations(digest)
    assert sorted((name, message.split(":")[0]) for name, message in found[TOLLFRAUD]) == [
        ("hardening", "hardening (the configured account) turns toll-fraud ranges on in NG"),
        ("sub-pk", f"sub-pk ({sub}) turns toll-fraud ranges on in PK"),
    ]
    assert [name for name, _ in found[SPECIAL]] == ["hardening"]
    assert "in LV" in found[SPECIAL][0][1]
    [(name, message)] = found[INHERIT]
    assert name == "sub-inherit" and "dialing_permissions_inheritance=False" in message
    # the tenant's resources (account unknown in this preview) produce none

    # a resource without account_sid acts on the configured account: the key "configured" (its SID is config)
    allowed = {"allowedCountries": {"configured": ["NG", "LV"], sub: ["PK"]}, "allowedAccounts": [sub]}
    assert violations(digest, {"allowedCountries": {main: ["NG", "LV"]}})[SPECIAL] != []
    assert violations(digest, allowed) == {TOLLFRAUD: [], SPECIAL: [], INHERIT: []}


def test_unknown_values_give_no_false_positive(twilio_emulator, stack):
    def program():
        subaccount = Subaccount("tenant", SubaccountArgs(friendly_name="Tenant"))
        DialingPermissions(
            "known-countries",
            DialingPermissionsArgs(
                account_sid=subaccount.sid,
                default=HARDENING,
                countries={"NG": CountryPermissionsArgs(True, False, True)},
            ),
        )
        DialingPermissions(
            "unknown-countries",
            DialingPermissionsArgs(
                default=CountryPermissionsArgs(False, False, False),
                countries=subaccount.sid.apply(lambda _: {"NG": CountryPermissionsArgs(True, False, True)}),
            ),
        )
        SubaccountInheritance(
            "inherit", SubaccountInheritanceArgs(account_sid=subaccount.sid, dialing_permissions_inheritance=True)
        )

    digest = preview_digest(stack(), program)
    inputs = {s["urn"].split("::")[-1]: s["newState"]["inputs"] for s in digest["steps"]}
    assert inputs["known-countries"]["account_sid"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert inputs["unknown-countries"]["countries"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

    # an account only known at apply: NG may be allowed for it (some list allows NG), so no violation
    some_account = {"allowedCountries": {"AC" + "1" * 32: ["NG"]}, "allowedAccounts": ["AC" + "1" * 32]}
    assert violations(digest, some_account) == {TOLLFRAUD: [], SPECIAL: [], INHERIT: []}
    # no list allows NG anywhere: whatever the account, it is a violation
    found = violations(digest)
    assert [(name, "a subaccount created in this run" in m) for name, m in found[TOLLFRAUD]] == [
        ("known-countries", True)
    ]
    assert [name for name, _ in found[INHERIT]] == ["inherit"]


def test_tenant_allow_list_by_tenant_name_and_the_inputs_of_an_up(twilio_emulator, stack):
    engine = stack()
    engine.up(
        lambda: TenantDialingPolicy("acme", TenantDialingPolicyArgs(allowed_countries=["GB"], friendly_name="Acme"))
    )
    state = engine.state["acme-permissions"]
    assert violations(
        {
            "steps": [
                {
                    "newState": {
                        "urn": state.urn,
                        "type": state.type,
                        "custom": True,
                        "parent": state.parent,
                        "inputs": state.inputs,
                    }
                }
            ]
        }
    ) == {
        TOLLFRAUD: [],
        SPECIAL: [],
        INHERIT: [],
    }
    # the same tenant's table with GB's toll-fraud ranges on: allowed only where the config names the tenant
    countries = {
        **state.inputs["countries"],
        "GB": {**state.inputs["countries"]["GB"], "high_risk_tollfraud_numbers_enabled": True},
    }
    risky = {
        "urn": state.urn,
        "type": state.type,
        "custom": True,
        "parent": state.parent,
        "inputs": {**state.inputs, "countries": countries},
    }
    found = violations({"steps": [{"newState": risky}]})
    assert [m.split(":")[0] for _, m in found[TOLLFRAUD]] == [
        f"acme-permissions (tenant acme, {state.outputs['account_sid']}) turns toll-fraud ranges on in GB"
    ]
    assert violations({"steps": [{"newState": risky}]}, {"allowedCountries": {"acme": ["GB"]}})[TOLLFRAUD] == []
    assert violations({"steps": [{"newState": risky}]}, {"allowedCountries": {"globex": ["GB"]}})[TOLLFRAUD] != []


@pytest.mark.parametrize("value", [True, False])
def test_default_turning_a_range_on_everywhere(stack, value):
    digest = preview_digest(
        stack(),
        lambda: DialingPermissions(
            "everywhere", DialingPermissionsArgs(default=CountryPermissionsArgs(UNCHANGED, value, value))
        ),
    )
    found = violations(digest)
    assert bool(found[TOLLFRAUD]) is value and bool(found[SPECIAL]) is value
    if value:
        assert "default.high_risk_tollfraud_numbers_enabled is True" in found[TOLLFRAUD][0][1]
        assert violations(digest, {"allowedCountries": {"*": ["*"]}})[TOLLFRAUD] == []
