"""``twilio-dialing preview-report`` on PreviewDigest documents assembled from real harness previews."""

from __future__ import annotations

import io
import json
import os
import re
import runpy
from pathlib import Path

import pulumi
import pytest
from conftest import REPO
from harness.digest import preview_digest
from helpers import make_subaccount, requests_made
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
from pulumi_twilio_dialing._cli import main

HARDENING = CountryPermissionsArgs(UNCHANGED, False, False)
TOLLFRAUD = "high_risk_tollfraud_numbers_enabled"
EXAMPLES = REPO / "examples" / "pull-request-previews"


def permissions(default=HARDENING, countries=None, name="hardening"):
    return lambda: DialingPermissions(name, DialingPermissionsArgs(default=default, countries=countries))


def tenant(countries, name="acme", friendly_name="Acme Ltd"):
    return lambda: TenantDialingPolicy(
        name, TenantDialingPolicyArgs(allowed_countries=countries, friendly_name=friendly_name)
    )


def report(capsys, tmp_path: Path, digest: dict, *args: str) -> tuple[int, str]:
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(digest))
    capsys.readouterr()
    code = main(["preview-report", str(path), *args])
    return code, capsys.readouterr().out


def as_json(capsys, tmp_path: Path, digest: dict) -> dict:
    code, out = report(capsys, tmp_path, digest, "--format", "json")
    assert code == 0
    return json.loads(out)


def changes_of(document: dict, resource: str) -> dict[tuple[str, str], tuple[object, object]]:
    [entry] = [r for r in document["resources"] if r["resource"] == resource]
    return {(c["item"], c["setting"]): (c["before"], c["after"]) for c in entry["changes"]}


def test_create_shows_the_per_country_lines_the_preview_read(twilio_emulator, stack, capsys, tmp_path):
    backend, main_sid = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main_sid, "NG", high_risk_tollfraud_numbers_enabled=True)
    backend.set_flags(main_sid, "LV", high_risk_special_numbers_enabled=True)
    digest = preview_digest(stack(), lambda: runpy.run_path(str(REPO / "examples/harden-account/__main__.py")))
    assert [s["op"] for s in digest["steps"]] == ["create"]

    document = as_json(capsys, tmp_path, digest)
    assert changes_of(document, "hardening") == {
        ("LV", "high_risk_special_numbers_enabled"): (True, False),
        ("NG", TOLLFRAUD): (True, False),
    }
    assert document["risk_raising"] == []
    code, markdown = report(capsys, tmp_path, digest, "--fail-on-risk")
    assert code == 0
    assert "| NG |  |  | true → false |" in markdown
    assert "per-country changes as the preview read the live table" in markdown


def test_create_without_diagnostics_says_it_reads_the_table_at_apply(twilio_emulator, stack, capsys, tmp_path):
    digest = preview_digest(stack(), permissions(countries={"NG": CountryPermissionsArgs(True, False, True)}))
    digest["diagnostics"] = []
    document = as_json(capsys, tmp_path, digest)
    [entry] = document["resources"]
    assert "reads the live table at apply time; what the inputs ask for:" in entry["notes"]
    changes = changes_of(document, "hardening")
    assert changes[("NG", TOLLFRAUD)] == (None, True)
    assert changes[("every other country", TOLLFRAUD)] == (None, False)
    assert ("every other country", "low_risk_numbers_enabled") not in changes  # "unchanged": not managed
    assert [(r["item"], r["setting"]) for r in document["risk_raising"]] == [("NG", TOLLFRAUD)]


