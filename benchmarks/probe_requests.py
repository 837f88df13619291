"""Requests and wall time of ``twilio-dialing probe`` against the emulator, for a few emulator settings.

Run: .venv/bin/python benchmarks/probe_requests.py

The probe's cost does not grow with the account (it touches one throwaway subaccount, and reads the main
account's table once), only with what it finds: a cap on entries per request adds a binary search (about
ten no-op writes), a propagation delay adds reads (each wait a quarter of the time so far) and the same
wait before each later read. Figures are printed, not asserted (the tests count requests exactly).
"""

from __future__ import annotations

import time
from typing import Any

import requests
from pulumi_twilio_dialing._probe import ProbeOptions, run_probe
from pulumi_twilio_dialing._session import Session
from pulumi_twilio_dialing.emulator import Emulator

CASES: list[tuple[str, dict[str, Any]]] = [
    ("emulator defaults", {}),
    ("cap of 100 entries", {"bulk_max_entries": 100}),
    ("propagation delay 1.5 s", {"propagation_delay_seconds": 1.5}),
    ("both", {"bulk_max_entries": 100, "propagation_delay_seconds": 1.5}),
]


def main() -> None:
    for label, settings in CASES:
        with Emulator() as emulator:
            emulator.settings.update(settings)
            for index in range(20):  # a main account with 20 tenants: the probe's cost does not change
                requests.post(
                    f"{emulator.url}/__emulator__/accounts",
                    json={"parent_sid": emulator.main_account.sid, "friendly_name": f"tenant {index}"},
                    timeout=10,
                ).raise_for_status()
            environ = {
                "TWILIO_ACCOUNT_SID": emulator.main_account.sid,
                "TWILIO_AUTH_TOKEN": emulator.main_account.auth_token,
                "TWILIO_DIALING_API_URL": emulator.url,
            }
            started = time.perf_counter()
            report = run_probe(Session({}, environ), ProbeOptions())
            elapsed = time.perf_counter() - started
            logged = len(emulator.backend.request_log())
        print(f"{label:<26} {report.requests:>3} requests ({logged} logged), {elapsed:5.1f} s")


if __name__ == "__main__":
    main()
