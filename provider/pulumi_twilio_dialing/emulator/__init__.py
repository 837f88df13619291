"""A local Twilio emulator for Voice Dialing Permissions, Settings and 2010 Accounts.

It speaks the real wire format over HTTP on 127.0.0.1 so the unmodified ``twilio`` library (and so this
provider) can run against it. Needs the ``emulator`` extra (Starlette and uvicorn).

Three ways to run it:

- ``twilio-dialing emulator --port 0`` prints its URL and the seeded main credentials;
- the ``twilio_emulator`` pytest fixture (registered by this package's pytest plugin);
- ``with Emulator() as emulator:`` in your own code.

Behaviours the real API leaves unknown are settings (:class:`EmulatorSettings`); the emulator-only control
surface lives under ``/__emulator__`` (and in Python on ``Emulator.backend``).
"""

from ._backend import FLAG_NAMES, Account, ApiKey, Backend, Flags, LoggedRequest
from ._errors import TwilioError
from ._faults import Fault
from ._routes import CONTROL_PREFIX
from ._server import Emulator
from ._settings import EmulatorSettings

__all__ = [
    "CONTROL_PREFIX",
    "FLAG_NAMES",
    "Account",
    "ApiKey",
    "Backend",
    "Emulator",
    "EmulatorSettings",
    "Fault",
    "Flags",
    "LoggedRequest",
    "TwilioError",
]
