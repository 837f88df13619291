"""What the engine harness pays per command for its provider process, before any resource work.

Run: .venv/bin/python benchmarks/harness_command.py [COMMANDS]

Every harness command (preview, up, refresh, destroy) starts a fresh ``python -m pulumi.dynamic`` (forked
from tests/harness/forkserver.py), makes its first call and closes it; the suite runs well over a thousand
commands. The figure that mattered: ``grpc.channel_ready_future`` leaves a connectivity-polling thread that
made ``channel.close()`` wait out its 0.2 s poll on every command; the first call now waits for the channel
itself (~3 ms to close on the CI machine, 2 cores). Figures are printed, not asserted.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from google.protobuf import empty_pb2  # noqa: E402
from harness.engine import ProviderServer  # noqa: E402


def main(count: int = 20) -> None:
    ProviderServer(cwd=REPO, project="benchmark").close()  # starts the fork server (imports, once)
    starts, firsts, closes = [], [], []
    for _ in range(count):
        started = time.perf_counter()
        server = ProviderServer(cwd=REPO, project="benchmark")
        listening = time.perf_counter()
        server.stub.GetPluginInfo(empty_pb2.Empty(), wait_for_ready=True, timeout=10)
        answered = time.perf_counter()
        server.close()
        closed = time.perf_counter()
        starts.append((listening - started) * 1000)
        firsts.append((answered - listening) * 1000)
        closes.append((closed - answered) * 1000)
    print(f"provider processes: {count}")
    for label, values in (("start", starts), ("first call", firsts), ("close", closes)):
        print(f"  {label}: median {statistics.median(values):.1f} ms, max {max(values):.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
