"""Adversarial findings on the operations commands (probe, export, preview-report): one test per finding.

Each docstring says what the user does, what happens, and what should happen.
"""

from __future__ import annotations

import ast
import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.digest import preview_digest
from helpers import make_subaccount
from ops_helpers import emulator_env, preview_report_json, probe, run_json, subaccounts, use_emulator
from pulumi_twilio_dialing import UNCHANGED, CountryPermissionsArgs
from pulumi_twilio_dialing._cli import main
from pulumi_twilio_dialing._commands.export import render_program
from pulumi_twilio_dialing._ops import AccountView
from pulumi_twilio_dialing.emulator import Emulator, Fault
from test_preview_report import permissions

pytestmark = pytest.mark.timeout(120)

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # Pulumi's placeholder for a value known only at apply
TOLLFRAUD = "high_risk_tollfraud_numbers_enabled"


# ------------------------------------------------------------------------------------------------ probe
def test_probe_closes_the_subaccount_when_its_first_reads_get_no_answer() -> None:
    """The user runs the probe; the connection drops on every read of the new subaccount's /v1/Settings
    (a flaky proxy, a network cut right after the create). Happened: TwilioConnectionError escaped
    run_probe before the clean-up, the throwaway subaccount stayed open, and the CLI died with a traceback.
    Should: stop measuring, report why, and still close the subaccount (as for a 503 or Ctrl-C)."""
    with Emulator() as emulator:
        # The first GET /v1/Settings is the main account's; every later one (the subaccount's) is dropped.
        emulator.backend.faults.add(Fault("drop", count=10_000, method="GET", path_prefix="/v1/Settings", after=1))
        report = probe(emulator)
        (sub,) = subaccounts(emulator)
        assert sub.status == "closed"
    assert report.aborted is not None and "no answer" in report.aborted
    assert report.subaccount_closed


def test_probe_never_acts_on_an_account_the_create_answer_names_but_it_did_not_create() -> None:
    """The user runs the probe; the create's answer names another account (an existing tenant: a SID
    mix-up in a proxy or cache, a replayed answer). Happened: the probe wrote to that tenant's country
    table and inheritance, then CLOSED it (Twilio never reopens a closed subaccount). Should: check that
    the answer is a new subaccount of the main account with the probe's unique name, and otherwise touch
    nothing of it (the clean-up looks the real one up by its name)."""
    with Emulator() as emulator:
        backend = emulator.backend
        tenant = make_subaccount(emulator, "Customer A")
        backend.create_subaccount = lambda principal, friendly_name: backend.accounts[tenant]  # type: ignore[method-assign]
        report = probe(emulator)
        writes = [
            (e.method, e.path)
            for e in backend.request_log()
            if e.method == "POST" and tenant in (e.account_sid, e.path)
        ]
        assert backend.accounts[tenant].status == "active"
    assert writes == []
    assert report.aborted is not None


def test_probe_does_not_report_own_reads_when_own_and_parent_flags_are_equal() -> None:
    """The user probes a main account with low-risk on everywhere (all-off countries of the new subaccount
    all read low-risk-only on the parent), on a Twilio whose inheriting subaccounts read the parent's
    table. Happened: the probe reported inheriting_subaccount_reads "own" as measured, although the read
    could not tell own from parent (both low-risk only). Should: not claim a value the evidence does not
    support (not measured, or a country whose flags differ)."""
    with Emulator() as emulator:
        emulator.settings.update({"inheriting_subaccount_reads": "parent"})
        main_sid = emulator.main_account.sid
        for iso in list(emulator.backend.accounts[main_sid].flags):
            emulator.backend.set_flags(main_sid, iso, low_risk_numbers_enabled=True)
        report = probe(emulator)
    finding = report.findings["inheriting_subaccount_reads"]
    assert not (finding.measured and finding.value == "own"), finding


# ----------------------------------------------------------------------------------------- preview-report
def _report(capsys: pytest.CaptureFixture[str], tmp_path: Path, digest: dict[str, Any]) -> tuple[int, Any]:
    return preview_report_json(capsys, tmp_path, digest)


