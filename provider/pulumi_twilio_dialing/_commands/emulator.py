"""``twilio-dialing emulator``: run the local Twilio emulator in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from types import FrameType
from typing import Any

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser("emulator", help="run the local Twilio emulator until interrupted")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--account-sid", help="SID of the seeded main account (default: random)")
    parser.add_argument("--auth-token", help="auth token of the seeded main account (default: random)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..emulator import Emulator
    except ImportError as error:
        print(
            f"the emulator needs the 'emulator' extra ({error.name} is missing): "
            "pip install 'pulumi-twilio-dialing[emulator]'",
            file=sys.stderr,
        )
        return 2
    emulator = Emulator(
        host=args.host,
        port=args.port,
        main_account_sid=args.account_sid,
        main_auth_token=args.auth_token,
    )
    # Emulator credentials are fake and local; printing them is how scripts pick them up.
    print(f"Twilio emulator listening on {emulator.url}")
    print(f"TWILIO_DIALING_API_URL={emulator.url}")
    print(f"TWILIO_ACCOUNT_SID={emulator.main_account.sid}")
    print(f"TWILIO_AUTH_TOKEN={emulator.main_account.auth_token}", flush=True)
    # uvicorn re-raises the signal that stopped it; turn SIGTERM into a clean exit like Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
