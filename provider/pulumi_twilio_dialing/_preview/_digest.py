"""Reading the document ``pulumi preview --json`` writes: Pulumi's ``PreviewDigest``.

The schema is pulumi/pulumi ``sdk/pkg/display/json.go`` (``PreviewDigest``: ``steps``, ``diagnostics``,
``changeSummary``, ``config``; ``PreviewStep``: ``op``, ``urn``, ``oldState``, ``newState``, ...), each
state an ``apitype.ResourceV3`` (``sdk/go/common/apitype/core.go``: ``urn``, ``type``, ``id``, ``parent``,
``inputs``, ``outputs``). Without ``--show-secrets`` a secret value is the string ``"[secret]"``; a value not
known during the preview is ``computedValuePlaceholder`` (pulumi/pulumi ``pkg/resource/stack/deployment.go``).
``config`` is never read: it holds the stack's configuration, credentials included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SECRET",
    "UNKNOWN",
    "Diagnostic",
    "Digest",
    "DigestError",
    "ResourceState",
    "Step",
    "is_secret",
    "is_unknown",
    "parse_digest",
    "urn_name",
    "urn_stack",
    "urn_type",
]

SECRET = "[secret]"  # noqa: S105 - the placeholder Pulumi prints instead of a secret
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# A secret the engine serialised as a signed object instead of the blinded string (state-file form).
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 - a signature, not a secret
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a signature, not a secret


class DigestError(ValueError):
    """The input is not a ``pulumi preview --json`` document."""


def is_secret(value: object) -> bool:
    return value == SECRET or (isinstance(value, Mapping) and value.get(_SECRET_SIG_KEY) == _SECRET_SIG)


def is_unknown(value: object) -> bool:
    return value == UNKNOWN


def urn_stack(urn: str) -> str:
    """``urn:pulumi:<stack>::<project>::<type>::<name>``: the stack."""
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


def urn_type(urn: str) -> str:
    """The resource's own type (the last of the ``$``-joined parent types)."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def urn_name(urn: str) -> str:
    return urn.split("::", 3)[-1] if urn.count("::") >= 3 else urn


@dataclass(frozen=True)
class ResourceState:
    urn: str
    type: str
    id: str
    parent: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]


@dataclass(frozen=True)
class Step:
    op: str
    urn: str
    old: ResourceState | None
    new: ResourceState | None

    @property
    def type(self) -> str:
        state = self.new or self.old
        return state.type if state and state.type else urn_type(self.urn)

    @property
    def name(self) -> str:
        return urn_name(self.urn)

    @property
    def parent(self) -> str:
        state = self.new or self.old
        return state.parent if state else ""


@dataclass(frozen=True)
class Diagnostic:
    urn: str
    message: str
    severity: str


@dataclass
class Digest:
    steps: list[Step]
    diagnostics: list[Diagnostic]
    change_summary: dict[str, int] = field(default_factory=dict)


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DigestError(f"{where} must be an object, got {type(value).__name__}")
    return value


def _state(value: object, where: str) -> ResourceState | None:
    if value is None:
        return None
    raw = _mapping(value, where)
    return ResourceState(
        urn=str(raw.get("urn") or ""),
        type=str(raw.get("type") or ""),
        id=str(raw.get("id") or ""),
        parent=str(raw.get("parent") or ""),
        inputs=_mapping(raw.get("inputs"), f"{where}.inputs"),
        outputs=_mapping(raw.get("outputs"), f"{where}.outputs"),
    )


def parse_digest(text: str) -> Digest:
    """Parse the text of ``pulumi preview --json``; :class:`DigestError` names what is wrong."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise DigestError(
            f"not JSON ({error.msg} at line {error.lineno}, column {error.colno}); give the output of "
            "`pulumi preview --json` (its stdout only: diagnostics go to stderr)"
        ) from None
    except RecursionError:
        raise DigestError("nested too deeply to be a `pulumi preview --json` document") from None
    if not isinstance(raw, Mapping) or not ({"steps", "changeSummary", "diagnostics"} & set(raw) or not raw):
        raise DigestError("not a `pulumi preview --json` document: expected an object with 'steps' and 'changeSummary'")
    for key in ("steps", "diagnostics"):
        if raw.get(key) is not None and not isinstance(raw.get(key), list):
            raise DigestError(f"{key} must be a list, got {type(raw.get(key)).__name__}")
    steps = []
    for index, entry in enumerate(raw.get("steps") or []):
        where = f"steps[{index}]"
        step = _mapping(entry, where)
        if not isinstance(step.get("op"), str) or not isinstance(step.get("urn"), str):
            raise DigestError(f"{where} needs the strings 'op' and 'urn'")
        steps.append(
            Step(
                op=step["op"],
                urn=step["urn"],
                old=_state(step.get("oldState"), f"{where}.oldState"),
                new=_state(step.get("newState"), f"{where}.newState"),
            )
        )
    diagnostics = [
        Diagnostic(str(d.get("urn") or ""), str(d.get("message") or ""), str(d.get("severity") or ""))
        for d in (_mapping(e, f"diagnostics[{i}]") for i, e in enumerate(raw.get("diagnostics") or []))
    ]
    summary = {str(k): v for k, v in _mapping(raw.get("changeSummary"), "changeSummary").items() if isinstance(v, int)}
    return Digest(steps, diagnostics, summary)
