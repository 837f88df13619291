"""Time to start and to stop the local emulator, as the ``twilio_emulator`` fixture does for every test.

Run: .venv/bin/python benchmarks/emulator_start_stop.py [TIMES]

Each round starts an emulator, makes one request on a kept-alive session (as the ``twilio`` client leaves
one open) and stops it. uvicorn's own stop waits for its 0.1 s tick and pauses 0.1 s more in shutdown:
~190 ms a stop, ~80 s of worker time over the ~420 tests that use an emulator. The emulator wakes the
tick and polls connections every 5 ms instead: ~6 ms on the CI machine (2 cores).
Figures are printed, not asserted.
"""

from __future__ import annotations

import statistics
import sys
import time

import requests
from pulumi_twilio_dialing.emulator import Emulator


def main(count: int = 30) -> None:
    starts, stops = [], []
    for _ in range(count):
        started = time.perf_counter()
        emulator = Emulator().start()
        starts.append((time.perf_counter() - started) * 1000)
        account = emulator.main_account
        with requests.Session() as session:
            url = f"{emulator.url}/2010-04-01/Accounts/{account.sid}.json"
            session.get(url, auth=(account.sid, account.auth_token), timeout=10).raise_for_status()
            started = time.perf_counter()
            emulator.stop()
            stops.append((time.perf_counter() - started) * 1000)
    print(f"emulator start/stop rounds: {count}")
    print(f"  start: median {statistics.median(starts):.1f} ms, max {max(starts):.1f} ms")
    print(f"  stop:  median {statistics.median(stops):.1f} ms, max {max(stops):.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
