"""``twilio-dialing``: command-line entry point; each subcommand lives in ``_commands/``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._commands import COMMANDS

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="twilio-dialing", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"{__package__}._commands.{name}").register(commands)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