def test_update_of_default_lists_every_country_it_changes_without_a_request(twilio_emulator, stack, capsys, tmp_path):
    backend, main_sid = twilio_emulator.backend, twilio_emulator.main_account.sid
    for iso in list(backend.accounts[main_sid].flags):
        backend.set_flags(main_sid, iso, low_risk_numbers_enabled=True)
    engine = stack()
    engine.up(permissions())
    digest = preview_digest(engine, permissions(default=CountryPermissionsArgs(False, False, False)))
    assert [s["op"] for s in digest["steps"]] == ["update"]

    sent = requests_made(twilio_emulator, lambda: as_json(capsys, tmp_path, digest))
    assert sent == []  # the report reads the digest only
    document = as_json(capsys, tmp_path, digest)
    changes = changes_of(document, "hardening")
    countries = set(backend.accounts[main_sid].flags)
    assert len(countries) == 225
    assert changes == {(iso, "low_risk_numbers_enabled"): (True, False) for iso in countries}
    code, markdown = report(capsys, tmp_path, digest)
    assert code == 0
    assert "**DialingPermissions `hardening`** (update): 225 countries" in markdown
    assert markdown.count("| true → false |  |  |") == 225
    # the provider's diagnostics for the update: per country, capped and summarised
    assert f"DialingPermissions of {main_sid} would change: 225 countries" in engine.provider_output
    assert "  ... and 185 more" in engine.provider_output


def test_risk_raising_changes_come_first_marked_and_fail_on_risk(twilio_emulator, stack, capsys, tmp_path):
    main_sid = twilio_emulator.main_account.sid
    engine = stack()
    engine.up(permissions())
    risky = permissions(
        countries={"NG": CountryPermissionsArgs(True, False, True), "GB": {"low_risk_numbers_enabled": True}}
    )
    digest = preview_digest(engine, risky)

    # the provider's own diagnostics mark the country too (update, computed from the state)
    assert f"DialingPermissions of {main_sid} would change: 2 countries\n  NG:" in engine.provider_output
    assert "high_risk_tollfraud_numbers_enabled false -> true [risk]" in engine.provider_output

    code, markdown = report(capsys, tmp_path, digest, "--fail-on-risk")
    assert code == 3
    assert report(capsys, tmp_path, digest)[0] == 0
    risk_header = markdown.index("### ⚠️ 1 risk-raising change")
    assert risk_header < markdown.index("### Stack `test`")
    assert f"toll-fraud ranges on**: test · account `{main_sid}` · NG `{TOLLFRAUD}` false → true" in markdown
    table = markdown[markdown.index("| Country |") :]
    assert table.index("| NG ⚠️ |") < table.index("| GB |")  # risk-raising first in the table too
    assert "| NG ⚠️ | false → true |  | **false → true** |" in markdown


def test_unchanged_flags_and_removed_countries(twilio_emulator, stack, capsys, tmp_path):
    backend, main_sid = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main_sid, "FR", high_risk_special_numbers_enabled=True)
    engine = stack()
    engine.up(permissions(countries={"FR": {"high_risk_special_numbers_enabled": UNCHANGED}}))
    assert backend.stored_flags(main_sid, "FR").high_risk_special_numbers_enabled is True  # left as it was
    # FR stops being listed: the default (special off) now applies to it
    document = as_json(capsys, tmp_path, preview_digest(engine, permissions()))
    assert changes_of(document, "hardening") == {("FR", "high_risk_special_numbers_enabled"): (True, False)}


def test_tenant_onboarding_change_and_offboarding(twilio_emulator, stack, capsys, tmp_path):
    engine = stack()
    document = as_json(capsys, tmp_path, preview_digest(engine, tenant(["GB"])))
    assert {(r["resource"], r["tenant"], r["account"]) for r in document["resources"]} == {
        ("acme-subaccount", "acme", "new subaccount"),
        ("acme-permissions", "acme", "new subaccount"),
        ("acme-inheritance", "acme", "new subaccount"),
    }
    assert changes_of(document, "acme-inheritance") == {
        ("subaccount", "dialing_permissions_inheritance"): (None, False)
    }

    engine.up(tenant(["GB"]))
    sid = engine.state["acme-subaccount"].outputs["sid"]
    document = as_json(capsys, tmp_path, preview_digest(engine, tenant(["GB", "NG"])))
    [entry] = document["resources"]
    assert (entry["resource"], entry["tenant"], entry["account"], entry["op"]) == (
        "acme-permissions",
        "acme",
        sid,
        "update",
    )
    assert changes_of(document, "acme-permissions") == {("NG", "low_risk_numbers_enabled"): (False, True)}
    assert document["risk_raising"] == []
    assert document["unchanged"] == 2

    code, markdown = report(capsys, tmp_path, preview_digest(engine, lambda: None), "--fail-on-risk")
    assert code == 3
    assert f"subaccount closed (irreversible)**: test · tenant **acme**, account `{sid}`" in markdown


