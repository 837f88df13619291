"""A stand-in for the Pulumi engine that drives the REAL dynamic provider server.

There is no Pulumi CLI here, so this module plays the engine's part (see
``../shared/reference/pulumi-dynamic.md`` §1-§3):

- the program runs under ``pulumi.runtime.set_mocks``; the mock only *records* each registration, so the
  wire inputs (``__provider`` included, secret-wrapped) are exactly what the SDK serializes;
- ``python -u -m pulumi.dynamic`` is started as a subprocess; its first stdout line is the gRPC port;
- ``Configure`` receives the whole stack config (namespaced keys, secrets wrapped);
- each resource then goes through the engine's steps: Check; Create, or Diff against the old OUTPUTS and
  then Update / replace / "same" (which keeps the old outputs); Read for refresh; Delete for destroy.
  Preview never calls Create or Update and uses the checked inputs as outputs (computed ones unknown);
- requests carry plaintext (the server answers ``acceptSecrets=False``), and outputs are re-marked secret
  like the engine's ``annotateSecrets``.

The state kept per resource (``Engine.state``) is what a stack would persist, so tests can walk
preview → up → refresh → change → up → destroy and then inspect everything that would be stored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import grpc
import pulumi
import pulumi.runtime
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

UNKNOWN = rpc.UNKNOWN
SECRET_SIG = rpc._special_secret_sig
SIG_KEY = rpc._special_sig_key
PROVIDER_KEY = "__provider"

StepKind = Literal["create", "update", "replace", "same", "delete", "refresh", "gone"]


class ProviderError(Exception):
    """The provider server failed a call (gRPC UNKNOWN carrying the Python traceback)."""

    def __init__(self, method: str, name: str, details: str) -> None:
        super().__init__(f"{method} of {name} failed:\n{details}")
        self.method = method
        self.name = name
        self.details = details


class CheckFailedError(Exception):
    """Check returned failures; like the engine, nothing else happens to the resource."""

    def __init__(self, name: str, failures: list[tuple[str, str]]) -> None:
        super().__init__(f"{name}: " + "; ".join(f"{p}: {r}" for p, r in failures))
        self.name = name
        self.failures = failures


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


# ------------------------------------------------------------------------------------- the program
@dataclass(frozen=True)
class Registration:
    """One resource the program registered: its type token, name and SDK-serialized inputs."""

    type: str
    name: str
    inputs: dict[str, Any]


class _Recorder(pulumi.runtime.Mocks):
    """Receives each registration as the program makes it. With ``on_register`` (the engine's step), the
    resource goes through the provider right away and the program gets its real outputs back, so
    resources that depend on others' outputs see real values, or unknowns in preview, as with the engine.
    Without it, registrations are only recorded (every output unknown in preview, inputs echoed otherwise).
    """

    def __init__(self, preview: bool, on_register: Callable[[Registration], Step] | None) -> None:
        self.preview = preview
        self.on_register = on_register
        self.registrations: list[Registration] = []
        self.errors: list[BaseException] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.custom:
            return None, {}  # a component: the engine calls no provider for it
        registration = Registration(args.typ, args.name, dict(args.inputs))
        self.registrations.append(registration)
        if self.on_register is None:
            return (None, {}) if self.preview else (f"{args.name}-id", dict(args.inputs))
        try:
            step = self.on_register(registration)
        except Exception as error:
            # Raised later by run_program. Raising here would leave the SDK's futures failing unobserved.
            self.errors.append(error)
            return None, {}
        # Unknown outputs are left out: the SDK then resolves them as unknown (preview only).
        outputs = {k: v for k, v in step.outputs.items() if v != UNKNOWN}
        return step.id or None, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise NotImplementedError(f"invoke {args.token} is not available in the harness")


def run_program(
    program: Callable[[], Any],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: set[str],
    preview: bool,
    on_register: Callable[[Registration], Step] | None = None,
) -> list[Registration]:
    """Run a Pulumi program under mocks and return what it registered, in order."""
    recorder = _Recorder(preview, on_register)
    pulumi.runtime.set_all_config(dict(config), sorted(secret_keys))
    pulumi.runtime.set_mocks(recorder, project=project, stack=stack, preview=preview)

    @pulumi.runtime.test
    def _run() -> Any:
        program()
        return pulumi.Output.from_input(None)

    try:
        _run()
    except BaseException:
        if recorder.errors:
            raise recorder.errors[0] from None
        raise
    if recorder.errors:
        raise recorder.errors[0]
    return recorder.registrations


# ------------------------------------------------------------------------------------- the server
class ProviderServer:
    """``python -u -m pulumi.dynamic`` as the engine launches it, with its stdout/stderr captured."""

    def __init__(self, *, cwd: Path, project: str, env: Mapping[str, str] | None = None) -> None:
        environment = dict(os.environ)
        environment.update(env or {})
        environment["PULUMI_PROJECT"] = project
        tests_dir = str(Path(__file__).resolve().parent.parent)
        environment["PYTHONPATH"] = os.pathsep.join(p for p in (tests_dir, environment.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:0"],
            cwd=cwd,
            env=environment,
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
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=10)
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


# ------------------------------------------------------------------------------------- the engine
@dataclass
class ResourceState:
    type: str
    name: str
    urn: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    secret_outputs: set[str] = field(default_factory=set)


@dataclass
class Step:
    name: str
    kind: StepKind
    outputs: dict[str, Any]
    replaces: list[str] = field(default_factory=list)
    id: str = ""


@dataclass
class Plan:
    steps: dict[str, Step]

    def kinds(self) -> dict[str, StepKind]:
        return {name: step.kind for name, step in self.steps.items()}


class Engine:
    """One stack: its config, its provider server and its state."""

    def __init__(
        self,
        *,
        cwd: Path,
        config: Mapping[str, str] | None = None,
        secret_keys: set[str] | None = None,
        project: str = "twilio-dialing-tests",
        stack: str = "test",
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.cwd = cwd
        self.config = dict(config or {})
        self.secret_keys = set(secret_keys or ())
        self.project = project
        self.stack = stack
        self.env = dict(env or {})
        self.state: dict[str, ResourceState] = {}
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server_lock = threading.Lock()
        self._server: ProviderServer | None = None
        self._outputs_seen: list[str] = []

    # --------------------------------------------------------------------------- server lifecycle
    @property
    def server(self) -> ProviderServer:
        # Like the engine, nothing reaches the provider before Configure has answered.
        with self._server_lock:
            if self._server is None:
                server = ProviderServer(cwd=self.cwd, project=self.project, env=self.env)
                server.stub.GetPluginInfo(empty_pb2.Empty())
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
            self._outputs_seen.append(self._server.output)
            self._server.close()
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
        return f"urn:pulumi:{self.stack}::{self.project}::{type_}::{name}"

    def _rpc(self, method: str, name: str, request: Any) -> Any:
        with self._lock:
            self.calls.append((method, name))
        try:
            return getattr(self.server.stub, method)(request)
        except grpc.RpcError as error:
            raise ProviderError(method, name, error.details() or str(error)) from None

    def calls_of(self, method: str) -> list[str]:
        return [name for m, name in self.calls if m == method]

    # --------------------------------------------------------------------------- operations
    def registrations(
        self,
        program: Callable[[], Any],
        *,
        preview: bool,
        on_register: Callable[[Registration], Step] | None = None,
    ) -> list[Registration]:
        return run_program(
            program,
            project=self.project,
            stack=self.stack,
            config=self.config,
            secret_keys=self.secret_keys,
            preview=preview,
            on_register=on_register,
        )

    def preview(self, program: Callable[[], Any]) -> Plan:
        """``pulumi preview``: Check and Diff only; state is untouched."""
        with self._command():
            return self._deploy(program, preview=True)

    def up(self, program: Callable[[], Any]) -> Plan:
        """``pulumi up``: converge state to the program, deleting what it no longer registers."""
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
        steps: dict[str, Step] = {}

        def on_register(registration: Registration) -> Step:
            with self._lock:
                if registration.name in steps:
                    raise ValueError(f"duplicate resource name in program: {registration.name}")
                steps[registration.name] = Step(registration.name, "same", {})  # reserve the name
            step = self._step(registration, preview=preview)
            state = self.state.get(registration.name)
            step.id = state.id if state else step.id
            with self._lock:
                steps[registration.name] = step
            return step

        registrations = self.registrations(program, preview=preview, on_register=on_register)
        plan = Plan({r.name: steps[r.name] for r in registrations})
        for name in [n for n in reversed(list(self.state)) if n not in plan.steps]:
            plan.steps[name] = Step(name, "delete", {})
            if not preview:
                self._delete(self.state[name])
        return plan

    def _step(self, registration: Registration, *, preview: bool) -> Step:
        name, type_ = registration.name, registration.type
        urn = self._urn(type_, name)
        secret_inputs = {k for k, v in registration.inputs.items() if contains_secret(v)}
        news = reveal(registration.inputs)
        old = self.state.get(name)
        check = self._rpc(
            "Check",
            name,
            provider_pb2.CheckRequest(
                urn=urn,
                olds=to_struct(old.inputs if old else {}),
                news=to_struct(news),
                name=name,
                type=type_,
            ),
        )
        if check.failures:
            raise CheckFailedError(name, [(f.property, f.reason) for f in check.failures])
        checked = from_struct(check.inputs)

        if old is None:
            if preview:
                return Step(name, "create", checked)
            created = self._create(type_, name, urn, checked, secret_inputs)
            return Step(name, "create", created.outputs)

        diff = self._rpc("Diff", name, self._change(provider_pb2.DiffRequest, old, checked))
        if diff.changes == provider_pb2.DiffResponse.DIFF_UNKNOWN:
            changed = old.inputs != checked  # the engine's fallback: compare old and new inputs
        else:
            changed = diff.changes == provider_pb2.DiffResponse.DIFF_SOME
        replaces = list(diff.replaces)
        if not changed:
            # A "same" step keeps the OLD outputs; only the inputs are re-recorded.
            if not preview:
                with self._lock:
                    old.inputs = checked
            return Step(name, "same", old.outputs)
        if replaces:
            if preview:
                return Step(name, "replace", checked, replaces)
            if diff.deleteBeforeReplace:
                self._delete(old)
                created = self._create(type_, name, urn, checked, secret_inputs)
            else:
                # Create-before-delete: the new resource takes the state entry, then the old one goes.
                created = self._create(type_, name, urn, checked, secret_inputs)
                self._delete(old, forget=False)
            return Step(name, "replace", created.outputs, replaces)
        if preview:
            return Step(name, "update", checked)
        updated = self._rpc("Update", name, self._change(provider_pb2.UpdateRequest, old, checked))
        outputs = from_struct(updated.properties)
        with self._lock:
            old.inputs = checked
            old.outputs = outputs
            old.secret_outputs = self._secret_outputs(outputs, secret_inputs)
        return Step(name, "update", outputs)

    @staticmethod
    def _change(request: Any, old: ResourceState, checked: dict[str, Any]) -> Any:
        """A Diff or Update request: the olds are the old OUTPUTS, as the engine sends them."""
        return request(
            id=old.id,
            urn=old.urn,
            olds=to_struct(old.outputs),
            news=to_struct(checked),
            old_inputs=to_struct(old.inputs),
            name=old.name,
            type=old.type,
        )

    @staticmethod
    def _secret_outputs(outputs: Mapping[str, Any], secret_inputs: set[str]) -> set[str]:
        # annotateSecrets: an output is secret if the same-named input was, or if it came back wrapped.
        return {k for k in outputs if k in secret_inputs or contains_secret(outputs[k])} | (
            {PROVIDER_KEY} if PROVIDER_KEY in outputs else set()
        )

    def _create(
        self,
        type_: str,
        name: str,
        urn: str,
        checked: dict[str, Any],
        secret_inputs: set[str],
    ) -> ResourceState:
        created = self._rpc(
            "Create",
            name,
            provider_pb2.CreateRequest(urn=urn, properties=to_struct(checked), name=name, type=type_),
        )
        if not created.id:
            raise ProviderError("Create", name, "the provider returned an empty id")
        outputs = from_struct(created.properties)
        state = ResourceState(
            type_,
            name,
            urn,
            created.id,
            checked,
            reveal(outputs),
            self._secret_outputs(outputs, secret_inputs),
        )
        with self._lock:
            self.state[name] = state
        return state

    def _delete(self, state: ResourceState, *, forget: bool = True) -> None:
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
        if forget:
            with self._lock:
                self.state.pop(state.name, None)

    def refresh(self) -> Plan:
        """``pulumi refresh``: Read every resource with its old outputs and inputs; an empty id means gone."""
        with self._command():
            return self._refresh()

    def _refresh(self) -> Plan:
        plan = Plan({})
        for name, state in list(self.state.items()):
            read = self._rpc(
                "Read",
                name,
                provider_pb2.ReadRequest(
                    id=state.id,
                    urn=state.urn,
                    properties=to_struct(state.outputs),
                    inputs=to_struct(state.inputs),
                    name=name,
                    type=state.type,
                ),
            )
            if not read.id:
                del self.state[name]
                plan.steps[name] = Step(name, "gone", {})
                continue
            outputs = reveal(from_struct(read.properties))
            changed = outputs != state.outputs
            state.id = read.id
            state.outputs = outputs
            if read.HasField("inputs"):
                state.inputs = from_struct(read.inputs)
            plan.steps[name] = Step(name, "refresh" if changed else "same", outputs)
        return plan

    def destroy(self) -> Plan:
        """``pulumi destroy``: Delete every resource, last created first."""
        with self._command():
            return self._destroy()

    def _destroy(self) -> Plan:
        plan = Plan({})
        for name in reversed(list(self.state)):
            self._delete(self.state[name])
            plan.steps[name] = Step(name, "delete", {})
        return plan

    # --------------------------------------------------------------------------- inspection
    def export(self) -> str:
        """The stack state as JSON text, as `pulumi stack export --show-secrets` would show it."""
        return json.dumps(
            {
                name: {
                    "type": s.type,
                    "id": s.id,
                    "inputs": s.inputs,
                    "outputs": s.outputs,
                    "secret_outputs": sorted(s.secret_outputs),
                }
                for name, s in self.state.items()
            },
            sort_keys=True,
        )
