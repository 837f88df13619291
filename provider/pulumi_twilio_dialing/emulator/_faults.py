"""Fault injection: make the emulator misbehave the ways Twilio can, on purpose and countably."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Fault", "FaultInjector", "FaultKind", "InjectedFaults"]

FaultKind = Literal["error", "latency", "drop", "accept_not_apply"]


@dataclass
class Fault:
    """One rule. It matches a request by method, path prefix and account, then fires either for the next
    ``count`` matching requests or, with ``fraction``, for that share of them (seeded, so reproducible).

    With ``after``, the first ``after`` matching requests pass untouched (to fail the third request of a
    change, say). Kinds: ``error`` answers ``status`` (429 gets Twilio's 20429 body, 5xx a 20500 body)
    without processing the request; ``latency`` delays the answer by ``seconds``; ``drop`` closes the
    connection after the status line so the client gets no usable answer; ``accept_not_apply`` answers a
    write as successful but changes nothing.
    """

    kind: FaultKind
    count: int | None = None
    fraction: float | None = None
    status: int = 429
    seconds: float = 0.0
    method: str | None = None
    path_prefix: str | None = None
    account_sid: str | None = None
    after: int = 0
    fired: int = 0
    passed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("error", "latency", "drop", "accept_not_apply"):
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if (self.count is None) == (self.fraction is None):
            raise ValueError("a fault needs exactly one of count (next N requests) or fraction (0..1)")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1")
        if self.fraction is not None and not 0.0 < self.fraction <= 1.0:
            raise ValueError("fraction must be in (0, 1]")
        if self.kind == "error" and self.status not in (429, 500, 502, 503, 504):
            raise ValueError("an error fault answers 429, 500, 502, 503 or 504")

    def matches(self, method: str, path: str, account_sid: str | None) -> bool:
        return (
            (self.method is None or self.method.upper() == method)
            and (self.path_prefix is None or path.startswith(self.path_prefix))
            and (self.account_sid is None or self.account_sid == account_sid)
        )

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count


@dataclass
class InjectedFaults:
    """What the faults that fired decided for one request."""

    error_status: int | None = None
    drop: bool = False
    latency: float = 0.0
    accept_not_apply: bool = False
    kinds: list[FaultKind] = field(default_factory=list)


class FaultInjector:
    """Holds the active faults; thread-safe because tests add faults while the server thread reads them."""

    def __init__(self, seed: int = 0) -> None:
        self._faults: list[Fault] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if not f.exhausted]

    def decide(self, method: str, path: str, account_sid: str | None) -> InjectedFaults:
        """Fire every matching fault once for this request and merge their effects."""
        decision = InjectedFaults()
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(method, path, account_sid):
                    continue
                if fault.passed < fault.after:
                    fault.passed += 1
                    continue
                if fault.fraction is not None and self._random.random() >= fault.fraction:
                    continue
                fault.fired += 1
                decision.kinds.append(fault.kind)
                if fault.kind == "error" and decision.error_status is None:
                    decision.error_status = fault.status
                elif fault.kind == "drop":
                    decision.drop = True
                elif fault.kind == "latency":
                    decision.latency += fault.seconds
                elif fault.kind == "accept_not_apply":
                    decision.accept_not_apply = True
            self._faults = [f for f in self._faults if not f.exhausted]
        return decision
