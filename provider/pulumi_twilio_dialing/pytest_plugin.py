"""pytest plugin: the ``twilio_emulator`` fixture, a fresh emulator per test on a free port.

Registered through the ``pytest11`` entry point, so installing the package (with the ``emulator`` extra)
is all a user's test suite needs. Starlette and uvicorn are imported only when the fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = ["twilio_emulator"]


@pytest.fixture
def twilio_emulator() -> Iterator[Emulator]:
    """A running emulator with one seeded main account; stopped after the test."""
    from .emulator import Emulator

    with Emulator() as emulator:
        yield emulator
