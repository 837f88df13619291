"""Fault injection: make the emulator misbehave the ways Twilio can, on purpose and countably."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ECHO_STATUSES", "EchoFormat", "Fault", "FaultInjector", "FaultKind", "InjectedFaults"]

FaultKind = Literal["error", "latency", "drop", "garble", "accept_not_apply", "echo_credentials"]
FAULT_KINDS: tuple[FaultKind, ...] = ("error", "latency", "drop", "garble", "accept_not_apply", "echo_credentials")
EchoFormat = Literal["json", "text"]
ECHO_FORMATS: tuple[EchoFormat, ...] = ("json", "text")
ECHO_STATUSES = (400, 401, 403, 500, 502, 503, 504)


@dataclass
class Fault:
    """One rule. It matches a request by method, path prefix and account, then fires either for the next
    ``count`` matching requests or, with ``fraction``, for that share of them (seeded, so reproducible).

    With ``after``, the first ``after`` matching requests pass untouched (to fail the third request of a
    change, say). Kinds: ``error`` answers ``status`` (429 gets Twilio's 20429 body, 5xx a 20500 body)
    without processing the request; ``latency`` delays the answer by ``seconds``; ``drop`` closes the
    connection after the status line so the client gets no usable answer; ``garble`` processes the request
    and answers its usual status with the JSON body cut in half (a complete HTTP answer that cannot be read,
    as from a proxy that truncates bodies); ``accept_not_apply`` answers a
    write as successful but changes nothing; ``echo_credentials`` answers ``status`` (400, 401, 403, 500,
    502, 503 or 504; no default) without processing the request, with an error body that echoes the
    request's raw ``Authorization`` header (``Basic <base64 of sid:secret>``) and its form body, as a
    misbehaving proxy or a verbose upstream error could: with ``echo_format="json"`` (the default) a Twilio
    error body (code 20001 for 400, 20003 for 401/403, 20500 for 5xx) whose ``message`` holds them, with
    ``echo_format="text"`` a ``text/html`` page holding them. Like every fault, it fires only for a request
    whose credentials were accepted. The request log still records no secret.
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
    echo_format: EchoFormat = "json"
    fired: int = 0
    passed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if (self.count is None) == (self.fraction is None):
            raise ValueError("a fault needs exactly one of count (next N requests) or fraction (0..1)")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1")
        if self.fraction is not None and not 0.0 < self.fraction <= 1.0:
            raise ValueError("fraction must be in (0, 1]")
        if self.kind == "error" and self.status not in (429, 500, 502, 503, 504):
            raise ValueError("an error fault answers 429, 500, 502, 503 or 504")
        if self.echo_format not in ECHO_FORMATS:
            raise ValueError(f"echo_format must be 'json' or 'text', not {self.echo_format!r}")
        if self.kind == "echo_credentials" and self.status not in ECHO_STATUSES:
            raise ValueError("an echo_credentials fault answers 400, 401, 403, 500, 502, 503 or 504: set status")
        if self.kind != "echo_credentials" and self.echo_format != "json":
            raise ValueError("echo_format applies to echo_credentials faults only")

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
    garble: bool = False
    latency: float = 0.0
    accept_not_apply: bool = False
    echo_status: int | None = None
    echo_format: EchoFormat = "json"
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
                elif fault.kind == "garble":
                    decision.garble = True
                elif fault.kind == "latency":
                    decision.latency += fault.seconds
                elif fault.kind == "accept_not_apply":
                    decision.accept_not_apply = True
                elif fault.kind == "echo_credentials" and decision.echo_status is None:
                    decision.echo_status, decision.echo_format = fault.status, fault.echo_format
            self._faults = [f for f in self._faults if not f.exhausted]
        return decision
