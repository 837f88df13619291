"""Shared by the operations-command tests (audit, export, insights, probe, and their adversarial findings):
run ``twilio-dialing`` in-process against the emulator with credentials in the environment, as a user's
shell would hold them, run the probe with fast retries, and count the requests made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ENV_NAMES
from pulumi_twilio_dialing._cli import main
from pulumi_twilio_dialing._probe import ProbeOptions, ProbeReport, run_probe
from pulumi_twilio_dialing._session import Session
from pulumi_twilio_dialing.emulator import Emulator

# Fast retries: a fault test must not wait out the default one-minute retry budget.
FAST_RETRIES = {"twilio-dialing:retryBaseDelay": "0.01", "twilio-dialing:retryTimeout": "1"}


def emulator_env(emulator: Emulator, *, api_key: bool = False) -> dict[str, str]:
    """The environment that points a command at the emulator as its main account: the URL, the SID, and the
    auth token (or, with ``api_key``, a new API key of the main account and its secret)."""
    main_account = emulator.main_account
    env = {"TWILIO_ACCOUNT_SID": main_account.sid, "TWILIO_DIALING_API_URL": emulator.url}
    if api_key:
        key = emulator.backend.create_api_key(main_account.sid, kind="main", friendly_name="test key")
        env.update(TWILIO_API_KEY=key.sid, TWILIO_API_SECRET=key.secret)
    else:
        env["TWILIO_AUTH_TOKEN"] = main_account.auth_token
    return env


def use_emulator(monkeypatch: pytest.MonkeyPatch, emulator: Emulator, *, api_key: bool = False) -> None:
    """Make the process environment :func:`emulator_env` and nothing else of ``ENV_NAMES``."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in emulator_env(emulator, api_key=api_key).items():
        monkeypatch.setenv(name, value)


def probe(emulator: Emulator, *, api_key: bool = False, **options: Any) -> ProbeReport:
    """Run the probe in-process against ``emulator``, with fast retries."""
    session = Session(dict(FAST_RETRIES), emulator_env(emulator, api_key=api_key))
    return run_probe(session, ProbeOptions(**options))


def subaccounts(emulator: Emulator) -> list[Any]:
    return [a for a in emulator.backend.accounts.values() if a.is_subaccount]


def run_cli(emulator: Emulator, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str, list[Any]]:
    """Exit code, stdout, stderr, and the (method, path, query) of every request made."""
    emulator.backend.clear_request_log()
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    log = [(r.method, r.path, r.query) for r in emulator.backend.request_log()]
    return code, captured.out, captured.err, log


def run_json(emulator: Emulator, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, list[Any]]:
    code, out, _, log = run_cli(emulator, capsys, *argv, "--json")
    return code, json.loads(out), log


def preview_report_json(capsys: pytest.CaptureFixture[str], tmp_path: Path, digest: dict[str, Any]) -> tuple[int, Any]:
    """``twilio-dialing preview-report --format json --fail-on-risk`` on ``digest``: exit code, document."""
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(digest))
    capsys.readouterr()
    code = main(["preview-report", str(path), "--format", "json", "--fail-on-risk"])
    return code, json.loads(capsys.readouterr().out)
