from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.engine import Engine

REPO = Path(__file__).resolve().parent.parent
PROJECT = "twilio-dialing-tests"


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[type[Engine]]:
    """Build engines that are closed (provider processes stopped) after the test."""
    engines: list[Engine] = []

    def factory(**kwargs: object) -> Engine:
        kwargs.setdefault("cwd", REPO)
        kwargs.setdefault("project", PROJECT)
        created = Engine(**kwargs)  # type: ignore[arg-type]
        engines.append(created)
        return created

    yield factory  # type: ignore[misc]
    for created in engines:
        created.close()
