"""Terminal output of the operations commands: rich tables on stdout, progress on stderr (only when it is
a terminal: never in a pipe, a log or CI), JSON for machines, and one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, Protocol

__all__ = ["Output", "fail", "missing_extra"]

EXTRA_MODULES = ("rich", "phonenumbers")

PIPE_WIDTH = 160


class Advance(Protocol):
    def __call__(self) -> None: ...


def missing_extra() -> int | None:
    """None when the ``cli`` extra is installed; else say which module is missing and how to install it,
    and return the exit code (2)."""
    import importlib.util

    for name in EXTRA_MODULES:
        if importlib.util.find_spec(name) is None:
            print(
                f"this command needs the 'cli' extra ({name} is missing): pip install 'pulumi-twilio-dialing[cli]'",
                file=sys.stderr,
            )
            return 2
    return None


def fail(error: Exception) -> int:
    """A configuration or Twilio error as one line on stderr; exit code 2 (1 is kept for --fail-on)."""
    print(f"error: {error}", file=sys.stderr)
    return 2


class Output:
    """Where a command writes: human tables, or JSON with ``--json``."""

    def __init__(self, *, as_json: bool, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> None:
        from rich.console import Console

        self.as_json = as_json
        out = stdout or sys.stdout
        err = stderr or sys.stderr
        # A terminal gets its own width; a pipe or a file gets room enough that SIDs and lists stay whole.
        self.console = Console(file=out, highlight=False, width=None if out.isatty() else PIPE_WIDTH)
        # Progress only where a person watches: a terminal stderr, and never mixed into JSON on stdout.
        self._progress_console = Console(file=err) if err.isatty() else None
        self._out = out

    def json(self, document: Any) -> None:
        self._out.write(json.dumps(document, indent=2, sort_keys=False) + "\n")

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Advance]:
        """A progress bar on stderr for ``total`` steps (a no-op off a terminal); yields ``advance()``."""
        if self._progress_console is None or total <= 1:
            yield lambda: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._progress_console,
            transient=True,
        ) as bar:
            task = bar.add_task(description, total=total)
            yield lambda: bar.advance(task)
