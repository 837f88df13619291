"""scripts/demo, with a stand-in for the Pulumi CLI (none can be installed here) that records how it is
called: the emulator starts, its URL and credentials reach the stack config (the token as a secret, through
stdin), the tenant is configured, `up` and a no-change preview run, and the emulator stops afterwards."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

from conftest import REPO

FAKE_PULUMI = """#!/usr/bin/env bash
log="$FAKE_PULUMI_LOG"
if [ "$1 $2" = "config set" ] && [ "$#" -eq 4 ] && [ "$3" = "--secret" ]; then
  printf '%s\\n' "$* <stdin:$(cat)>" >> "$log"
else
  printf '%s\\n' "$*" >> "$log"
fi
if [ "$1" = "up" ]; then
  # the emulator must be serving while `up` runs
  url=$(sed -n 's/^config set twilio-dialing:apiUrl //p' "$log")
  "$PYTHON_FOR_FAKE" -c "import sys, urllib.request as u; u.urlopen(sys.argv[1] + '/__emulator__/health')" "$url"
fi
"""


def _fake_cli(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(FAKE_PULUMI)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["FAKE_PULUMI_LOG"] = str(tmp_path / "calls.log")
    env["PYTHON_FOR_FAKE"] = sys.executable
    # Nothing lands in the working tree: the file backend goes under tmp_path, the emulator runs from the
    # virtualenv running the tests (which may be .venv-lowest, or any other).
    env["DEMO_STATE_DIR"] = str(tmp_path / "demo-state")
    env["DEMO_VENV"] = sys.prefix
    return env


def test_demo_wires_the_emulator_into_the_stack(tmp_path):
    env = _fake_cli(tmp_path)
    result = subprocess.run([str(REPO / "scripts" / "demo")], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls[0] == f"login file://{tmp_path}/demo-state/state"
    assert "stack init demo --secrets-provider passphrase" in calls
    url = next(c for c in calls if c.startswith("config set twilio-dialing:apiUrl ")).split()[-1]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert re.fullmatch(
        r"config set twilio:accountSid AC[0-9a-f]{32}", calls[calls.index(next(c for c in calls if "accountSid" in c))]
    )
    secret = next(c for c in calls if c.startswith("config set --secret twilio:authToken"))
    assert re.fullmatch(r"config set --secret twilio:authToken <stdin:[0-9a-f]{32}>", secret)  # never on argv
    assert "config set twilio-dialing:tenantName Demo tenant" in calls
    assert 'config set twilio-dialing:allowedCountries ["BR", "PT"]' in calls
    assert calls[-2:] == ["up --yes", "preview --expect-no-changes"]
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as probe:  # the emulator was stopped when the demo ended
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_demo_without_the_cli_says_so_in_one_line(tmp_path):
    env = dict(os.environ)
    env["PATH"] = "/usr/bin:/bin"
    result = subprocess.run([str(REPO / "scripts" / "demo")], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "scripts/demo needs the Pulumi CLI, which is not installed: curl -fsSL https://get.pulumi.com | sh"
    ]
