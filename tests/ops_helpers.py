"""Shared by the operations-command tests: run ``twilio-dialing`` in-process against the emulator with
credentials in the environment, as a user's shell would hold them, and count the requests it makes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_twilio_dialing._cli import main
from pulumi_twilio_dialing.emulator import Emulator

ENV_NAMES = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY",
    "TWILIO_API_SECRET",
    "TWILIO_DIALING_API_URL",
    "TWILIO_DIALING_SUBACCOUNT_CREDENTIALS",
)


def use_emulator(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.main_account.sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.main_account.auth_token)
    monkeypatch.setenv("TWILIO_DIALING_API_URL", emulator.url)


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