def test_preview_report_flags_an_update_whose_inputs_hold_an_unknown(twilio_emulator, stack, capsys, tmp_path):
    """The user previews a DialingPermissions update turning toll-fraud on in GB, while another country's
    flags (or the default's toll-fraud flag) come from an Output known only at apply. Happened: the report
    said "No risk-raising change" and --fail-on-risk exited 0 (the whole resource was skipped as "known
    only at apply"). Should: flag the known toll-fraud change, and a value that may turn a high-risk range
    on, as risk-raising (exit 3)."""
    engine = stack()
    engine.up(permissions())
    digest = preview_digest(engine, permissions(countries={"GB": CountryPermissionsArgs(UNCHANGED, UNCHANGED, True)}))
    assert _report(capsys, tmp_path, digest)[0] == 3  # without the unknown: flagged

    with_unknown_country = copy.deepcopy(digest)
    with_unknown_country["steps"][0]["newState"]["inputs"]["countries"]["FR"] = UNKNOWN
    code, document = _report(capsys, tmp_path, with_unknown_country)
    assert code == 3, document
    assert ("GB", TOLLFRAUD) in {(r["item"], r["setting"]) for r in document["risk_raising"]}

    unknown_default = copy.deepcopy(digest)
    del unknown_default["steps"][0]["newState"]["inputs"]["countries"]["GB"]
    unknown_default["steps"][0]["newState"]["inputs"]["default"][TOLLFRAUD] = UNKNOWN
    code, document = _report(capsys, tmp_path, unknown_default)
    assert code == 3, document


def test_preview_report_flags_a_permissions_create_whose_inputs_hold_an_unknown(capsys, tmp_path):
    """The user previews a new DialingPermissions turning toll-fraud on in GB, with FR's flags from an
    Output. Happened: "default or countries are secret or known only at apply time", no change listed, no
    risk, exit 0 with --fail-on-risk (a DialingPermissionCountry with an unknown flag IS flagged). Should:
    flag it (exit 3)."""
    kind = "pulumi-python:dynamic/twilio-dialing:DialingPermissions"
    urn = f"urn:pulumi:dev::p::{kind}::dp"
    inputs = {
        "default": {
            "low_risk_numbers_enabled": UNCHANGED,
            "high_risk_special_numbers_enabled": False,
            TOLLFRAUD: False,
        },
        "countries": {
            "GB": {
                "low_risk_numbers_enabled": UNCHANGED,
                "high_risk_special_numbers_enabled": UNCHANGED,
                TOLLFRAUD: True,
            },
            "FR": UNKNOWN,
        },
        "on_delete": "restore",
    }
    digest = {"steps": [{"op": "create", "urn": urn, "newState": {"urn": urn, "type": kind, "inputs": inputs}}]}
    code, document = _report(capsys, tmp_path, {**digest, "changeSummary": {"create": 1}})
    assert code == 3, document
    assert ("GB", TOLLFRAUD) in {(r["item"], r["setting"]) for r in document["risk_raising"]}


