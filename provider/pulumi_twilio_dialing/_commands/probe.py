"""``twilio-dialing probe``: measure the emulator's unknowns on a real account (needs a confirmation flag)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["CONFIRM_FLAG", "register"]

CONFIRM_FLAG = "--i-understand-this-writes-to-a-real-account"
DEFAULT_OUTPUT = "twilio-dialing-probe-settings.json"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "probe",
        help="measure the emulator's unknown behaviours on a real Twilio account (writes to a throwaway subaccount)",
        description=(
            "Creates a throwaway subaccount of the account in TWILIO_ACCOUNT_SID (with TWILIO_AUTH_TOKEN, or "
            "TWILIO_API_KEY and TWILIO_API_SECRET), measures each behaviour of the emulator's settings that "
            "can be measured without placing calls, closes the subaccount (also on failure or Ctrl-C), and "
            "writes what it measured as an emulator settings file. The main account gets one write: its "
            "/v1/Settings value, written back unchanged."
        ),
        # The confirmation must be typed whole: argparse would otherwise take "--i" for it.
        allow_abbrev=False,
    )
    parser.add_argument(
        CONFIRM_FLAG,
        dest="confirmed",
        action="store_true",
        help="required: the probe creates, writes to and closes a subaccount of a real account",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path(DEFAULT_OUTPUT),
        help=f"the emulator settings file to write (default {DEFAULT_OUTPUT})",
    )
    parser.add_argument("--json", action="store_true", help="print the findings as JSON instead of a summary")
    parser.add_argument(
        "--max-propagation-wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for a write to show before giving up on measuring the delay (default 60)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.confirmed:
        print(
            "twilio-dialing probe creates a subaccount on the configured Twilio account, writes dialing "
            f"permissions to it and closes it; nothing was sent. Run it again with {CONFIRM_FLAG} to go ahead.",
            file=sys.stderr,
        )
        return 2
    if not (args.max_propagation_wait > 0 and args.max_propagation_wait <= 3600):
        wait = args.max_propagation_wait
        print(f"--max-propagation-wait is {wait:g}; give more than 0 and at most 3600 seconds", file=sys.stderr)
        return 2
    from .._exceptions import ConfigurationError
    from .._probe import ProbeOptions, run_probe
    from .._session import Session

    def progress(message: str) -> None:
        print(f"probe: {message}", file=sys.stderr, flush=True)

    # A stop from outside (CI timeout, kill, a closed terminal or dropped SSH session) gets the same clean-up
    # as Ctrl-C: the subaccount is closed.
    stops = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {signum: signal.signal(signum, _interrupt) for signum in stops}
    try:
        # The throwaway subaccount has no configured credentials: a subaccount-credentials setting meant
        # for the user's stacks is none of the probe's business (and must not stop it if malformed).
        environ = {k: v for k, v in os.environ.items() if k != "TWILIO_DIALING_SUBACCOUNT_CREDENTIALS"}
        session = Session({}, environ)
        report = run_probe(session, ProbeOptions(max_propagation_wait=args.max_propagation_wait, progress=progress))
    except ConfigurationError as error:
        print(f"twilio-dialing probe: {error}", file=sys.stderr)
        return 2
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    written: Path | None = args.output
    try:
        report.write_settings(args.output)
    except OSError as error:  # the findings still reach stdout: the run is not lost
        print(f"twilio-dialing probe: could not write {args.output}: {error.strerror or error}", file=sys.stderr)
        written = None
    if args.json:
        print(json.dumps({**report.as_dict(), "settings_file": None if written is None else str(written)}, indent=2))
    else:
        print(report.render(written))
    if report.interrupted:
        return 130
    failed = report.aborted or report.cleanup_problems or not report.subaccount_closed or written is None
    return 1 if failed else 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
