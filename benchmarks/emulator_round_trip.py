"""Round-trip time of one request on a kept-alive connection to the local emulator.

Run: .venv/bin/python benchmarks/emulator_round_trip.py [REQUESTS]

The ``twilio`` client reuses connections, so this is the per-request cost every test and every timing in
the README pays. Before the emulator set ``TCP_NODELAY`` on its listening socket, Nagle's algorithm met
the client's delayed ACK and each answer waited ~44 ms; with it, ~2 ms on the CI machine (2 cores).
Figures are printed, not asserted.
"""

from __future__ import annotations

import statistics
import sys
import time

import requests
from pulumi_twilio_dialing.emulator import Emulator


def main(count: int = 200) -> None:
    with Emulator() as emulator, requests.Session() as session:
        account = emulator.main_account
        url = f"{emulator.url}/2010-04-01/Accounts/{account.sid}.json"
        auth = (account.sid, account.auth_token)
        session.get(url, auth=auth).raise_for_status()  # opens the connection that the rest reuse
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            session.get(url, auth=auth).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(f"kept-alive round trips: {count}")
    print(f"  median {statistics.median(timings):.2f} ms, p95 {timings[int(count * 0.95) - 1]:.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
