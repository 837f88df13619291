"""Partial state: tell the engine what a failed create or update left behind, so Pulumi keeps it.

The engine already knows how: when a provider fails ``Create`` or ``Update`` with a gRPC status whose
details hold a ``pulumirpc.ErrorResourceInitFailed{id, properties, reasons}``, it records the resource with
those properties anyway (status "partial failure"), fails the command, and updates the resource on the
next ``up`` whatever its diff says (pulumi ``pkg/resource/plugin/provider_plugin.go`` ``parseError``;
``pkg/resource/deploy/step_generator.go``, ``hasInitErrors``). Native providers and the Terraform bridge
use this for resources that were created but did not finish.

The Python dynamic provider server has no way to say it: every exception becomes ``UNKNOWN`` with the
traceback. But it aborts through the servicer context, and gRPC keeps trailing metadata set before an
abort. So a failing handler finds the context of the RPC it runs in (its caller's frame in
``pulumi.dynamic.__main__``), sets ``grpc-status-details-bin`` there, and raises as usual. Outside that
server (unit tests, another engine) nothing is found and nothing is set: the error alone tells the user.

This is what keeps a restore point when a create fails after writing and cannot put back what it wrote:
the partial state carries the values read before the first write.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from typing import Any

import grpc
from google.protobuf import any_pb2
from pulumi.runtime import rpc

# pulumi's own copy of google.rpc.Status: importing googleapis-common-protos' as well clashes in the
# protobuf descriptor pool ("duplicate symbol 'google.rpc.Status'") once anything imports pulumi.provider.
from pulumi.runtime.proto import provider_pb2, status_pb2

__all__ = ["report_partial_state"]

_SERVER_MODULE = "pulumi.dynamic.__main__"


def _servicer_context() -> grpc.ServicerContext | None:
    frame = sys._getframe(1)
    while frame is not None:
        spec = frame.f_globals.get("__spec__")
        if getattr(spec, "name", None) == _SERVER_MODULE:
            context = frame.f_locals.get("context")
            if isinstance(context, grpc.ServicerContext):
                return context
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _struct(props: Mapping[str, Any]) -> Any:
    # The server serialises outputs the same way (a fresh event loop per call).
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(dict(props), {}))
    finally:
        loop.close()


def report_partial_state(id_: str, outputs: Mapping[str, Any], reason: str) -> bool:
    """Attach ``outputs`` (which must include ``__provider``) as the partial state of the resource being
    created or updated by the current RPC. Returns whether an RPC context was found. The caller raises."""
    context = _servicer_context()
    if context is None:
        return False
    detail = any_pb2.Any()
    detail.Pack(provider_pb2.ErrorResourceInitFailed(id=id_, properties=_struct(outputs), reasons=[reason]))
    status = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=reason, details=[detail])
    context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
    return True
