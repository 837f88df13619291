"""``pulumi preview --json`` documents (Pulumi's ``PreviewDigest``) assembled from a harness preview.

The schema is pulumi/pulumi ``sdk/pkg/display/json.go`` (``PreviewDigest``, ``PreviewStep``,
``PreviewDiagnostic``), each state an ``apitype.ResourceV3`` (``sdk/go/common/apitype/core.go``). The
document is built the way the engine fills it, from what the harness engine really did:

- ``oldState`` is the stack's state entry before the preview (inputs and outputs as stored);
- ``newState`` holds the inputs the provider's Check returned; for a dynamic provider the preview's outputs
  are those inputs (the engine never calls Create or Update in a preview), and a "same" step keeps the old
  outputs; values unknown in the preview are the engine's ``computedValuePlaceholder``;
- without ``--show-secrets`` every secret value (secret inputs, ``__provider``, outputs the state marks
  secret) is the string ``"[secret]"``, and ``config`` blinds secret keys the same way;
- components (``TenantDialingPolicy``) get a step of their own, and a child's ``parent`` is the component's
  URN; the provider's output lines become ``diagnostics`` (severity ``info``), as the engine shows a
  dynamic provider's stdout.

Only public methods of :class:`harness.engine.Engine` are used: ``resources()``, ``registrations()``
(wrapped on the instance to see the components and parents), ``preview()`` and ``provider_output``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.engine import Engine, Registration, ResourceState, contains_secret, reveal

__all__ = ["SECRET", "preview_digest"]

SECRET = "[secret]"
PROVIDER_KEY = "__provider"


def _blind(props: Mapping[str, Any], secret_keys: set[str]) -> dict[str, Any]:
    return {k: (SECRET if k in secret_keys or k == PROVIDER_KEY else v) for k, v in props.items()}


def _state(
    urn: str, type_: str, id_: str, parent: str, inputs: dict[str, Any], outputs: dict[str, Any], custom: bool = True
) -> dict[str, Any]:
    state: dict[str, Any] = {"urn": urn, "custom": custom, "type": type_, "inputs": inputs, "outputs": outputs}
    if id_:
        state["id"] = id_
    if parent:
        state["parent"] = parent
    return state


def _old_state(old: ResourceState) -> dict[str, Any]:
    secret_inputs = {k for k, v in old.inputs.items() if contains_secret(v)} | (old.secret_outputs & set(old.inputs))
    return _state(
        old.urn,
        old.type,
        old.id,
        old.parent,
        _blind(reveal(old.inputs), secret_inputs),
        _blind(old.outputs, old.secret_outputs),
    )


def _messages(output: str) -> list[str]:
    """Provider output as diagnostics: a line indented by two spaces continues the message before it."""
    messages: list[str] = []
    for line in output.splitlines():
        if line.startswith("  ") and messages:
            messages[-1] += "\n" + line
        elif line.strip():
            messages.append(line)
    return messages


def preview_digest(engine: Engine, program: Callable[[], Any]) -> dict[str, Any]:
    """Run ``engine.preview(program)`` and return the ``pulumi preview --json`` document it stands for."""
    old_by_urn = {state.urn: state for state in engine.resources()}
    registrations: dict[str, Registration] = {}
    components: list[Registration] = []
    original = engine.registrations

    def recording(
        program: Callable[[], Any],
        *,
        preview: bool,
        on_register: Callable[[Registration], Any] | None = None,
        on_component: Callable[[Registration], None] | None = None,
        **passed_on: Any,  # e.g. on_read: what else the engine hands its program run
    ) -> list[Registration]:
        def register(registration: Registration) -> Any:
            registrations[registration.urn] = registration
            assert on_register is not None
            return on_register(registration)

        def component(registration: Registration) -> None:
            components.append(registration)
            if on_component is not None:
                on_component(registration)

        return original(program, preview=preview, on_register=register, on_component=component, **passed_on)

    before = len(engine.provider_output)
    engine.registrations = recording  # type: ignore[method-assign]
    try:
        plan = engine.preview(program)
    finally:
        del engine.registrations
    output = engine.provider_output[before:]

    steps: list[dict[str, Any]] = []
    summary: dict[str, int] = {}
    parents = {state.parent for state in old_by_urn.values()}
    for registration in components:
        op = "same" if registration.urn in parents else "create"
        steps.append(
            {
                "op": op,
                "urn": registration.urn,
                "newState": _state(registration.urn, registration.type, "", registration.parent, {}, {}, custom=False),
            }
        )
        summary[op] = summary.get(op, 0) + 1
    for step in plan.steps.values():
        old = old_by_urn.get(step.urn)
        entry: dict[str, Any] = {"op": step.kind, "urn": step.urn}
        if old is not None:
            entry["oldState"] = _old_state(old)
        registration = registrations.get(step.urn)
        if step.kind != "delete" and registration is not None:
            secret_inputs = {k for k, v in registration.inputs.items() if contains_secret(v)}
            checked = dict(step.outputs) if step.kind != "same" else None
            inputs = _blind(checked if checked is not None else (old.inputs if old else {}), secret_inputs)
            outputs = inputs if step.kind != "same" else _blind(step.outputs, old.secret_outputs if old else set())
            entry["newState"] = _state(step.urn, step.type, step.id, registration.parent, inputs, outputs)
        if step.kind == "update":
            assert old is not None
            entry["diffReasons"] = sorted(
                k
                for k in set(old.inputs) | set(step.outputs)
                if k != PROVIDER_KEY and old.inputs.get(k) != step.outputs.get(k)
            )
        if step.kind == "replace":
            entry["replaceReasons"] = list(step.replaces)
        entry["detailedDiff"] = None
        steps.append(entry)
        summary[step.kind] = summary.get(step.kind, 0) + 1
    config = {k: (SECRET if k in engine.secret_keys else v) for k, v in engine.config.items()}
    digest: dict[str, Any] = {
        "config": config,
        "steps": steps,
        "diagnostics": [{"message": m + "\n", "severity": "info"} for m in _messages(output)],
        "duration": 0,
        "changeSummary": summary,
    }
    return digest
