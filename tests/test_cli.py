"""``twilio-dialing``: help, version, option checks, one-line failures, and the ``eval "$(...)"`` recipe."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import metadata

import pytest
import requests

CLI = [sys.executable, "-m", "pulumi_twilio_dialing._cli"]


def cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


def test_help_is_plain_text_and_version_is_the_installed_one():
    top, emulator = cli("--help"), cli("emulator", "--help")  # each CLI start costs ~0.5 s of imports
    for result in (top, emulator):
        assert result.returncode == 0
        assert "``" not in result.stdout and ":func:" not in result.stdout  # no raw reStructuredText
    assert "emulator" in top.stdout
    assert "--env" in emulator.stdout
    version = cli("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"twilio-dialing {metadata.version('pulumi-twilio-dialing')}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account-sid", "foo"], "argument --account-sid: 'foo' is not an account SID: use AC followed by 32"),
        (["--port", "70000"], "argument --port: '70000' is not a port number"),
        (["--auth-token", ""], "argument --auth-token: the auth token must be non-empty"),
    ],
)
def test_bad_options_are_refused_before_anything_starts(args, message):
    result = cli("emulator", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_a_busy_port_is_one_line_not_a_traceback():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = cli("emulator", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"twilio-dialing emulator: port {port} on 127.0.0.1 is in use already: "
        "pick another with --port, or --port 0 for a free one"
    ]


def test_a_settings_file_is_validated_and_loaded(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"bulk_max_entries": "abc"}))
    result = cli("emulator", "--settings", str(bad))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"twilio-dialing emulator: emulator settings file {bad}: "
        'emulator setting bulk_max_entries must be a non-negative integer, got "abc"'
    ]
    missing = cli("emulator", "--settings", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "cannot read emulator settings file" in missing.stderr

    good = tmp_path / "good.json"
    good.write_text(json.dumps({"bulk_max_entries": 3, "default_low_risk_countries": ["GB"]}))
    with background_emulator("--settings", str(good)) as env:
        shown = requests.get(env["TWILIO_DIALING_API_URL"] + "/__emulator__/settings", timeout=10).json()
        assert (shown["bulk_max_entries"], shown["default_low_risk_countries"]) == (3, ["GB"])


def test_a_wildcard_host_prints_a_url_the_provider_accepts_and_says_why_in_one_line():
    process = subprocess.Popen(
        [*CLI, "emulator", "--host", "0.0.0.0"],  # noqa: S104 - what is under test
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        listening = process.stdout.readline()
        warning = process.stderr.readline()
        assert listening.startswith("Twilio emulator listening on http://127.0.0.1:")
        assert warning.startswith("warning: listening on every interface of this machine")
        assert "plain http only to a loopback address" in warning
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_a_non_loopback_address_gets_a_warning_about_the_refused_url():
    from pulumi_twilio_dialing._commands.emulator import _non_loopback_warning

    assert _non_loopback_warning("127.0.0.1", "http://127.0.0.1:1") is None
    assert _non_loopback_warning("localhost", "http://localhost:1") is None
    warning = _non_loopback_warning("192.0.2.10", "http://192.0.2.10:1")
    assert warning is not None
    assert warning.startswith("warning: the provider refuses http://192.0.2.10:1")


@pytest.mark.skipif(shutil.which("bash") is None, reason="the recipe is for POSIX shells")
def test_the_eval_recipe_points_a_shell_and_the_functions_at_a_detached_emulator(tmp_path):
    # Exactly the README's recipe: the command substitution returns while the server goes on, and what
    # runs next in that shell (here a get_* function outside any Pulumi program) reads the variables.
    script = f"""
set -euo pipefail
eval "$({" ".join(CLI)} emulator --env --background)"
{sys.executable} -c 'from pulumi_twilio_dialing import get_country; print(get_country("GB").name)'
echo "pid=$TWILIO_DIALING_EMULATOR_PID"
kill "$TWILIO_DIALING_EMULATOR_PID"
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    name, pid_line = result.stdout.splitlines()
    assert name == "United Kingdom"
    _wait_gone(int(pid_line.removeprefix("pid=")))


def test_env_lines_are_shell_exports_and_carry_the_pid():
    with background_emulator() as env:
        assert set(env) == {
            "TWILIO_DIALING_API_URL",
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
            "TWILIO_DIALING_EMULATOR_PID",
        }
        response = requests.get(
            env["TWILIO_DIALING_API_URL"] + "/v1/Settings",
            auth=(env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"]),
            timeout=10,
        )
        assert response.status_code == 200


@contextlib.contextmanager
def background_emulator(*args: str) -> Iterator[dict[str, str]]:
    """``twilio-dialing emulator --env --background ARGS``: the exported variables; the server is killed
    (by the PID it printed) and gone at exit."""
    result = cli("emulator", "--env", "--background", *args)
    assert result.returncode == 0, result.stderr
    env = dict(line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines())
    try:
        yield env
    finally:
        pid = int(env["TWILIO_DIALING_EMULATOR_PID"])
        os.kill(pid, signal.SIGTERM)
        _wait_gone(pid)


def _wait_gone(pid: int) -> None:
    """The detached server is no child of ours: poll until it has stopped (or is a zombie of its reaper)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ", 1)[1].startswith("Z"):
                    return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError(f"the emulator (pid {pid}) did not stop")
