"""Running the emulator: a uvicorn server on 127.0.0.1, in a background thread or in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import threading
from types import TracebackType
from typing import Self

import uvicorn

from ._backend import Account, Backend
from ._routes import build_app
from ._settings import EmulatorSettings

__all__ = ["Emulator"]

# How often a stopping server looks whether its connections have closed (uvicorn looks every 0.1 s).
_SHUTDOWN_POLL_SECONDS = 0.005
# What of uvicorn's server the prompt stop relies on (so from 0.34 to 0.54 at least). The emulator ships to
# users, whose uvicorn may be newer: without these, uvicorn's own loop and shutdown run, only slower.
_SERVER_INTERNALS = ("on_tick", "servers", "server_state", "lifespan", "force_exit")
_STATE_INTERNALS = ("connections", "tasks")


class _PromptServer(uvicorn.Server):
    """uvicorn's server, stopped as soon as :meth:`request_exit` is called from another thread.

    uvicorn notices ``should_exit`` on a 0.1 s tick, then pauses 0.1 s after asking connections to close
    and polls them every 0.1 s: about 0.2 s of idle waiting per stop, paid by every test that uses the
    fixture. Here the tick is woken at once and shutdown polls every few milliseconds; what shutdown does
    and its bound (``timeout_graceful_shutdown`` for answers in flight) are uvicorn's.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def request_exit(self) -> None:
        """Ask the serving thread to stop (safe from any thread)."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed already: nothing to wake
                loop.call_soon_threadsafe(wake.set)

    def _prompt(self) -> bool:
        """Whether this uvicorn has what the prompt stop relies on."""
        state = getattr(self, "server_state", None)
        return all(hasattr(self, name) for name in _SERVER_INTERNALS) and all(
            hasattr(state, name) for name in _STATE_INTERNALS
        )

    async def main_loop(self) -> None:
        if not self._prompt():
            await super().main_loop()
            return
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        # on_tick refreshes the Date header once every 10 ticks and reports should_exit, as in uvicorn.
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if not self._prompt():
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        # Idle kept-alive connections close now; one answering finishes its answer first.
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        bound = self.config.timeout_graceful_shutdown  # None: wait as long as answers take, as uvicorn does
        deadline = math.inf if bound is None else loop.time() + bound
        state = self.server_state
        while (state.connections or state.tasks) and not self.force_exit and loop.time() < deadline:
            await asyncio.sleep(_SHUTDOWN_POLL_SECONDS)
        for task in state.tasks:
            task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


class Emulator:
    """A local Twilio emulator: ``with Emulator() as emulator: ...`` serves it on a free port.

    ``emulator.url`` is the base URL to point the provider at (``twilio-dialing:apiUrl`` or
    ``TWILIO_DIALING_API_URL``); ``emulator.main_account`` holds the seeded main account's SID and auth
    token; ``emulator.backend`` is the state, request log and fault injector, for tests to seed and inspect.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        settings: EmulatorSettings | None = None,
        main_account_sid: str | None = None,
        main_auth_token: str | None = None,
    ) -> None:
        self.backend = Backend(settings)
        self.main_account: Account = self.backend.create_main_account(sid=main_account_sid, auth_token=main_auth_token)
        self._host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # Accepted connections inherit this. Without it Nagle's algorithm meets the client's delayed ACK
            # and every answer on a kept-alive connection (the twilio client reuses them) waits ~40 ms.
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._socket.bind((host, port))
            # Listening now lets clients connect (and queue) as soon as the URL is known.
            self._socket.listen(128)
        except OSError:
            self._socket.close()  # a busy port must not leave the socket open until garbage collection
            raise
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            build_app(self.backend),
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = _PromptServer(config)
        self._thread: threading.Thread | None = None

    @property
    def settings(self) -> EmulatorSettings:
        return self.backend.settings

    @property
    def url(self) -> str:
        """The URL to reach it from this machine (``0.0.0.0`` listens everywhere but is no address to call)."""
        host = "127.0.0.1" if self._host in ("0.0.0.0", "") else self._host  # noqa: S104
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (SIGINT/SIGTERM when this is the main thread)."""
        self._server.run(sockets=[self._socket])

    def start(self) -> Self:
        """Serve in a daemon thread; returns once the server accepts connections."""
        self._thread = threading.Thread(target=self.serve_forever, name="twilio-emulator", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the Twilio emulator failed to start")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        self._server.request_exit()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
