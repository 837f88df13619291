"""A stand-in for the Pulumi engine that drives the REAL dynamic provider server.

There is no Pulumi CLI here, so this module plays the engine's part (see
``../shared/reference/pulumi-dynamic.md`` §1-§3):

- the program runs under ``pulumi.runtime.set_mocks`` with a monitor (``_Monitor``) that receives each
  ``RegisterResourceRequest`` exactly as the SDK would send it to the engine: wire inputs (``__provider``
  included, secret-wrapped), parent URN, alias specs, dependencies and ``deleteBeforeReplace``;
- ``python -u -m pulumi.dynamic`` is started as a subprocess, one per command (one ``pulumi up`` = one
  provider process); its first stdout line is the gRPC port;
- ``Configure`` receives the whole stack config (namespaced keys, secrets wrapped);
- each registration is stepped as it arrives, like the engine's step generator: Check; Create, or Diff
  against the old OUTPUTS and then Update / replace / "same" (which keeps the old outputs); Read for
  refresh; Delete for destroy. Preview never calls Create or Update and uses the checked inputs as
  outputs (computed ones unknown);
- requests carry plaintext (the server answers ``acceptSecrets=False``), and outputs are re-marked secret
  like the engine's ``annotateSecrets``.

Whole-program behaviour of ``up`` (pulumi/pulumi ``pkg/resource/deploy/step_generator.go`` at 00285a9b):

- **Identity is the URN** ``urn:pulumi:<stack>::<project>::<parent types $-joined, then own type>::<name>``
  (``resource.NewURN``; the root stack is left out). Renaming a resource, changing its type token or moving
  it into or out of a component without ``aliases`` makes a new resource: created at once, the old one
  deleted at the end. With ``opts.aliases`` the registration takes over the old entry (``generateAliases``,
  ``collapseAliasToUrn``, ``inheritedChildAlias``; the URN is looked up first, then the aliases).
- **Create-before-delete replacement**: the replacement is created at once; the original is marked for
  deletion (``Delete: true``) and deleted only at the END, with the resources the program no longer
  registers (``GenerateDeletes``: "the delete step is generated later on, after all creates/updates
  finish"). The replacement's inputs come from a second Check without the old inputs, as the engine
  "recompute[s] the default values" before a replace. Delete-before-replace deletes first.
- **End-of-up deletions** run in reverse dependency order (``ScheduleDeletes``): one at a time, newest
  first, when ``parallel=False``; antichain by antichain, each concurrently, when ``parallel=True``.
- **A failed up** (a Check failure or a provider error in any step) stops stepping new registrations; steps
  already in flight finish; no deletion runs; the first error is raised. State keeps what was created or
  updated, the originals of replacements as pending deletions, and what the program no longer has. Like
  the engine's snapshot, the new state lists this run's resources first (in completion order), then the
  old entries it did not touch.
- **Pending deletions left by a failed up** are deleted at the END of the next up, like any other
  deletion (``pending_deletes="end"``, the default: pulumi/pulumi#11027, "Do not execute pending deletes
  at the start of deployment", merged 2022-11-01 for v3.46, fixing #2948). Engines before it deleted them
  at the START, before any Check (``pending_deletes="first"``; the complaint in #9979).
- **Partial failure**: a Create or Update whose gRPC error carries ``grpc-status-details-bin`` with a
  ``pulumirpc.ErrorResourceInitFailed`` is recorded anyway (``provider_plugin.go`` ``parseError``: status
  partial failure, ``InitError{Reasons}``) with ``init_errors``; the up still fails (``ProviderError``
  with ``partial``/``reasons``). A resource with init errors is updated by the next up even when Diff
  reports no change (``hasInitErrors``); a successful Update clears them.
- **Parallelism**: the SDK performs RegisterResource calls from executor threads, so independent
  resources were always stepped concurrently here (the harness's default before it had a switch, kept as
  ``parallel=True``); the server's pool of 4 workers is what bounds provider calls in flight, as with the
  real engine. ``parallel=False`` serialises everything in registration order.

The state kept per resource (``Engine.state``) is what a stack would persist, so tests can walk
preview → up → refresh → change → up → destroy and then inspect everything that would be stored.
Components are not stored (the engine keeps them, but calls no provider for them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import grpc
import pulumi
import pulumi.runtime
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import alias_pb2, provider_pb2, provider_pb2_grpc, resource_pb2, status_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

UNKNOWN = rpc.UNKNOWN
SECRET_SIG = rpc._special_secret_sig
SIG_KEY = rpc._special_sig_key
PROVIDER_KEY = "__provider"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
STATUS_DETAILS_KEY = "grpc-status-details-bin"
# The dynamic server's gRPC pool (pulumi/dynamic/__main__.py: ThreadPoolExecutor(max_workers=4)): at most
# this many provider calls run at once, whatever the engine's --parallel.
SERVER_WORKERS = 4

StepKind = Literal["create", "update", "replace", "same", "delete", "refresh", "gone", "read"]
PendingDeletes = Literal["end", "first"]


@dataclass(frozen=True)
class InitFailure:
    """A ``pulumirpc.ErrorResourceInitFailed`` detail: the resource exists but did not finish initialising."""

    id: str
    properties: dict[str, Any]
    inputs: dict[str, Any] | None
    reasons: list[str]


class ProviderError(Exception):
    """The provider server failed a call (gRPC UNKNOWN carrying the Python traceback).

    ``partial`` is true when the error was a partial failure (``init_failure`` holds what the provider
    reported, ``reasons`` its reasons): the engine then records the resource anyway.
    """

    def __init__(self, method: str, name: str, details: str, *, init_failure: InitFailure | None = None) -> None:
        reasons = f"\n(partial failure: {'; '.join(init_failure.reasons)})" if init_failure else ""
        super().__init__(f"{method} of {name} failed:\n{details}{reasons}")
        self.method = method
        self.name = name
        self.details = details
        self.init_failure = init_failure

    @property
    def partial(self) -> bool:
        return self.init_failure is not None

    @property
    def reasons(self) -> list[str]:
        return list(self.init_failure.reasons) if self.init_failure else []


class CheckFailedError(Exception):
    """Check returned failures; like the engine, nothing else happens to the resource."""

    def __init__(self, name: str, failures: list[tuple[str, str]]) -> None:
        super().__init__(f"{name}: " + "; ".join(f"{p}: {r}" for p, r in failures))
        self.name = name
        self.failures = failures


class DeploymentError(Exception):
    """The engine refused a registration (duplicate URN, an alias claimed twice, or an earlier failure)."""


# ------------------------------------------------------------------------------------- wire helpers
def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def reveal(value: Any) -> Any:
    """Strip secret wrappers at any depth (the engine sends plaintext to a provider that refuses secrets)."""
    if is_secret(value):
        return reveal(value["value"])
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    if isinstance(value, pulumi.output.Unknown):
        return UNKNOWN
    return value


def contains_secret(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({k: v for k, v in props.items() if v is not None})
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    decoded = rpc.deserialize_properties(struct, keep_unknowns=True)
    return {k: (UNKNOWN if isinstance(v, pulumi.output.Unknown) else v) for k, v in decoded.items()}


def init_failure_of(error: grpc.RpcError) -> InitFailure | None:
    """The ``ErrorResourceInitFailed`` a failed call carries in its trailing metadata, if any.

    gRPC clients only trust ``grpc-status-details-bin`` whose code is the call's own (grpc-go
    ``internal/status.NewWithProto``: a mismatch becomes INTERNAL without details), so neither does this.
    """
    code = error.code() if callable(getattr(error, "code", None)) else None
    # (key, value) pairs; the stubs type them as an opaque metadatum.
    trailing: Any = error.trailing_metadata() if callable(getattr(error, "trailing_metadata", None)) else None
    for key, value in trailing or ():
        if key != STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value if isinstance(value, bytes) else value.encode())
        if code is None or status.code != code.value[0]:
            return None
        for detail in status.details:
            failed = provider_pb2.ErrorResourceInitFailed()
            if detail.Unpack(failed):
                return InitFailure(
                    id=failed.id,
                    properties=from_struct(failed.properties),
                    inputs=from_struct(failed.inputs) if failed.HasField("inputs") else None,
                    reasons=list(failed.reasons),
                )
    return None


# ------------------------------------------------------------------------------------- URNs
def make_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """``resource.NewURN``: the parent's qualified type (unless it is the root stack), ``$``, own type."""
    qualified = type_
    if parent and urn_qualified_type(parent) != ROOT_STACK_TYPE:
        qualified = f"{urn_qualified_type(parent)}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def create_urn(name: str, type_: str, parent: str, project: str, stack: str) -> str:
    """``resource.CreateURN`` (used for aliases): with a parent, its URN's prefix up to the name, then ``$``."""
    if parent:
        return f"{parent[: parent.rindex('::')]}${type_}::{name}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def urn_qualified_type(urn: str) -> str:
    return urn.split("::", 3)[2]