def test_inheritance_turning_on_and_country_resources(twilio_emulator, stack, capsys, tmp_path):
    sub = make_subaccount(twilio_emulator)

    def program(inherit: bool, tollfraud: bool, on_delete: str = "restore"):
        def run():
            SubaccountInheritance(
                "inherit", SubaccountInheritanceArgs(account_sid=sub, dialing_permissions_inheritance=inherit)
            )
            DialingPermissionCountry(
                "ng",
                DialingPermissionCountryArgs(
                    iso_code="NG", account_sid=sub, high_risk_tollfraud_numbers_enabled=tollfraud, on_delete=on_delete
                ),
            )

        return run

    engine = stack()
    engine.up(program(False, False, "disable"))
    document = as_json(capsys, tmp_path, preview_digest(engine, program(True, True)))
    risks = {(r["resource"], r["setting"]): r["risk"] for r in document["risk_raising"]}
    assert risks == {
        ("inherit", "dialing_permissions_inheritance"): "inherits the parent's permissions",
        ("ng", TOLLFRAUD): "toll-fraud ranges on",
    }
    assert {r["account"] for r in document["resources"]} == {sub}
    [ng] = [r for r in document["resources"] if r["resource"] == "ng"]
    assert "on_delete disable -> restore" in ng["notes"]

    # deleting the country with on_delete "disable" turns every flag off; inheritance goes back to its value
    document = as_json(capsys, tmp_path, preview_digest(engine, lambda: None))
    assert changes_of(document, "ng") == {("NG", "low_risk_numbers_enabled"): (True, False)}
    assert changes_of(document, "inherit") == {("subaccount", "dialing_permissions_inheritance"): (False, True)}


def test_never_prints_a_secret(twilio_emulator, stack, capsys, tmp_path):
    name = "Initech Confidential Tenant"
    engine = stack()
    program = lambda: Subaccount("secret-tenant", SubaccountArgs(friendly_name=pulumi.Output.secret(name)))  # noqa: E731
    digest = preview_digest(engine, program)
    text = json.dumps(digest)
    assert name not in text and twilio_emulator.main_account.auth_token not in text
    code, markdown = report(capsys, tmp_path, digest)
    assert code == 0
    assert "[secret]" in markdown and name not in markdown
    engine.up(program)
    digest = preview_digest(engine, lambda: None)
    assert name not in json.dumps(digest)
    for output_format in ("markdown", "json"):
        code, out = report(capsys, tmp_path, digest, "--format", output_format)
        assert code == 0
        assert "closed" in out
        assert name not in out and twilio_emulator.main_account.auth_token not in out


