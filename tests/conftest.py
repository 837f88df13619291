from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.engine import Engine

REPO = Path(__file__).resolve().parent.parent
PROJECT = "twilio-dialing-tests"

# Modules whose every test is slow although it uses no engine fixture: generated lifecycle sequences, and
# the demo script (a shell, a virtualenv check and an emulator process per run).
SLOW_MODULES = frozenset({"test_lifecycle_property", "test_demo_script"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that drives the engine harness (a fresh provider process per operation, as
    the engine runs them) and the slow modules above: ``-m "not slow"`` is the fast subset."""
    for item in items:
        module = getattr(item, "module", None)
        uses_engine = "make_engine" in getattr(item, "fixturenames", ())
        if uses_engine or (module is not None and module.__name__ in SLOW_MODULES):
            item.add_marker(pytest.mark.slow)


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


# Every environment variable the provider and the commands read credentials or the API URL from.
ENV_NAMES = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY",
    "TWILIO_API_SECRET",
    "TWILIO_DIALING_API_URL",
    "TWILIO_DIALING_SUBACCOUNT_CREDENTIALS",
)
# Credentials must come from the stack config the tests give, never from the developer's environment.
HERMETIC_ENV = dict.fromkeys(ENV_NAMES, "")


def stack_config(emulator, **extra: str) -> dict[str, str]:
    """Stack config pointing the provider at the emulator with the main account's credentials."""
    config = {
        "twilio:accountSid": emulator.main_account.sid,
        "twilio:authToken": emulator.main_account.auth_token,
        "twilio-dialing:apiUrl": emulator.url,
        "twilio-dialing:retryBaseDelay": "0.01",
        "twilio-dialing:retryTimeout": "5",
    }
    config.update(extra)
    return {k: v for k, v in config.items() if v is not None}


def preview_program(emulator, program) -> None:
    """Run ``program`` as a preview with the emulator's stack config (program-side functions and checks)."""
    from harness.engine import run_program

    run_program(
        program, project="p", stack="s", config=stack_config(emulator), secret_keys={"twilio:authToken"}, preview=True
    )


SECRET_KEYS = {"twilio:authToken", "twilio:apiSecret", "twilio-dialing:subaccountCredentials"}


@pytest.fixture
def stack(twilio_emulator, make_engine):
    """An engine (one stack) whose provider talks to the test's emulator as its main account."""

    def factory(config: dict[str, str] | None = None, **kwargs: object) -> Engine:
        return make_engine(
            config=stack_config(twilio_emulator) if config is None else config,
            secret_keys=SECRET_KEYS,
            env=HERMETIC_ENV,
            **kwargs,
        )

    return factory
