"""``twilio-dialing emulator``: run the local Twilio emulator, in the foreground or detached."""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import os
import re
import shlex
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["register"]

ACCOUNT_SID = re.compile(r"\AAC[0-9a-fA-F]{32}\Z")

DESCRIPTION = """\
Run the local Twilio emulator (Voice Dialing Permissions, Settings and 2010
Accounts) on this machine. It prints its URL and the seeded main account's SID
and auth token, then serves until interrupted.
"""

EPILOG = """\
examples:
  twilio-dialing emulator --port 8080
      serve in the foreground on http://127.0.0.1:8080 (Ctrl-C stops it)
  eval "$(twilio-dialing emulator --env --background)"
      start it detached and export TWILIO_DIALING_API_URL, TWILIO_ACCOUNT_SID
      and TWILIO_AUTH_TOKEN into this shell, so that 'pulumi up' and the
      get_* functions talk to it; stop it with kill "$TWILIO_DIALING_EMULATOR_PID"
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "emulator",
        help="run the local Twilio emulator",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port to bind; 0 picks a free one (default: 0)")
    parser.add_argument(
        "--account-sid", type=_account_sid, help="SID of the seeded main account, AC + 32 hex digits (default: random)"
    )
    parser.add_argument(
        "--auth-token", type=_auth_token, help="auth token of the seeded main account (default: random)"
    )
    parser.add_argument(
        "--settings",
        metavar="FILE",
        help="JSON file with one object of emulator setting name to value (see the README's settings table)",
    )
    parser.add_argument(
        "--env",
        action="store_true",
        help="print shell 'export NAME=value' lines instead of the listening line and NAME=value lines",
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help="detach once listening: print the lines (and the server's PID as TWILIO_DIALING_EMULATOR_PID), then "
        'return, so that eval "$(twilio-dialing emulator --env --background)" works',
    )
    parser.set_defaults(run=run)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number: use 0 (any free port) to 65535")
    return port


def _account_sid(text: str) -> str:
    if not ACCOUNT_SID.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an account SID: use AC followed by 32 hexadecimal digits, "
            "or leave the option out for a random one"
        )
    return text


def _auth_token(text: str) -> str:
    if not text or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError("the auth token must be non-empty and hold no spaces")
    return text


def run(args: argparse.Namespace) -> int:
    try:
        from ..emulator import Emulator, EmulatorSettings
    except ImportError as error:
        return _fail(
            f"the emulator needs the 'emulator' extra ({error.name} is missing): "
            "pip install 'pulumi-twilio-dialing[emulator]'"
        )
    if args.background and not hasattr(os, "fork"):
        return _fail("--background needs a system with fork(); run the emulator in its own terminal instead")
    settings = None
    if args.settings is not None:
        try:
            settings = EmulatorSettings.from_file(args.settings)
        except ValueError as error:
            return _fail(str(error))
    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            settings=settings,
            main_account_sid=args.account_sid,
            main_auth_token=args.auth_token,
        )
    except OSError as error:
        return _fail(_bind_failure(args.host, args.port, error))
    warning = _non_loopback_warning(args.host, emulator.url)
    if warning:
        print(warning, file=sys.stderr, flush=True)

    if args.background:
        # The socket is listening already, so the URL works as soon as it is printed; the child inherits it.
        pid = os.fork()
        if pid:
            _print_variables(emulator, args.env, pid)
            return 0
        _detach()
    # uvicorn re-raises the signal that stopped it; turn SIGTERM into a clean exit like Ctrl-C. Installed
    # before the lines are printed: whoever reads them may stop the server at once.
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        if not args.background:
            _print_variables(emulator, args.env, None)
        emulator.serve_forever()
    return 0


def _print_variables(emulator: Emulator, as_exports: bool, pid: int | None) -> None:
    # Emulator credentials are fake and local; printing them is how scripts pick them up.
    variables = {
        "TWILIO_DIALING_API_URL": emulator.url,
        "TWILIO_ACCOUNT_SID": emulator.main_account.sid,
        "TWILIO_AUTH_TOKEN": emulator.main_account.auth_token,
    }
    if pid is not None:
        variables["TWILIO_DIALING_EMULATOR_PID"] = str(pid)
    if as_exports:
        lines = [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]
    else:
        lines = [f"Twilio emulator listening on {emulator.url}"]
        lines += [f"{name}={value}" for name, value in variables.items()]
    print("\n".join(lines), flush=True)


def _detach() -> None:
    """In the forked child: leave the caller's session and let go of its terminal and pipes, so that
    ``$(...)`` sees end of file and returns while the server goes on."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def _bind_failure(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use already: pick another with --port, or --port 0 for a free one"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: it is not an address of this machine; use --host 127.0.0.1"
    reason = error.strerror or str(error)
    return f"cannot listen on {host}:{port}: {reason}; use --host 127.0.0.1 and --port 0 for a free port"


def _non_loopback_warning(host: str, url: str) -> str | None:
    if host == "localhost":
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and address.is_loopback:
        return None
    if address is not None and address.is_unspecified:
        return (
            f"warning: listening on every interface of this machine, without authentication on /__emulator__; "
            f"use {url} here (the provider sends credentials over plain http only to a loopback address)"
        )
    return (
        f"warning: the provider refuses {url}, because it sends credentials over plain http only to a loopback "
        "address; use --host 127.0.0.1, or put an https proxy in front and point the provider at that"
    )


def _fail(message: str) -> int:
    print(f"twilio-dialing emulator: {message}", file=sys.stderr)
    return 2


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