def test_reads_stdin_and_refuses_what_is_not_a_preview(capsys, monkeypatch, tmp_path):
    digest = {"steps": [], "changeSummary": {"same": 3}}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(digest)))
    assert main(["preview-report", "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["change_summary"] == {"same": 3}

    (tmp_path / "bad.json").write_text("Previewing update (dev):\n")
    assert main(["preview-report", str(tmp_path / "bad.json")]) == 2
    error = capsys.readouterr().err
    assert "not JSON" in error and "pulumi preview --json" in error
    (tmp_path / "list.json").write_text("[1, 2]")
    assert main(["preview-report", str(tmp_path / "list.json")]) == 2
    assert "not a `pulumi preview --json` document" in capsys.readouterr().err
    assert main(["preview-report", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ example comments
SID = re.compile(r"AC[0-9a-f]{32}")


def _normalised(text: str) -> str:
    """Account SIDs (random per emulator) numbered in order of appearance."""
    numbers: dict[str, str] = {}
    return SID.sub(lambda m: numbers.setdefault(m.group(0), f"AC{len(numbers) + 1:032d}"), text)


def example_comments(emulator, stack) -> dict[str, str]:
    """The PR comments the README shows: hardening an account, and a tenant change."""
    backend, main_sid = emulator.backend, emulator.main_account.sid
    for iso, flag in (("NG", TOLLFRAUD), ("LV", "high_risk_special_numbers_enabled"), ("PK", TOLLFRAUD)):
        backend.set_flags(main_sid, iso, **{flag: True})
    harden = preview_digest(stack(), lambda: runpy.run_path(str(REPO / "examples/harden-account/__main__.py")))
    engine = stack()
    engine.up(lambda: (tenant(["GB", "IE"])(), tenant(["US"], "initech", "Initech")()))
    change = preview_digest(engine, tenant(["GB", "IE", "NG"]))  # acme may call Nigeria; initech is offboarded
    comments = {}
    for name, digest in (("harden-account", harden), ("tenant-change", change)):
        from pulumi_twilio_dialing._preview._digest import parse_digest
        from pulumi_twilio_dialing._preview._report import build_report, render_markdown

        comments[name] = _normalised(render_markdown(build_report(parse_digest(json.dumps(digest)))))
    return comments


def test_committed_example_comments_are_what_the_report_renders(twilio_emulator, stack):
    comments = example_comments(twilio_emulator, stack)
    target = os.environ.get("WRITE_EXAMPLE_COMMENTS")  # set to rewrite them: WRITE_EXAMPLE_COMMENTS=1
    for name, text in comments.items():
        path = EXAMPLES / f"comment-{name}.md"
        if target:
            path.write_text(text)
            continue
        assert path.read_text() == text, f"{path} is stale: rerun with WRITE_EXAMPLE_COMMENTS=1"
    if target:
        pytest.fail("example comments rewritten: review and commit them, then run without WRITE_EXAMPLE_COMMENTS")


def test_replace_and_refresh_drift(twilio_emulator, stack, capsys, tmp_path):
    backend, main_sid = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main_sid, "GB", high_risk_tollfraud_numbers_enabled=True)
    engine = stack()

    def country(iso: str):
        return lambda: DialingPermissionCountry("country", DialingPermissionCountryArgs(iso_code=iso))

    engine.up(country("GB"))
    digest = preview_digest(engine, country("FR"))
    assert [s["op"] for s in digest["steps"]] == ["replace"]
    [entry] = as_json(capsys, tmp_path, digest)["resources"]
    changes = {(c["item"], c["setting"]): (c["before"], c["after"], c["risk"]) for c in entry["changes"]}
    # the replacement adopts FR; deleting the original puts GB's toll-fraud ranges back on (its restore point)
    assert changes[("FR", "low_risk_numbers_enabled")] == (None, True, "")
    assert changes[("GB", TOLLFRAUD)] == (False, True, "toll-fraud ranges on")
    assert any("deleted at the end" in note for note in entry["notes"])

    # `pulumi preview --refresh --json`: a refresh step carries the outputs before and after the read
    before = engine.state["country"]
    old_outputs = dict(before.outputs)  # the state entry is updated in place by the refresh
    backend.set_flags(main_sid, "GB", high_risk_special_numbers_enabled=True)
    engine.refresh()
    after = engine.state["country"]
    refresh = {
        "steps": [
            {
                "op": "refresh",
                "urn": before.urn,
                "oldState": {"urn": before.urn, "type": before.type, "outputs": old_outputs, "inputs": {}},
                "newState": {"urn": after.urn, "type": after.type, "outputs": after.outputs, "inputs": {}},
            }
        ]
    }
    document = as_json(capsys, tmp_path, refresh)
    assert changes_of(document, "country") == {("GB", "high_risk_special_numbers_enabled"): (False, True)}
    assert document["resources"][0]["notes"] == ["drift the refresh found"]
    assert document["risk_raising"][0]["risk"] == "high-risk special services on"


def test_a_state_it_cannot_read_is_named_not_fatal(capsys, tmp_path):
    urn = "urn:pulumi:dev::p::pulumi-python:dynamic/twilio-dialing:DialingPermissions::odd"
    state = {"urn": urn, "type": urn.split("::")[2], "outputs": {"permissions": ["not", "a", "table"]}}
    digest = {"steps": [{"op": "delete", "urn": urn, "oldState": state}], "changeSummary": {"delete": 1}}
    document = as_json(capsys, tmp_path, digest)
    assert document["resources"][0]["notes"] == ["could not compute the effect from this state (StateUnreadableError)"]
