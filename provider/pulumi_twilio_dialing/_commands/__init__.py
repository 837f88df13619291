"""The ``twilio-dialing`` subcommands, one private module each.

Each module defines ``register(commands)``, which adds its parser to the ``argparse`` subparsers and sets
``run`` (a function taking the parsed arguments and returning the exit code). ``COMMANDS`` lists the
modules in the order ``--help`` shows them; a command's heavy imports happen inside its ``run``.
"""

from __future__ import annotations

COMMANDS: tuple[str, ...] = ("emulator", "preview_report", "policy_pack", "audit", "insights", "export", "probe")
