"""``twilio-dialing``: command-line entry point; each subcommand lives in ``_commands/``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib import metadata

from ._commands import COMMANDS

__all__ = ["main"]

# Plain text: argparse prints the description as it is, so no reStructuredText markup here.
DESCRIPTION = "Tools for pulumi-twilio-dialing, the Pulumi provider for Twilio Voice Dialing Permissions."
EPILOG = "Run 'twilio-dialing COMMAND --help' for a command's options."


def version() -> str:
    try:
        return metadata.version("pulumi-twilio-dialing")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="twilio-dialing", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__package__}._commands.{name}").register(commands)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
