"""Requests and wall time of the operations commands for a main account with 20 active subaccounts.

Run: .venv/bin/python benchmarks/operations.py [SUBACCOUNTS]

Seeded in the local emulator: half the subaccounts keep their own table (a few with high-risk ranges on),
half inherit; each subaccount has two blocked calls (placed through the emulator's Calls.json, so 21215
alerts) to two of three countries, plus an unrelated alert. Each command runs in-process, as a user runs
it, with credentials in the environment; its requests come from the emulator's request log. Figures are
printed, not asserted (the machine's load moves the times).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from collections import Counter

import requests
from pulumi_twilio_dialing._cli import main as cli
from pulumi_twilio_dialing.emulator import Emulator
from pulumi_twilio_dialing.emulator._backend import Principal

DESTINATIONS = ("+33612345678", "+37181000000", "+447700900123")


def seed(emulator: Emulator, count: int) -> None:
    backend, main = emulator.backend, emulator.main_account
    for index in range(count):
        sub = backend.create_subaccount(Principal(main), f"Tenant {index:02d}")
        backend.set_inheritance(sub.sid, index % 2 == 0)
        if index % 5 == 1:
            backend.set_flags(sub.sid, "GB", high_risk_special_numbers_enabled=True)
        for to in (DESTINATIONS[index % 3], DESTINATIONS[(index + 1) % 3]):
            answer = requests.post(
                f"{emulator.url}/2010-04-01/Accounts/{sub.sid}/Calls.json",
                auth=(sub.sid, sub.auth_token),
                data={"To": to, "From": "+15005550006", "Url": "https://example.com/twiml"},
                timeout=10,
            )
            if answer.status_code != 400 or answer.json()["code"] != 21215:
                raise RuntimeError(f"expected a blocked call (21215), got {answer.text}")
        backend.add_alert(sub.sid, "11200", "an unrelated HTTP retrieval failure")


def measure(emulator: Emulator, *argv: str) -> None:
    """Run twice: the first run pays imports and new connections, the second is what a cron job repeats."""
    times = []
    for _ in range(2):
        emulator.backend.clear_request_log()
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli(list(argv))
        times.append((time.perf_counter() - started) * 1000)
    log = emulator.backend.request_log()
    kinds = Counter(f"{r.method} {_shape(r.path)}" for r in log)
    print(
        f"{' '.join(argv[:2]):<25} exit {code}  {len(log):>3} requests  "
        f"first {times[0]:5.0f} ms, again {times[1]:5.0f} ms"
    )
    for kind, n in sorted(kinds.items()):
        print(f"    {n:>3} x {kind}")


def _shape(path: str) -> str:
    parts = path.split("/")
    return "/".join("{Iso}" if len(p) == 2 and p.isupper() else p for p in parts)


def main(count: int = 20) -> None:
    with Emulator() as emulator, tempfile.TemporaryDirectory() as out:
        seed(emulator, count)
        os.environ.update(
            TWILIO_ACCOUNT_SID=emulator.main_account.sid,
            TWILIO_AUTH_TOKEN=emulator.main_account.auth_token,
            TWILIO_DIALING_API_URL=emulator.url,
        )
        print(f"main account + {count} active subaccounts, {2 * count} blocked calls")
        measure(emulator, "audit", "--subaccounts", "--json")
        measure(emulator, "insights", "--subaccounts", "--since", "7d", "--json")
        measure(emulator, "export", "--all-subaccounts", "--out", out, "--force", "--json")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
