"""Test-only resources that prove the engine harness's whole-program behaviour through the real server.

``Probe`` is a dynamic resource whose provider, running inside the ``python -m pulumi.dynamic`` server,
appends every call it serves to a JSON-lines log (the ``log`` input) with the number of its calls in flight
at that moment, so tests can see order and overlap. It can sleep (``sleep``), reject its inputs at Check
(``reject``), and fail a Create, Update or Delete on demand: the ``fail_file`` input names a file holding
``{"create": "raise" | "partial", ...}``; ``partial`` reports a partial failure the way native providers
do, with a ``pulumirpc.ErrorResourceInitFailed`` detail in the gRPC status (see ``report_init_failure``).
The failure switch lives in a file, not in the inputs, so a test can clear it without changing the inputs
(and so without making Diff report a change).

``Folder`` is a component to parent resources under; ``RenamedProbe`` is the same provider under another
type token, for type aliases. All of this lives in an importable module so the provider pickles by
reference, like the package's own providers.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import pulumi
from google.protobuf import any_pb2, struct_pb2
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime.proto import provider_pb2, status_pb2

PROVIDER_KEY = "__provider"
SERVER_MODULE = "pulumi.dynamic.__main__"
INPUTS = ("label", "value", "key", "log", "sleep", "fail_file", "reject")

# One provider instance serves every call of a server process from its 4 worker threads (the server caches
# the unpickled provider), so the in-flight count is process-wide state guarded by a lock.
_LOCK = threading.Lock()
_IN_FLIGHT = {"count": 0}


class ProbeInitError(Exception):
    """Raised after a partial failure has been reported in the gRPC trailing metadata."""


def servicer_context() -> grpc.ServicerContext:
    """The gRPC context of the server call running this provider method.

    The dynamic server hands provider methods plain dicts, never the context (pulumi/dynamic/__main__.py), but
    its servicer methods (and the ``_abort_with_traceback`` wrapper around them) hold it in a local named
    ``context``; walk up the stack to the nearest such frame.
    """
    frame = sys._getframe(1)
    while frame is not None:
        # Run with `-m`, the server module is `__main__`; its spec keeps the real name.
        spec = frame.f_globals.get("__spec__")
        candidate = frame.f_locals.get("context")
        if getattr(spec, "name", None) == SERVER_MODULE and isinstance(candidate, grpc.ServicerContext):
            return candidate
        frame = frame.f_back  # type: ignore[assignment]
    raise RuntimeError("not running inside a servicer method of the dynamic provider server")


def report_init_failure(
    id_: str, properties: dict[str, Any], inputs: dict[str, Any], reasons: list[str]
) -> grpc.ServicerContext:
    """Put an ``ErrorResourceInitFailed`` status in the call's trailing metadata, as native providers do.

    The status code must be UNKNOWN: the server aborts with UNKNOWN (``_abort_with_traceback``), and gRPC
    clients drop ``grpc-status-details-bin`` whose code disagrees with the call's status (grpc-go
    ``internal/status.NewWithProto``: a mismatch becomes INTERNAL without details).
    """
    detail = provider_pb2.ErrorResourceInitFailed(id=id_, reasons=reasons)
    detail.properties.CopyFrom(_struct(properties))
    detail.inputs.CopyFrom(_struct(inputs))
    packed = any_pb2.Any()
    packed.Pack(detail)
    status = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message="; ".join(reasons), details=[packed])
    context = servicer_context()
    context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
    return context


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({k: v for k, v in props.items() if v is not None})
    return struct


class ProbeProvider(ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure("reject", str(news["reject"]))] if news.get("reject") else []
        return CheckResult({k: news[k] for k in INPUTS if k in news}, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in ("value", "key") if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k == "key"])

    def create(self, props: dict[str, Any]) -> CreateResult:
        id_ = f"{props.get('label')}@{props.get('key', '')}#{time.monotonic_ns()}"
        outs = self._serve("create", props, id_)
        return CreateResult(id_, outs)

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._serve("update", news, id_))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        self._record("read", "start", props, id_)
        return ReadResult(id_, {k: props[k] for k in INPUTS if k in props})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._serve("delete", props, id_)

    # ------------------------------------------------------------------------------------- internals
    def _serve(self, op: str, props: dict[str, Any], id_: str) -> dict[str, Any]:
        with _LOCK:
            _IN_FLIGHT["count"] += 1
        try:
            self._record(op, "start", props, id_)
            time.sleep(float(props.get("sleep") or 0))
            outs = {k: props[k] for k in INPUTS if k in props}
            outs["served_by"] = op
            mode = self._failure(op, props)
            if mode == "partial":
                reasons = [f"{op} of {props.get('label')} did not finish initialising"]
                report_init_failure(id_, {**outs, PROVIDER_KEY: props[PROVIDER_KEY]}, props, reasons)
                raise ProbeInitError(reasons[0])
            if mode == "raise":
                raise RuntimeError(f"{op} of {props.get('label')} failed as asked")
            return outs
        finally:
            self._record(op, "end", props, id_)
            with _LOCK:
                _IN_FLIGHT["count"] -= 1

    @staticmethod
    def _failure(op: str, props: dict[str, Any]) -> str | None:
        path = props.get("fail_file")
        if not path or not Path(path).exists():
            return None
        mode: str | None = json.loads(Path(path).read_text()).get(op)
        return mode

    @staticmethod
    def _record(op: str, phase: str, props: dict[str, Any], id_: str) -> None:
        path = props.get("log")
        if not path:
            return
        with _LOCK:
            event = {"op": op, "phase": phase, "label": props.get("label"), "id": id_}
            event.update(
                in_flight=_IN_FLIGHT["count"],
                t=time.monotonic(),
                # which provider process served it, and what it was started as (tests/test_engine_harness.py)
                pid=os.getpid(),
                main=getattr(sys.modules["__main__"], "__spec__", None) and sys.modules["__main__"].__spec__.name,
                cwd=os.getcwd(),
                project=os.environ.get("PULUMI_PROJECT"),
            )
            with open(path, "a") as log:
                log.write(json.dumps(event) + "\n")


def read_log(path: Path) -> list[dict[str, Any]]:
    """The events a Probe provider recorded, in the order they happened."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


class _ProbeBase(Resource):
    label: pulumi.Output[str]
    value: pulumi.Output[str]
    served_by: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        log: Path | str,
        value: pulumi.Input[str] = "v",
        key: str = "k",
        sleep: float = 0.0,
        fail_file: Path | str | None = None,
        reject: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "label": name,
            "value": value,
            "key": key,
            "log": str(log),
            "sleep": sleep,
            "served_by": None,
        }
        if fail_file is not None:
            props["fail_file"] = str(fail_file)
        if reject is not None:
            props["reject"] = reject
        super().__init__(ProbeProvider(), name, props, opts)


class Probe(_ProbeBase, module="harness", name="Probe"):
    """``pulumi-python:dynamic/harness:Probe``."""


class RenamedProbe(_ProbeBase, module="harness", name="RenamedProbe"):
    """The same provider under another type token (``pulumi-python:dynamic/harness:RenamedProbe``)."""


class Folder(pulumi.ComponentResource):
    """A component (``harness:index:Folder``): no provider call, but it is part of its children's URNs."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("harness:index:Folder", name, None, opts)
        self.register_outputs({})
