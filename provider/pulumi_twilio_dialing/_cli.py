"""``twilio-dialing``: command-line entry point (today: run the local emulator)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Sequence
from types import FrameType

__all__ = ["main"]


def _emulator(args: argparse.Namespace) -> int:
    try:
        from .emulator import Emulator
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="twilio-dialing", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    emulator = commands.add_parser("emulator", help="run the local Twilio emulator until interrupted")
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    emulator.add_argument("--account-sid", help="SID of the seeded main account (default: random)")
    emulator.add_argument("--auth-token", help="auth token of the seeded main account (default: random)")
    emulator.set_defaults(run=_emulator)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
