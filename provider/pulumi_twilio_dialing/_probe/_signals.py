"""Holding Ctrl-C, SIGTERM and SIGHUP while the probe cleans up, so that a stop never leaves its subaccount open."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["interrupts_deferred"]


@contextmanager
def interrupts_deferred(progress: Callable[[str], None]) -> Iterator[None]:
    """Ctrl-C (or SIGTERM) during the clean-up would leave the subaccount open: hold it until the clean-up
    is done, then raise it. Only the main thread can handle signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)
        with contextlib.suppress(Exception):  # a closed stderr must not break the clean-up
            progress("still closing the throwaway subaccount; stopping as soon as that is done")

    held = (signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else []))
    previous = {signum: signal.signal(signum, hold) for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if caught:
        raise KeyboardInterrupt