def urn_type(urn: str) -> str:
    return urn_qualified_type(urn).split("$")[-1]


def urn_name(urn: str) -> str:
    return urn.split("::", 3)[3]


# ------------------------------------------------------------------------------------- the program
@dataclass(frozen=True)
class AliasSpec:
    """One ``opts.aliases`` entry as the SDK sends it: a full URN, or a spec (empty fields mean "as now")."""

    urn: str = ""
    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent: str = ""
    no_parent: bool = False

    @classmethod
    def from_proto(cls, alias: alias_pb2.Alias) -> AliasSpec:
        if alias.WhichOneof("alias") == "urn":
            return cls(urn=alias.urn)
        spec = alias.spec
        return cls(
            name=spec.name,
            type=spec.type,
            stack=spec.stack,
            project=spec.project,
            parent=spec.parentUrn,
            no_parent=spec.WhichOneof("parent") == "noParent" and spec.noParent,
        )


@dataclass(frozen=True)
class Registration:
    """One resource the program registered: its type token, name and SDK-serialized inputs, plus what the
    engine learns from the RegisterResourceRequest (URN, parent, aliases, dependencies, options)."""

    type: str
    name: str
    inputs: dict[str, Any]
    urn: str = ""
    parent: str = ""  # "" for a resource parented by the root stack
    custom: bool = True
    aliases: tuple[AliasSpec, ...] = ()
    dependencies: tuple[str, ...] = ()
    delete_before_replace: bool | None = None


class _Recorder(pulumi.runtime.Mocks):
    """Receives each registration as the program makes it. With ``on_register`` (the engine's step), the
    resource goes through the provider right away and the program gets its real outputs back, so
    resources that depend on others' outputs see real values, or unknowns in preview, as with the engine.
    Without it, registrations are only recorded (every output unknown in preview, inputs echoed otherwise).
    """

    def __init__(
        self,
        preview: bool,
        on_register: Callable[[Registration], Step] | None,
        on_component: Callable[[Registration], None] | None = None,
        on_read: Callable[[Registration, str], Step] | None = None,
    ) -> None:
        self.preview = preview
        self.on_register = on_register
        self.on_component = on_component
        self.on_read = on_read
        self.registrations: list[Registration] = []
        self.errors: list[BaseException] = []

    def register(self, registration: Registration) -> tuple[str | None, dict[str, Any]]:
        if not registration.custom:
            # A component: the engine calls no provider for it, but its aliases pass on to its children.
            if self.on_component is not None:
                try:
                    self.on_component(registration)
                except Exception as error:
                    self.errors.append(error)
            return None, {}
        self.registrations.append(registration)
        if self.on_register is None:
            return (None, {}) if self.preview else (f"{registration.name}-id", dict(registration.inputs))
        try:
            step = self.on_register(registration)
        except Exception as error:
            # Raised later by run_program. Raising here would leave the SDK's futures failing unobserved.
            self.errors.append(error)
            return None, {}
        # Unknown outputs are left out: the SDK then resolves them as unknown (preview only).
        outputs = {k: v for k, v in step.outputs.items() if v != UNKNOWN}
        return step.id or None, outputs

    def read(self, registration: Registration, id_: str) -> tuple[str, dict[str, Any]]:
        """A ``Resource.get`` (ReadResource): with ``on_read`` (the engine's Read step) the provider reads it."""
        self.registrations.append(registration)
        if self.on_read is None:
            return id_, dict(registration.inputs)
        try:
            step = self.on_read(registration, id_)
        except Exception as error:
            self.errors.append(error)
            return "", {}
        return step.id, {k: v for k, v in step.outputs.items() if v != UNKNOWN}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        # Nothing comes this way any more: _Monitor takes RegisterResource and ReadResource itself.
        custom = True if args.custom is None else bool(args.custom)
        return self.register(Registration(args.typ, args.name, dict(args.inputs), custom=custom))

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise NotImplementedError(f"invoke {args.token} is not available in the harness")


