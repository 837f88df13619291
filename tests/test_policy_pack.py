"""The CrossGuard policy pack shipped in the package (pulumi_twilio_dialing/_policy_pack/, written out by
`twilio-dialing policy-pack DIR`): each policy's validate function, called with the inputs our resources really
produce (taken from harness previews and ups, as PreviewDigest documents carry them); the pack as the command
writes it loads on its own and flags a toll-fraud change; the command never overwrites an edited pack."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
import textwrap
from importlib.metadata import version

import pytest
import yaml
from conftest import REPO
from harness.digest import preview_digest
from helpers import make_subaccount
from packaging.version import Version
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
from pulumi_twilio_dialing._commands.policy_pack import PACK_FILES, pack_files, write_pack
from pulumi_twilio_dialing._permissions import FLAG_NAMES

# The pack as the package ships it (the tests read it in place; what `policy-pack` writes is tested below).
POLICY = REPO / "provider" / "pulumi_twilio_dialing" / "_policy_pack"
CLI = [sys.executable, "-m", "pulumi_twilio_dialing._cli"]


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
    assert Version(version("pulumi-policy")) >= Version("1.21")
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


def test_the_package_ships_the_pack_and_no_copy_lives_elsewhere():
    assert sorted(pack_files()) == sorted(PACK_FILES)
    assert sorted(p.name for p in POLICY.iterdir() if p.name != "__pycache__") == sorted(PACK_FILES)
    # the pack runs in its own virtualenv, with pulumi-policy only: it never imports this package
    for name in ("__main__.py", "twilio_dialing_policies.py"):
        tree = ast.parse(pack_files()[name])
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any(m and m.startswith("pulumi_twilio_dialing") for m in modules), name


def test_the_written_pack_loads_on_its_own_and_flags_a_toll_fraud_change(stack, tmp_path):
    """`twilio-dialing policy-pack DIR`, then DIR's policies module imported by a fresh interpreter from DIR (as
    the pack's __main__ does, without this package on the path) flags toll-fraud ranges turned on in NG."""
    result = subprocess.run([*CLI, "policy-pack", str(tmp_path / "policy")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"pulumi preview --policy-pack {tmp_path / 'policy'}" in result.stdout
    venv = yaml.safe_load(pack_files()["PulumiPolicy.yaml"])["runtime"]["options"]["virtualenv"]
    assert f"python -m venv {tmp_path / 'policy' / venv} && " in result.stdout  # where Pulumi looks for it
    assert {p.name: p.read_bytes() for p in (tmp_path / "policy").iterdir()} == pack_files()

    digest = preview_digest(
        stack(),
        lambda: DialingPermissions(
            "risky",
            DialingPermissionsArgs(default=HARDENING, countries={"NG": CountryPermissionsArgs(True, False, True)}),
        ),
    )
    [state] = [s["newState"] for s in digest["steps"] if s.get("newState", {}).get("custom")]
    (tmp_path / "state.json").write_text(json.dumps(state))
    check = textwrap.dedent(
        """
        import json, sys
        from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
        from pulumi_policy.deserialize import deserialize_properties
        from pulumi_policy.proxy import unknown_checking_proxy
        import twilio_dialing_policies as pack
        assert "pulumi_twilio_dialing" not in sys.modules
        state = json.load(open(sys.argv[1]))
        opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
        args = ResourceValidationArgs(
            state["type"], unknown_checking_proxy(deserialize_properties(state["inputs"])), state["urn"], "risky",
            opts, None, None)
        found = []
        for policy in pack.POLICIES:
            policy.validate(args, lambda message, urn=None, n=policy.name: found.append([n, message]))
        print(json.dumps({"file": pack.__file__, "found": found}))
        """
    )
    # -I: isolated mode, so neither PYTHONPATH nor the current directory leak this checkout into the run;
    # DIR goes first on sys.path as it does when Pulumi runs the pack's __main__.py.
    runner = f"import sys; sys.path.insert(0, {str(tmp_path / 'policy')!r}); exec(sys.stdin.read())"
    result = subprocess.run(
        [sys.executable, "-I", "-c", runner, str(tmp_path / "state.json")],
        input=check,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["file"] == str(tmp_path / "policy" / "twilio_dialing_policies.py")
    assert [(name, message.split(":")[0]) for name, message in report["found"]] == [
        (TOLLFRAUD, "risky (the configured account) turns toll-fraud ranges on in NG")
    ]


def test_policy_pack_refuses_to_overwrite_an_edited_pack(tmp_path):
    target = tmp_path / "policy"
    assert sorted(write_pack(target)) == sorted(PACK_FILES)
    assert write_pack(target) == []  # rerunning (as CI does on a checkout holding the pack) writes nothing
    edited = b"pulumi-policy==1.21.0\n"
    (target / "requirements.txt").write_bytes(edited)
    (target / "notes.md").write_text("the user's own file")

    result = subprocess.run([*CLI, "policy-pack", str(target)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"error: {target} already holds requirements.txt with a content other than this package's pack (an edited "
        "pack, or another version's); choose another directory, or pass --force to overwrite them"
    )
    assert (target / "requirements.txt").read_bytes() == edited  # nothing written

    result = subprocess.run([*CLI, "policy-pack", str(target), "--force"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote requirements.txt into {target}\n")
    assert (target / "requirements.txt").read_bytes() == pack_files()["requirements.txt"]
    assert (target / "notes.md").read_text() == "the user's own file"  # files that are not the pack's stay

    (tmp_path / "file").write_text("x")
    result = subprocess.run([*CLI, "policy-pack", str(tmp_path / "file")], capture_output=True, text=True)
    assert result.returncode == 2 and "is a file; give a directory" in result.stderr