def test_preview_report_refuses_a_malformed_steps_list_with_a_clear_error(capsys, tmp_path):
    """The user feeds preview-report a document whose "steps" is not a list (an edited or truncated file).
    Happened: an uncaught TypeError traceback. Should: exit 2 naming "steps"."""
    path = tmp_path / "preview.json"
    path.write_text('{"steps": 5, "changeSummary": {}}')
    code = main(["preview-report", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "steps" in err


# ------------------------------------------------------------------------------------------------- export
def _view(index: int, name: str) -> AccountView:
    return AccountView("AC" + f"{index:032x}", name, True, True, None)


def _export(views: list[AccountView]) -> str:
    main_view = AccountView("AC" + "a" * 32, "Main", False, None, ())
    return render_program([main_view, *views], exported_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_export_of_a_friendly_name_with_a_nul_is_still_a_python_program() -> None:
    """The user exports a subaccount whose friendly name holds a control character (NUL; anyone can name a
    subaccount). Happened: the name went verbatim into a comment and the written __main__.py cannot even be
    parsed ("source code cannot contain null bytes"). Should: a program that parses."""
    ast.parse(_export([_view(1, "tenant\x00x")]))


def test_export_resource_names_are_unique_whatever_the_subaccount_order() -> None:
    """The user exports `--subaccount A --subaccount B --subaccount C` where B and C are both named "foo"
    and A is named "foo-<last 8 of C's SID>". Happened: A and C both got the resource name
    "foo-<sid8>-inheritance", so the program's first `up` fails on a duplicate URN. Should: unique names."""
    c = _view(0xC0C0C0C0, "foo")
    a = _view(1, f"foo-{c.sid[-8:]}")
    source = _export([a, _view(2, "foo"), c])
    names = [
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
    ]
    assert len(names) == len(set(names)), names


@pytest.mark.parametrize("status", [500, 502, 504])
def test_probe_closes_a_subaccount_whose_create_was_answered_with_a_server_error(status: int) -> None:
    """The user runs the probe; Twilio creates the subaccount but its answer is a 5xx (a gateway timeout
    after the work was done: nothing says a 5xx was not processed). Happened: the probe took the 5xx as
    "refused: not processed", did not look for the subaccount by its unique name, and left it open.
    Should: treat a 5xx to the create like a lost answer: look it up by name and close it."""
    from pulumi_twilio_dialing.emulator._errors import TwilioError

    with Emulator() as emulator:
        backend = emulator.backend
        create = backend.create_subaccount

        def create_then_fail(*args: Any, **kwargs: Any) -> Any:
            create(*args, **kwargs)
            raise TwilioError.server_error(status)

        backend.create_subaccount = create_then_fail  # type: ignore[method-assign]
        report = probe(emulator)
        (sub,) = subaccounts(emulator)
        assert sub.status == "closed"
    assert report.aborted is not None
    assert report.subaccount_sid == sub.sid and report.subaccount_closed


def test_insights_never_counts_an_alert_of_another_account(twilio_emulator, monkeypatch, capsys):
    """The user runs `insights --subaccounts` on a Twilio whose main-account /v1/Alerts also lists its
    subaccounts' alerts (each alert names its account_sid; the emulator lists the caller's own only, Twilio
    documents neither way). Happened: a tenant's blocked call to France was counted for the main account as
    well, with a suggested change opening France on the MAIN account. Should: count an alert only for the
    account its account_sid names."""
    use_emulator(monkeypatch, twilio_emulator)
    backend, main_sid = twilio_emulator.backend, twilio_emulator.main_account.sid
    tenant = make_subaccount(twilio_emulator, "Acme Ltd")
    backend.set_inheritance(tenant, False)
    backend.add_alert(tenant, "21215", "phonenumber=%2B33140000000")
    every_alert = backend.list_alerts

    def parent_sees_all(principal: Any, **filters: Any) -> Any:
        if principal.account.sid != main_sid:
            return every_alert(principal, **filters)
        return sorted(
            (a for a in backend.alerts if filters.get("start") is None or a.date_generated >= filters["start"]),
            key=lambda a: a.date_generated,
            reverse=True,
        )

    monkeypatch.setattr(backend, "list_alerts", parent_sees_all)
    code, report, _ = run_json(twilio_emulator, capsys, "insights", "--subaccounts")
    assert code == 0
    by_sid = {a["account_sid"]: a for a in report["accounts"]}
    assert by_sid[tenant]["blocked"] == 1
    assert by_sid[main_sid]["blocked"] == 0, by_sid[main_sid]
    assert by_sid[main_sid]["change"] is None


def test_preview_report_markdown_cannot_be_hidden_by_a_resource_or_tenant_name(capsys, tmp_path):
    """A pull request adds two toll-fraud countries; one resource is named "gb\\n<!--" (Pulumi allows any
    text in a resource name since 3.92) or its tenant "acme\\n<!--". Happened: the name went verbatim into
    the Markdown, so a line starting with "<!--" opened an HTML comment in the PR comment and every later
    line, the other risk-raising change included, was hidden from reviewers. Should: names rendered on one
    line, never as HTML."""
    kind = "pulumi-python:dynamic/twilio-dialing:DialingPermissionCountry"
    tenant_type = "twilio-dialing:index:TenantDialingPolicy"
    parent = f"urn:pulumi:dev::p::{tenant_type}::acme\n<!--"

    def step(name: str, parent: str = "") -> dict[str, Any]:
        urn = f"urn:pulumi:dev::p::{tenant_type + '$' if parent else ''}{kind}::{name}"
        inputs = {
            "iso_code": "GB",
            "low_risk_numbers_enabled": True,
            "high_risk_special_numbers_enabled": False,
            TOLLFRAUD: True,
            "on_delete": "restore",
        }
        return {"op": "create", "urn": urn, "newState": {"urn": urn, "type": kind, "parent": parent, "inputs": inputs}}

    steps = [{"op": "create", "urn": parent, "newState": {"urn": parent, "type": tenant_type}}]
    steps += [step("gb\n<!--"), step("tenant-gb", parent), step("other-gb")]
    path = tmp_path / "preview.json"
    path.write_text(json.dumps({"steps": steps, "changeSummary": {"create": 4}}))
    capsys.readouterr()
    assert main(["preview-report", str(path)]) == 0
    markdown = capsys.readouterr().out
    assert "other-gb" in markdown
    assert not [line for line in markdown.splitlines() if line.lstrip().startswith("<!--")], markdown
    assert "<!--" not in markdown.replace("`gb <!--`", "")  # inside a one-line code span it is text


def test_preview_report_refuses_a_deeply_nested_document_with_a_clear_error(capsys, tmp_path):
    """The user feeds preview-report a document nested 100,000 levels deep (garbage, or a hostile file in
    CI). Happened: a RecursionError traceback. Should: exit 2 with a one-line reason."""
    path = tmp_path / "preview.json"
    path.write_text('{"steps": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code = main(["preview-report", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "nested" in err

    # Parseable, but inputs nested 600 deep: named for that resource, not a crash.
    kind = "pulumi-python:dynamic/twilio-dialing:DialingPermissions"
    urn = f"urn:pulumi:dev::p::{kind}::dp"
    nested: Any = "x"
    for _ in range(600):
        nested = {"a": nested}
    step = {
        "op": "update",
        "urn": urn,
        "newState": {"type": kind, "inputs": {"default": nested}},
        "oldState": {"type": kind},
    }
    path.write_text(json.dumps({"steps": [step], "changeSummary": {}}))
    assert main(["preview-report", str(path)]) == 0
    assert "could not compute the effect" in capsys.readouterr().out


def test_probe_cli_closes_the_subaccount_when_its_terminal_hangs_up(tmp_path):
    """The user runs `twilio-dialing probe` over SSH and the connection drops (or closes the terminal):
    the process gets SIGHUP. Happened: SIGHUP's default action killed it at once, leaving the throwaway
    subaccount open (only Ctrl-C and SIGTERM were handled). Should: the same clean-up as SIGTERM."""
    import os
    import signal
    import subprocess
    import sys

    with Emulator() as emulator:
        emulator.backend.faults.add(Fault("latency", fraction=1.0, seconds=0.2))  # time to hang up mid-probe
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO")} | emulator_env(emulator)
        command = [sys.executable, "-m", "pulumi_twilio_dialing._cli", "probe"]
        command += ["--i-understand-this-writes-to-a-real-account", "-o", str(tmp_path / "settings.json")]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stderr is not None
        for line in process.stderr:
            if "new_subaccount_inheritance" in line:  # the subaccount exists now
                break
        else:
            pytest.fail("the probe never reached the step after creating its subaccount")
        process.send_signal(signal.SIGHUP)
        process.communicate(timeout=60)
        assert process.returncode == 130  # interrupted, not finished
        (sub,) = subaccounts(emulator)
        assert sub.status == "closed"


@pytest.mark.parametrize("abbreviation", ["--i", "--i-understand"])
def test_probe_confirmation_flag_cannot_be_abbreviated(monkeypatch, twilio_emulator, tmp_path, capsys, abbreviation):
    """The user types `twilio-dialing probe --i` (or pastes a truncated command). Happened: argparse took the
    prefix for --i-understand-this-writes-to-a-real-account and the probe created, wrote to and closed a
    subaccount of the real account. Should: only the whole flag confirms; nothing is sent otherwise."""
    use_emulator(monkeypatch, twilio_emulator)
    with pytest.raises(SystemExit) as stopped:
        main(["probe", abbreviation, "--output", str(tmp_path / "s.json")])
    assert stopped.value.code == 2
    assert twilio_emulator.backend.request_log() == []
    assert subaccounts(twilio_emulator) == []


def test_probe_says_a_subaccount_may_be_left_when_a_lost_create_is_not_found_by_name(monkeypatch) -> None:
    """The probe's create answer is lost (connection dropped after Twilio made it) and the look-up by its
    unique name does not list it yet (a listing that lags a create). Happened: the report said "No throwaway
    subaccount was created." with no clean-up problem listed, while the subaccount was open.
    Should: a clean-up problem naming the friendly name to look for in the Console."""
    with Emulator() as emulator:
        backend = emulator.backend
        emulator.backend.faults.add(Fault("drop", count=1, method="POST", path_prefix="/2010-04-01/Accounts.json"))
        monkeypatch.setattr(backend, "list_accounts", lambda principal, friendly_name, status: [])
        report = probe(emulator)
        (sub,) = subaccounts(emulator)
        assert sub.status == "active"  # the premise: made, and not found
    assert any(report.subaccount_name in problem for problem in report.cleanup_problems), report.cleanup_problems
    assert "No throwaway subaccount was created" not in report.render(None)