class _Monitor(MockMonitor):
    """The mock resource monitor, but with the engine's URNs and the whole RegisterResourceRequest.

    ``MockResourceArgs`` carries neither parent nor aliases, and ``MockMonitor.make_urn`` puts the root
    stack's type into every URN; the request itself has everything the engine sees.
    """

    def __init__(self, recorder: _Recorder, *, project: str, stack: str) -> None:
        super().__init__(recorder)
        self.recorder = recorder
        self.project = project
        self.stack = stack

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return make_urn(self.stack, self.project, parent, type_, name)

    @staticmethod
    def _parent(urn: str) -> str:
        """The parent a registration records: none for the stack itself, which every resource hangs off."""
        return urn if urn and urn_qualified_type(urn) != ROOT_STACK_TYPE else ""

    def RegisterResource(self, request: resource_pb2.RegisterResourceRequest) -> Any:  # noqa: N802 - gRPC name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == ROOT_STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        _ensure_event_loop()  # type: ignore[no-untyped-call] # deserializing resource references needs a loop
        parent = self._parent(request.parent)
        registration = Registration(
            request.type,
            request.name,
            rpc.deserialize_properties(request.object),
            urn=urn,
            parent=parent,
            custom=request.custom,
            aliases=tuple(AliasSpec.from_proto(a) for a in request.aliases)
            + tuple(AliasSpec(urn=u) for u in request.aliasURNs),
            # The SDK folds property dependencies into `dependencies` (prepare_resource).
            dependencies=tuple(sorted(set(request.dependencies))),
            delete_before_replace=request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None,
        )
        id_, state = self.recorder.register(registration)
        properties = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, state)  # type: ignore[arg-type]
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=properties)

    def ReadResource(self, request: resource_pb2.ReadResourceRequest) -> Any:  # noqa: N802 - gRPC name
        """``Resource.get(name, id)``: the engine's ReadStep (no Check, no Create): the provider's Read gets the
        ID, and the properties the program passed (for a dynamic resource: the pickled provider) as both
        ``properties`` and ``inputs`` (step.go: "we've been passing that as 'state' to providers since
        forever")."""
        urn = self.make_urn(request.parent, request.type, request.name)
        _ensure_event_loop()  # type: ignore[no-untyped-call]
        parent = self._parent(request.parent)
        registration = Registration(
            request.type,
            request.name,
            rpc.deserialize_properties(request.properties),
            urn=urn,
            parent=parent,
            dependencies=tuple(sorted(set(request.dependencies))),
        )
        id_, state = self.recorder.read(registration, request.id)
        properties = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, state)  # type: ignore[arg-type]
        response = resource_pb2.ReadResourceResponse(urn=urn, properties=properties)
        # `id` joined the monitor's answer in later protocol versions; the SDK of those releases reads it,
        # older ones (pulumi 3.260, our floor) take the ID they asked for. Answer as the installed SDK's engine would.
        if "id" in resource_pb2.ReadResourceResponse.DESCRIPTOR.fields_by_name:
            response.id = id_
        return response


def run_program(
    program: Callable[[], Any],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: set[str],
    preview: bool,
    on_register: Callable[[Registration], Step] | None = None,
    on_component: Callable[[Registration], None] | None = None,
    sequential: bool = False,
    on_read: Callable[[Registration, str], Step] | None = None,
) -> list[Registration]:
    """Run a Pulumi program under mocks and return what it registered, in order.

    ``sequential`` gives the program's event loop a one-thread default executor for the run: the SDK makes
    every RegisterResource call through ``run_in_executor``, so they then happen one at a time, in the order
    the program issues them. (The loop itself is the thread's usual one: tests build Outputs outside the
    program, and an Output belongs to the loop it was made on.)
    """
    recorder = _Recorder(preview, on_register, on_component, on_read)
    loop: asyncio.AbstractEventLoop = _ensure_event_loop()  # type: ignore[no-untyped-call]
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="harness-register") if sequential else None
    # There is no public getter, and the loop's own executor must be put back after the run.
    previous = getattr(loop, "_default_executor", None)
    if executor is not None:
        loop.set_default_executor(executor)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def _run() -> Any:
        program()
        return pulumi.Output.from_input(None)

    try:
        pulumi.runtime.set_all_config(dict(config), sorted(secret_keys))
        monitor = _Monitor(recorder, project=project, stack=stack)
        pulumi.runtime.set_mocks(recorder, project=project, stack=stack, preview=preview, monitor=monitor)
        _run()
    except BaseException:
        if recorder.errors:
            raise recorder.errors[0] from None
        raise
    finally:
        if executor is not None:
            loop._default_executor = previous  # type: ignore[attr-defined]
            executor.shutdown(wait=True)
    if recorder.errors:
        raise recorder.errors[0]
    return recorder.registrations


# ------------------------------------------------------------------------------------- the server
class _ForkedProcess:
    """The slice of ``subprocess.Popen`` the server needs, for a child of the fork server (not ours to
    ``waitpid``: its exit is seen through a pidfd)."""

    def __init__(self, pid: int, stdout: int, stderr: int) -> None:
        self.pid = pid
        self._pidfd = os.pidfd_open(pid)
        self.stdout = os.fdopen(stdout, "rb")
        self.stderr = os.fdopen(stderr, "rb")

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self._pidfd, number)

    def wait(self, timeout: float | None = None) -> None:
        if not select.select([self._pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired("pulumi.dynamic (forked)", timeout or 0)
        os.close(self._pidfd)
        self._pidfd = os.open(os.devnull, os.O_RDONLY)  # a harmless fd for a second wait()


class _ForkServer:
    """One per test process: tests/harness/forkserver.py, which imports the provider's modules once and
    forks a fresh ``pulumi.dynamic`` server per command (see its docstring for why that is faithful)."""

    _lock = threading.Lock()
    _instance: _ForkServer | None = None

    def __init__(self, environment: Mapping[str, str]) -> None:
        self._socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(Path(__file__).with_name("forkserver.py")), str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=dict(environment),
        )
        theirs.close()
        if self._socket.recv(64) != b"ready\n":
            raise RuntimeError("the harness's fork server did not start")

    @classmethod
    def spawn(cls, environment: Mapping[str, str], cwd: Path) -> _ForkedProcess:
        with cls._lock:
            if cls._instance is None or cls._instance.process.poll() is not None:
                cls._instance = cls(environment)
            out_read, out_write = os.pipe()
            err_read, err_write = os.pipe()
            request = json.dumps({"env": dict(environment), "cwd": str(cwd)}).encode()
            try:
                socket.send_fds(cls._instance._socket, [request], [out_write, err_write])
                answer = json.loads(cls._instance._socket.recv(256))
            finally:
                os.close(out_write)
                os.close(err_write)
            return _ForkedProcess(answer["pid"], out_read, err_read)


def _fork_server_wanted() -> bool:
    return os.environ.get("TWILIO_DIALING_HARNESS_FORK", "1") != "0" and hasattr(os, "pidfd_open")


class ProviderServer:
    """``python -u -m pulumi.dynamic`` as the engine launches it, with its stdout/stderr captured.

    A fresh process per command, forked from the harness's fork server (tests/harness/forkserver.py) unless
    ``TWILIO_DIALING_HARNESS_FORK=0`` asks for a plain ``subprocess``.
    """

    def __init__(self, *, cwd: Path, project: str, env: Mapping[str, str] | None = None) -> None:
        environment = dict(os.environ)
        environment.update(env or {})
        environment["PULUMI_PROJECT"] = project
        tests_dir = str(Path(__file__).resolve().parent.parent)
        environment["PYTHONPATH"] = os.pathsep.join(p for p in (tests_dir, environment.get("PYTHONPATH", "")) if p)
        self.process: subprocess.Popen[bytes] | _ForkedProcess
        if _fork_server_wanted():
            self.process = _ForkServer.spawn(environment, cwd)
        else:
            self.process = subprocess.Popen(
                [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:0"],
                cwd=cwd,
                env=environment,
                stdin=subprocess.DEVNULL,  # the engine gives its plugins no terminal input; nor do forked ones
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        assert self.process.stdout is not None and self.process.stderr is not None
        first = self.process.stdout.readline()
        if not first.strip().isdigit():
            self.process.kill()
            raise RuntimeError(f"provider server did not print a port: {first!r} {self.process.stderr.read()!r}")
        self.port = int(first)
        self._output: list[str] = []
        self._drains = [
            threading.Thread(target=self._drain, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for drain in self._drains:
            drain.start()
        # No grpc.channel_ready_future: the port is printed once the server listens, and the future's
        # connectivity-polling thread makes channel.close() wait out its 0.2 s poll - on every command. The
        # first call waits for the channel instead (Engine.server's GetPluginInfo, wait_for_ready).
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def _drain(self, stream: Any) -> None:
        for line in iter(stream.readline, b""):
            self._output.append(line.decode("utf-8", errors="replace"))

    @property
    def output(self) -> str:
        """Everything the provider printed (the engine shows it to the user as diagnostics)."""
        return "".join(self._output)

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for drain in self._drains:
            drain.join(timeout=5)


# ------------------------------------------------------------------------------------- state and plans
@dataclass
class ResourceState:
    type: str
    name: str
    urn: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    secret_outputs: set[str] = field(default_factory=set)
    parent: str = ""  # the parent's URN; "" when the root stack is the parent
    dependencies: list[str] = field(default_factory=list)  # URNs, for the order of deletions
    init_errors: list[str] = field(default_factory=list)  # set by a partial failure (the engine's InitErrors)
    pending_delete: bool = False  # the engine's `Delete: true`: a replaced original awaiting deletion
    external: bool = False  # read with `Resource.get` (ReadResource): never updated nor deleted by the engine


@dataclass
class Step:
    name: str
    kind: StepKind
    outputs: dict[str, Any]
    replaces: list[str] = field(default_factory=list)
    id: str = ""
    urn: str = ""
    type: str = ""


@dataclass
class Plan:
    """What a command did (or, for preview, would do).

    ``steps`` is keyed by resource name (by URN when the name is already taken, e.g. the old entry of a
    resource moved into a component); it has a "delete" step for every resource the command deletes except
    the originals of its own replacements, which the "replace" step stands for. ``deletions`` lists every
    deletion in the order it ran (or would run), those originals included.
    """

    steps: dict[str, Step]
    deletions: list[Step] = field(default_factory=list)

    def kinds(self) -> dict[str, StepKind]:
        return {name: step.kind for name, step in self.steps.items()}

    def add(self, step: Step) -> None:
        key = step.name
        if key in self.steps:
            key = step.urn
            n = 2
            while key in self.steps:
                key, n = f"{step.urn}#{n}", n + 1
        self.steps[key] = step


class _StateView(MutableMapping[str, ResourceState]):
    """``Engine.state``: the live (not pending-deletion) entries, by name.

    Names are not unique in a stack (URNs are): when several live entries share a name, the first in state
    order wins, which after an ``up`` is the one its program registered (see ``Engine.resources`` for all).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _live(self) -> list[ResourceState]:
        return [r for r in self._engine._resources if not r.pending_delete]

    def __getitem__(self, name: str) -> ResourceState:
        for state in self._live():
            if state.name == name:
                return state
        raise KeyError(name)

    def __setitem__(self, name: str, state: ResourceState) -> None:
        resources = self._engine._resources
        with self._engine._lock:
            for index, existing in enumerate(resources):
                if existing.name == name and not existing.pending_delete:
                    resources[index] = state
                    return
            resources.append(state)

    def __delitem__(self, name: str) -> None:
        resources = self._engine._resources
        with self._engine._lock:
            for index, existing in enumerate(resources):
                if existing.name == name and not existing.pending_delete:
                    del resources[index]
                    return
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(r.name for r in self._live()))

    def __len__(self) -> int:
        return len(dict.fromkeys(r.name for r in self._live()))

    def copy(self) -> dict[str, ResourceState]:
        return dict(self.items())

    def __repr__(self) -> str:
        return f"EngineState({self.copy()!r})"


# ------------------------------------------------------------------------------------- one deployment
class _Run:
    """The step generator's bookkeeping for one preview or up (``stepGenerator`` in the engine)."""

    def __init__(self, engine: Engine, *, preview: bool) -> None:
        self.engine = engine
        self.preview = preview
        self.lock = threading.Lock()
        self.old: list[ResourceState] = list(engine._resources)  # the base snapshot
        self.olds: dict[str, ResourceState] = {r.urn: r for r in self.old if not r.pending_delete}  # Olds()
        self.seen: set[str] = set()  # sg.urns
        self.order: list[str] = []  # registered URNs, in registration order
        self.aliased: dict[str, str] = {}  # sg.aliased: old URN -> the new URN that took it over
        self.alias_of: dict[str, str] = {}  # sg.aliases: new URN -> the old URN it took over (components too)
        self.old_parents = {r.parent for r in self.old if r.parent}  # components are known by their children
        self.claimed: set[int] = set()  # old entries some registration took over: never "no longer registered"
        self.replaced: set[int] = set()  # originals of this run's create-before-delete replacements
        self.touched: list[ResourceState] = []  # this run's entries of the new snapshot, in completion order
        self.deleted: set[int] = set()  # entries deleted during this run
        self.steps: dict[str, Step] = {}  # by URN
        self.failure: BaseException | None = None

    # --------------------------------------------------------------------------- aliases (step_generator.go)
    def _collapse(self, reg: Registration, alias: AliasSpec) -> str:
        """``collapseAliasToUrn``."""
        if alias.urn:
            return alias.urn
        parent = alias.parent or reg.parent
        if alias.parent:
            parent = self.alias_of.get(parent, parent)  # a parent that was aliased: its old URN
        if alias.no_parent or (parent and urn_qualified_type(parent) == ROOT_STACK_TYPE):
            parent = ""
        return create_urn(
            alias.name or reg.name,
            alias.type or reg.type,
            parent,
            alias.project or self.engine.project,
            alias.stack or self.engine.stack,
        )

    def _inherited(self, type_: str, name: str, parent_name: str, parent_alias: str) -> str:
        """``inheritedChildAlias``: a child named after its parent follows the parent's old name."""
        if name.startswith(parent_name):
            name = urn_name(parent_alias) + name[len(parent_name) :]
        return make_urn(self.engine.stack, self.engine.project, parent_alias, type_, name)

    def alias_urns(self, reg: Registration) -> list[str]:
        """``generateAliases``: the registration's own aliases, then those its parent's alias implies."""
        result: list[str] = []
        for alias in reg.aliases:
            result.append(self._collapse(reg, alias))
        parent_alias = self.alias_of.get(reg.parent) if reg.parent else None
        if reg.parent and parent_alias:
            parent_name = urn_name(reg.parent)
            result.append(self._inherited(reg.type, reg.name, parent_name, parent_alias))
            for alias in reg.aliases:
                child = self._collapse(reg, alias)
                result.append(self._inherited(urn_type(child), urn_name(child), parent_name, parent_alias))
        return list(dict.fromkeys(result))

    def claim(self, reg: Registration) -> ResourceState | None:
        """Record the registration's URN and find its old entry: by URN first, then by alias."""
        with self.lock:
            if self.failure is not None:
                # The engine stops stepping once a step failed: this registration is not even checked.
                raise DeploymentError(f"{reg.urn}: not stepped, the deployment failed earlier")
            if reg.urn in self.seen:
                raise DeploymentError(f"Duplicate resource URN '{reg.urn}'")
            if reg.urn in self.aliased:
                raise DeploymentError(f"{reg.urn} was already claimed as an alias by {self.aliased[reg.urn]}")
            self.seen.add(reg.urn)
            self.order.append(reg.urn)
            for urn in [reg.urn, *self.alias_urns(reg)]:
                old = self.olds.get(urn)
                if old is None:
                    continue
                if urn != reg.urn:
                    if urn in self.seen or urn in self.aliased:
                        raise DeploymentError(f"{reg.urn}: alias {urn} is already registered or claimed")
                    self.aliased[urn] = reg.urn
                    self.alias_of[reg.urn] = urn
                self.claimed.add(id(old))
                return old
            return None

    def component(self, reg: Registration) -> None:
        """A component registered: the harness stores none, so an old one is known by its children's parent."""
        with self.lock:
            if reg.urn in self.seen:
                raise DeploymentError(f"Duplicate resource URN '{reg.urn}'")
            self.seen.add(reg.urn)
            if reg.urn in self.old_parents:
                return
            for urn in self.alias_urns(reg):
                if urn in self.old_parents:
                    self.aliased[urn] = reg.urn
                    self.alias_of[reg.urn] = urn
                    return

    # --------------------------------------------------------------------------- results
    def fail(self, error: BaseException) -> None:
        with self.lock:
            if self.failure is None:
                self.failure = error

    def record(self, step: Step) -> None:
        with self.lock:
            self.steps[step.urn] = step

    def touch(self, state: ResourceState) -> None:
        with self.lock:
            self.touched.append(state)

    def condemned(self) -> list[ResourceState]:
        """``GenerateDeletes``: old entries marked for deletion, and those no registration took, in state order."""
        with self.lock:
            return [
                r for r in self.old if id(r) not in self.deleted and (r.pending_delete or id(r) not in self.claimed)
            ]

    def plan(self) -> Plan:
        plan = Plan({})
        for urn in self.order:
            if urn in self.steps:
                plan.add(self.steps[urn])
        return plan

    def snapshot(self) -> list[ResourceState]:
        """The new state: this run's entries first, then the old ones it did not touch or delete."""
        with self.lock:
            touched = {id(r) for r in self.touched}
            kept = [r for r in self.old if id(r) not in touched and id(r) not in self.deleted]
            return [*self.touched, *kept]


def _antichains(condemned: list[ResourceState]) -> list[list[ResourceState]]:
    """``ScheduleDeletes``: groups that may be deleted concurrently, dependents before their dependencies.

    Each round takes the entries none of whose dependencies (parent included) is still condemned; the
    rounds, reversed, delete dependents first. Within a group, newest first.
    """
    remaining = list(condemned)
    rounds: list[list[ResourceState]] = []
    while remaining:
        urns = {r.urn for r in remaining}
        free = [r for r in remaining if not (({r.parent, *r.dependencies} - {"", r.urn}) & urns)]
        free = free or remaining  # a cycle cannot be in a real state; never loop forever on a made-up one
        rounds.append(list(reversed(free)))
        chosen = {id(r) for r in free}
        remaining = [r for r in remaining if id(r) not in chosen]
    rounds.reverse()
    return rounds


# ------------------------------------------------------------------------------------- the engine
class Engine:
    """One stack: its config, its provider server and its state.

    ``parallel`` (default True, what the harness always did): independent registrations are stepped
    concurrently, and deletions run antichain by antichain, concurrently; the provider server's 4 workers
    bound the calls in flight. ``parallel=False``: one step at a time, in registration order, and
    deletions one at a time, newest first.

    ``pending_deletes`` says when an up deletes the pending deletions a failed up left behind: "end" (the
    default; engines since pulumi/pulumi#11027, v3.46, 2022-11) with the other deletions, or "first"
    (older engines) before anything else, before any Check.
    """

    def __init__(
        self,
        *,
        cwd: Path,
        config: Mapping[str, str] | None = None,
        secret_keys: set[str] | None = None,
        project: str = "twilio-dialing-tests",
        stack: str = "test",
        env: Mapping[str, str] | None = None,
        parallel: bool = True,
        pending_deletes: PendingDeletes = "end",
    ) -> None:
        if pending_deletes not in ("end", "first"):
            raise ValueError(f"pending_deletes must be 'end' or 'first', not {pending_deletes!r}")
        self.cwd = cwd
        self.config = dict(config or {})
        self.secret_keys = set(secret_keys or ())
        self.project = project
        self.stack = stack
        self.env = dict(env or {})
        self.parallel = parallel
        self.pending_deletes_mode: PendingDeletes = pending_deletes
        self._resources: list[ResourceState] = []  # the stack's state, in snapshot order
        self.calls: list[tuple[str, str]] = []
        self.last_plan: Plan | None = None  # the last preview/up's plan, also when it failed
        self._lock = threading.RLock()
        self._server_lock = threading.Lock()
        self._sequential = threading.Lock()  # held around each step when not parallel
        self._server: ProviderServer | None = None
        self._outputs_seen: list[str] = []

    # --------------------------------------------------------------------------- state
    @property
    def state(self) -> _StateView:
        """The live resources by name; tests read it and assign to it (``engine.state[name] = ...``)."""
        return _StateView(self)

    @state.setter
    def state(self, value: Mapping[str, ResourceState]) -> None:
        with self._lock:
            self._resources = list(value.values())

    def resources(self) -> list[ResourceState]:
        """Every entry of the state, in order, pending deletions included."""
        with self._lock:
            return list(self._resources)

    def pending_deletes(self) -> list[ResourceState]:
        """Entries awaiting deletion: originals of replacements a failed (or unfinished) up left behind."""
        return [r for r in self.resources() if r.pending_delete]

    # --------------------------------------------------------------------------- server lifecycle
    @property
    def server(self) -> ProviderServer:
        # Like the engine, nothing reaches the provider before Configure has answered.
        with self._server_lock:
            if self._server is None:
                server = ProviderServer(cwd=self.cwd, project=self.project, env=self.env)
                server.stub.GetPluginInfo(empty_pb2.Empty(), wait_for_ready=True, timeout=10)
                args: dict[str, Any] = {
                    key: ({SIG_KEY: SECRET_SIG, "value": value} if key in self.secret_keys else value)
                    for key, value in self.config.items()
                }
                response = server.stub.Configure(
                    provider_pb2.ConfigureRequest(
                        variables=self.config, args=to_struct(args), acceptSecrets=True, acceptResources=True
                    )
                )
                assert not response.acceptSecrets, "dynamic providers refuse secrets; the harness relies on it"
                self._server = server
            return self._server

    def close(self) -> None:
        if self._server is not None:
            # Close first: the drains read the provider's last lines until the pipes close.
            self._server.close()
            self._outputs_seen.append(self._server.output)
            self._server = None

    @property
    def provider_output(self) -> str:
        """Everything every provider process of this engine printed so far."""
        current = self._server.output if self._server else ""
        return "".join(self._outputs_seen) + current

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------------------- rpc plumbing
    def _urn(self, type_: str, name: str) -> str:
        return make_urn(self.stack, self.project, "", type_, name)

    def _rpc(self, method: str, name: str, request: Any) -> Any:
        with self._lock:
            self.calls.append((method, name))
        try:
            return getattr(self.server.stub, method)(request)
        except grpc.RpcError as error:
            details = error.details() if callable(getattr(error, "details", None)) else None
            raise ProviderError(method, name, details or str(error), init_failure=init_failure_of(error)) from None

    def calls_of(self, method: str) -> list[str]:
        return [name for m, name in self.calls if m == method]

    @contextmanager
    def _step_slot(self) -> Iterator[None]:
        if self.parallel:
            yield
        else:
            with self._sequential:
                yield

    # --------------------------------------------------------------------------- operations
    def registrations(
        self,
        program: Callable[[], Any],
        *,
        preview: bool,
        on_register: Callable[[Registration], Step] | None = None,
        on_component: Callable[[Registration], None] | None = None,
        on_read: Callable[[Registration, str], Step] | None = None,
    ) -> list[Registration]:
        return run_program(
            program,
            project=self.project,
            stack=self.stack,
            config=self.config,
            secret_keys=self.secret_keys,
            preview=preview,
            on_register=on_register,
            on_component=on_component,
            sequential=not self.parallel,
            on_read=on_read,
        )

    def preview(self, program: Callable[[], Any]) -> Plan:
        """``pulumi preview``: Check and Diff only; state is untouched. Shows the deletes an up would run."""
        with self._command():
            return self._deploy(program, preview=True)

    def up(self, program: Callable[[], Any]) -> Plan:
        """``pulumi up``: converge state to the program, deleting what it no longer registers at the end.

        If a step fails, the first error is raised once the steps in flight have finished; nothing is
        deleted, and the state keeps what the steps did (``last_plan`` has their steps).
        """
        with self._command():
            return self._deploy(program, preview=False)

    @contextmanager
    def _command(self) -> Iterator[None]:
        # Every `pulumi` command starts its own provider process; so does every operation here, so nothing
        # a provider keeps in memory (caches, derived credentials) outlives a command by accident.
        try:
            yield
        finally:
            self.close()

    def _deploy(self, program: Callable[[], Any], *, preview: bool) -> Plan:
        first: list[Step] = []
        if not preview and self.pending_deletes_mode == "first":
            # Engines before #11027 retired pending deletes before anything else.
            first = self._delete_now(self.pending_deletes())
        run = _Run(self, preview=preview)

        def on_register(registration: Registration) -> Step:
            try:
                old = run.claim(registration)
                with self._step_slot():
                    if run.failure is not None:  # failed while this one waited for its turn
                        raise DeploymentError(f"{registration.urn}: not stepped, the deployment failed earlier")
                    step = self._step(run, registration, old)
            except BaseException as error:
                run.fail(error)
                raise
            run.record(step)
            return step

        def on_read(registration: Registration, id_: str) -> Step:
            try:
                old = run.claim(registration)
                with self._step_slot():
                    if run.failure is not None:
                        raise DeploymentError(f"{registration.urn}: not stepped, the deployment failed earlier")
                    step = self._read_step(run, registration, id_, old)
            except BaseException as error:
                run.fail(error)
                raise
            run.record(step)
            return step

        def steps_so_far() -> Plan:
            plan = run.plan()
            for step in first:
                plan.add(step)
                plan.deletions.append(step)
            return plan

        try:
            self.registrations(
                program, preview=preview, on_register=on_register, on_component=run.component, on_read=on_read
            )
        except BaseException as error:
            self.last_plan = steps_so_far()
            if not preview:
                self._commit(run)
            # The first step failure, not a later registration refused because of it (threads race to report).
            if run.failure is not None and run.failure is not error:
                raise run.failure from None
            raise
        plan = self.last_plan = steps_so_far()
        condemned = run.condemned()
        if preview:
            for state in reversed(condemned):
                step = self._deletion(state)
                plan.add(step)
                plan.deletions.append(step)
            return plan

        def deleted(state: ResourceState) -> None:
            step = self._deletion(state)
            with run.lock:
                run.deleted.add(id(state))
                plan.deletions.append(step)
                if id(state) not in run.replaced:  # the "replace" step already stands for it
                    plan.add(step)

        try:
            self._run_deletions(condemned, deleted)
        finally:
            self._commit(run)
        return plan

    def _commit(self, run: _Run) -> None:
        with self._lock:
            self._resources = run.snapshot()

    @staticmethod
    def _deletion(state: ResourceState) -> Step:
        return Step(state.name, "delete", {}, id=state.id, urn=state.urn, type=state.type)

    def _step(self, run: _Run, reg: Registration, old: ResourceState | None) -> Step:
        name, type_ = reg.name, reg.type
        urn = reg.urn or self._urn(type_, name)
        preview = run.preview
        secret_inputs = {k for k, v in reg.inputs.items() if contains_secret(v)}
        news = reveal(reg.inputs)
        # An entry read with `get` (external) is not the program's: its inputs are not old inputs.
        was_external = old is not None and old.external
        checked = self._check(reg, urn, old.inputs if old and not was_external else {}, news)

        def step(kind: StepKind, outputs: dict[str, Any], id_: str, replaces: list[str] | None = None) -> Step:
            return Step(name, kind, outputs, list(replaces or []), id_, urn, type_)

        if old is not None and was_external:
            # step_generator.go "Case 2: wasExternal": never a Diff or an Update of what Pulumi does not own; a
            # create-replacement, and the read entry is dropped at the end (no Delete: it is external).
            if preview:
                return step("create", checked, "")
            created = self._create(run, reg, urn, checked, secret_inputs, replacing=old)
            return step("create", created.outputs, created.id)
        if old is None:
            if preview:
                return step("create", checked, "")
            created = self._create(run, reg, urn, checked, secret_inputs)
            return step("create", created.outputs, created.id)

        diff = self._rpc("Diff", name, self._change(provider_pb2.DiffRequest, old, checked, reg, urn))
        if diff.changes == provider_pb2.DiffResponse.DIFF_UNKNOWN:
            changed = old.inputs != checked  # the engine's fallback: compare old and new inputs
        else:
            changed = diff.changes == provider_pb2.DiffResponse.DIFF_SOME
        replaces = list(diff.replaces) if changed else []
        if not changed and not old.init_errors:
            # A "same" step keeps the OLD outputs; only the inputs are re-recorded.
            if not preview:
                self._adopt(run, old, reg, urn, checked)
            return step("same", old.outputs, old.id)
        if replaces:
            # Before a replace the engine checks again without the old inputs ("recompute the default values").
            checked = self._check(reg, urn, {}, news)
            if preview:
                return step("replace", checked, old.id, replaces)
            dbr = diff.deleteBeforeReplace if reg.delete_before_replace is None else reg.delete_before_replace
            if dbr:
                self._delete(old)
                with run.lock:
                    run.deleted.add(id(old))
                created = self._create(run, reg, urn, checked, secret_inputs)
            else:
                # Create-before-delete: the original is only marked; the end of the up deletes it.
                created = self._create(run, reg, urn, checked, secret_inputs, replacing=old)
            return step("replace", created.outputs, created.id, replaces)
        # A change, or init errors left by a partial failure: the engine updates (hasInitErrors).
        if preview:
            return step("update", checked, old.id)
        try:
            updated = self._rpc("Update", name, self._change(provider_pb2.UpdateRequest, old, checked, reg, urn))
        except ProviderError as error:
            if error.init_failure is not None:
                # Partial failure: the new inputs and the reported properties are kept, with the reasons.
                self._adopt(run, old, reg, urn, checked, error.init_failure.properties, secret_inputs, error.reasons)
            raise
        outputs = from_struct(updated.properties)
        self._adopt(run, old, reg, urn, checked, outputs, secret_inputs, [])
        return step("update", outputs, old.id)

    def _read_step(self, run: _Run, reg: Registration, id_: str, old: ResourceState | None) -> Step:
        """``ReadStep.Apply``: Read with the ID and the program's properties as both state and inputs; runs in
        preview too. No outputs (an empty ID back) is "resource '<id>' does not exist". The entry is external:
        the engine never updates or deletes it; a read taking over a managed entry pends that one's deletion."""
        if id_ == UNKNOWN:
            # step.go: "Read steps run during previews. The only time we can't run is if the ID we are given is
            # unknown": no Read, no outputs (the program sees them unknown), nothing kept.
            return Step(reg.name, "read", {}, id=id_, urn=reg.urn, type=reg.type)
        props = reveal(reg.inputs)
        read = self._rpc(
            "Read",
            reg.name,
            provider_pb2.ReadRequest(
                id=id_, urn=reg.urn, properties=to_struct(props), inputs=to_struct(props), name=reg.name, type=reg.type
            ),
        )
        if not read.id:
            raise DeploymentError(f"resource '{id_}' does not exist")
        outputs = from_struct(read.properties)
        state = ResourceState(
            reg.type,
            reg.name,
            reg.urn,
            read.id,
            props,
            reveal(outputs),
            self._secret_outputs(outputs, {k for k, v in reg.inputs.items() if contains_secret(v)}),
            parent=reg.parent,
            dependencies=list(reg.dependencies),
            external=True,
        )
        if old is not None and not old.external:
            with run.lock:  # NewReadReplacementStep: the managed original is deleted at the end
                old.pending_delete = True
                run.replaced.add(id(old))
        elif old is not None:
            with run.lock:
                run.deleted.add(id(old))  # superseded by this read's entry (no provider call)
        run.touch(state)
        return Step(reg.name, "read", outputs, id=read.id, urn=reg.urn, type=reg.type)

    def _check(self, reg: Registration, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        check = self._rpc(
            "Check",
            reg.name,
            provider_pb2.CheckRequest(
                urn=urn, olds=to_struct(olds), news=to_struct(news), name=reg.name, type=reg.type
            ),
        )
        if check.failures:
            raise CheckFailedError(reg.name, [(f.property, f.reason) for f in check.failures])
        return from_struct(check.inputs)

    @staticmethod
    def _change(request: Any, old: ResourceState, checked: dict[str, Any], reg: Registration, urn: str) -> Any:
        """A Diff or Update request: the olds are the old OUTPUTS, as the engine sends them; the URN, name and
        type are the new ones (they differ from the old entry's when it was taken over through an alias)."""
        return request(
            id=old.id,
            urn=urn,
            olds=to_struct(old.outputs),
            news=to_struct(checked),
            old_inputs=to_struct(old.inputs),
            name=reg.name,
            type=reg.type,
        )

    @staticmethod
    def _secret_outputs(outputs: Mapping[str, Any], secret_inputs: set[str]) -> set[str]:
        # annotateSecrets: an output is secret if the same-named input was, or if it came back wrapped.
        return {k for k in outputs if k in secret_inputs or contains_secret(outputs[k])} | (
            {PROVIDER_KEY} if PROVIDER_KEY in outputs else set()
        )

    def _adopt(
        self,
        run: _Run,
        old: ResourceState,
        reg: Registration,
        urn: str,
        inputs: dict[str, Any],
        outputs: dict[str, Any] | None = None,
        secret_inputs: set[str] | None = None,
        init_errors: list[str] | None = None,
    ) -> None:
        """The old entry becomes the new one (same, update, alias): new identity and inputs, maybe outputs."""
        with self._lock:
            old.type, old.name, old.urn = reg.type, reg.name, urn
            old.parent, old.dependencies = reg.parent, list(reg.dependencies)
            old.inputs = inputs
            if outputs is not None:
                old.outputs = reveal(outputs)
                old.secret_outputs = self._secret_outputs(outputs, secret_inputs or set())
            if init_errors is not None:
                old.init_errors = list(init_errors)
        run.touch(old)

    def _create(
        self,
        run: _Run,
        reg: Registration,
        urn: str,
        checked: dict[str, Any],
        secret_inputs: set[str],
        *,
        replacing: ResourceState | None = None,
    ) -> ResourceState:
        def record(id_: str, outputs: dict[str, Any], init_errors: list[str]) -> ResourceState:
            state = ResourceState(
                reg.type,
                reg.name,
                urn,
                id_,
                checked,
                reveal(outputs),
                self._secret_outputs(outputs, secret_inputs),
                parent=reg.parent,
                dependencies=list(reg.dependencies),
                init_errors=init_errors,
            )
            run.touch(state)
            if replacing is not None:
                with run.lock:
                    replacing.pending_delete = True
                    run.replaced.add(id(replacing))
            return state

        try:
            created = self._rpc(
                "Create",
                reg.name,
                provider_pb2.CreateRequest(urn=urn, properties=to_struct(checked), name=reg.name, type=reg.type),
            )
        except ProviderError as error:
            failure = error.init_failure
            if failure is not None and failure.id:  # an empty id is an error even then (provider_plugin.go)
                # Partial failure: recorded with the checked inputs and the reported properties.
                record(failure.id, failure.properties, list(failure.reasons))
            raise
        if not created.id:
            raise ProviderError("Create", reg.name, "the provider returned an empty id")
        return record(created.id, from_struct(created.properties), [])

    def _delete(self, state: ResourceState) -> None:
        if state.external:
            return  # DeleteStep: an external resource (read with `get`) is only dropped from the state
        self._rpc(
            "Delete",
            state.name,
            provider_pb2.DeleteRequest(
                id=state.id,
                urn=state.urn,
                properties=to_struct(state.outputs),
                old_inputs=to_struct(state.inputs),
                name=state.name,
                type=state.type,
            ),
        )

    def _run_deletions(self, condemned: list[ResourceState], deleted: Callable[[ResourceState], None]) -> None:
        """Delete in reverse dependency order: one at a time, newest first; or, in parallel mode, antichain by
        antichain with each one's deletions concurrent. The first failure stops it, after the ones in flight."""
        if not self.parallel:
            for state in reversed(condemned):
                self._delete(state)
                deleted(state)
            return
        for group in _antichains(condemned):
            errors: list[BaseException] = []
            with ThreadPoolExecutor(max_workers=SERVER_WORKERS, thread_name_prefix="harness-delete") as pool:
                futures = {pool.submit(self._delete, state): state for state in group}
                for future in as_completed(futures):
                    try:
                        future.result()
                    except Exception as error:
                        errors.append(error)
                    else:
                        deleted(futures[future])
            if errors:
                raise errors[0]

    def _delete_now(self, states: list[ResourceState]) -> list[Step]:
        """Delete entries outside a deployment (destroy; old engines' pending deletes), dropping them from state."""
        done: list[Step] = []

        def deleted(state: ResourceState) -> None:
            with self._lock:
                self._resources = [r for r in self._resources if r is not state]
                done.append(self._deletion(state))

        self._run_deletions(states, deleted)
        return done

    def refresh(self) -> Plan:
        """``pulumi refresh``: Read every resource with its old outputs and inputs; an empty id means gone.

        Pending deletions are refreshed too; init errors are kept. One resource at a time, in state order.
        """
        with self._command():
            return self._refresh()

    def _refresh(self) -> Plan:
        plan = Plan({})
        for state in self.resources():
            read = self._rpc(
                "Read",
                state.name,
                provider_pb2.ReadRequest(
                    id=state.id,
                    urn=state.urn,
                    properties=to_struct(state.outputs),
                    inputs=to_struct(state.inputs),
                    name=state.name,
                    type=state.type,
                ),
            )
            if not read.id:
                with self._lock:
                    self._resources = [r for r in self._resources if r is not state]
                plan.add(Step(state.name, "gone", {}, id=state.id, urn=state.urn, type=state.type))
                continue
            outputs = reveal(from_struct(read.properties))
            changed = outputs != state.outputs
            with self._lock:
                state.id = read.id
                state.outputs = outputs
                if read.HasField("inputs"):
                    state.inputs = from_struct(read.inputs)
            plan.add(Step(state.name, "refresh" if changed else "same", outputs, id=read.id, urn=state.urn))
        return plan

    def destroy(self) -> Plan:
        """``pulumi destroy``: Delete every resource (pending deletions included), dependents first."""
        with self._command():
            return self._destroy()

    def _destroy(self) -> Plan:
        plan = Plan({})
        for step in self._delete_now(self.resources()):
            plan.add(step)
            plan.deletions.append(step)
        return plan

    # --------------------------------------------------------------------------- inspection
    def export(self) -> str:
        """The stack state as JSON text, as `pulumi stack export --show-secrets` would show it.

        Keyed by name; an entry that ``state[name]`` does not resolve to (a pending deletion, or a second
        resource of that name) is keyed by its URN instead.
        """
        view = self.state
        exported: dict[str, Any] = {}
        for s in self.resources():
            key = s.name if not s.pending_delete and view.get(s.name) is s else s.urn
            while key in exported:
                key += "#"
            exported[key] = {
                "type": s.type,
                "urn": s.urn,
                "id": s.id,
                "parent": s.parent,
                "inputs": s.inputs,
                "outputs": s.outputs,
                "secret_outputs": sorted(s.secret_outputs),
                "init_errors": s.init_errors,
                "pending_delete": s.pending_delete,
                "external": s.external,
            }
        return json.dumps(exported, sort_keys=True)
