"""The report of ``twilio-dialing preview-report``: what a preview changes on Twilio, per stack, per account
(tenant name where known), per country and flag, risk-raising changes first.

Every effect is computed from the digest alone (the state recorded before, the checked inputs after), with
the hooks the providers use themselves, so the report says what ``pulumi up`` would do, and makes no request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .._exceptions import StateUnreadableError
from .._lifecycle import SettingsProvider
from .._permissions import FLAG_NAMES, Values
from ._digest import Diagnostic, Digest, Step, is_secret, is_unknown, urn_name, urn_stack, urn_type
from ._effect import country_changes, planned_table

__all__ = ["Change", "Report", "ResourceReport", "build_report", "render_json", "render_markdown"]

PREFIX = "pulumi-python:dynamic/twilio-dialing:"
TENANT_TYPE = "twilio-dialing:index:TenantDialingPolicy"
INHERITANCE = "dialing_permissions_inheritance"
EVERY_OTHER = "every other country"
# A "replace" appears as one step or as create-replacement / replace / delete-replaced (with --diff or
# in the JSON of newer CLIs): one entry per URN.
_REPLACE_OPS = {"replace", "create-replacement", "delete-replaced"}
_DIAG_HEADER = re.compile(r"^DialingPermissions of (\S+) would change: (\d+) countr(?:y|ies)$")
_DIAG_LINE = re.compile(r"^  ([A-Z]{2}): (.+?)(?: \[risk\])?$")
_DIAG_FLAG = re.compile(r"^(\w+) (true|false|unknown) -> (true|false|unknown)$")
_DIAG_MORE = re.compile(r"^  \.\.\. and (\d+) more$")

Value = bool | str | None
"""A setting's value in the report: a flag, a name, ``"[secret]"``, or None (not known before apply)."""


@dataclass
class Change:
    """One setting of one item (a country, ``every other country``, the subaccount) going ``before`` →
    ``after``."""

    item: str
    setting: str
    before: Value
    after: Value
    risk: str = ""
    """Why this change raises risk ("" when it does not)."""


@dataclass
class ResourceReport:
    stack: str
    account: str
    tenant: str
    name: str
    kind: str
    op: str
    notes: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def risks(self) -> list[Change]:
        return [c for c in self.changes if c.risk]

    def identity(self) -> dict[str, Any]:
        """Which resource, in the JSON output: each risk and each resource entry starts with it."""
        return {
            "stack": self.stack,
            "account": self.account,
            "tenant": self.tenant or None,
            "resource": self.name,
            "type": self.kind,
            "op": self.op,
        }


@dataclass
class Report:
    resources: list[ResourceReport]
    unchanged: int
    change_summary: dict[str, int]

    @property
    def risks(self) -> list[tuple[ResourceReport, Change]]:
        return [(r, c) for r in self.resources for c in r.risks]


# ------------------------------------------------------------------------------------------ values
def _safe(value: Any) -> Value:
    """What the report may show of an input or output: never a secret's value."""
    if is_secret(value):
        return "[secret]"
    if value is None or is_unknown(value):
        return None
    if isinstance(value, bool):
        return value
    return str(value)


def _text(value: Value, *, unknown: str = "unknown") -> str:
    if value is None:
        return unknown
    return str(value).lower() if isinstance(value, bool) else str(value)


def _has_hidden(value: Any) -> bool:
    """Whether a value is (or holds) a secret or an unknown: its effect cannot be computed. The engine's own
    properties (``__provider``, the pickled provider, always secret) are not inputs of the resource."""
    if is_secret(value) or is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(_has_hidden(v) for k, v in value.items() if not str(k).startswith("__"))
    if isinstance(value, list):
        return any(_has_hidden(v) for v in value)
    return False


_RISK_LABELS = {
    "high_risk_tollfraud_numbers_enabled": "toll-fraud ranges",
    "high_risk_special_numbers_enabled": "high-risk special services",
}
_HIDDEN_RISKS = {**_RISK_LABELS, INHERITANCE: "inheritance of the parent's permissions"}
_LEAVE = "unchanged"  # dialing_permissions.UNCHANGED: a flag left as Twilio has it


def _known_part(news: Mapping[str, Any], olds: Mapping[str, Any]) -> tuple[dict[str, Any], list[Change]]:
    """A ``DialingPermissions``' inputs with every value known only at apply (or secret) in ``default`` or
    ``countries`` replaced by what leaves Twilio as it is, and, for each high-risk flag among them, a change
    that may turn the range on: an unknown must never hide a risk (nor the known changes next to it)."""
    hidden: list[tuple[str, str]] = []

    def known(flags: Any, item: str) -> dict[str, Any]:
        if _has_hidden(flags) and not isinstance(flags, Mapping):
            hidden.extend((item, f) for f in FLAG_NAMES)
            return {f: _LEAVE for f in FLAG_NAMES}
        values = dict(flags or {})
        for flag, value in values.items():
            if _has_hidden(value):
                hidden.append((item, flag))
                values[flag] = _LEAVE
        return values

    result = dict(news)
    result["default"] = known(news.get("default"), EVERY_OTHER)
    countries = news.get("countries")
    if _has_hidden(countries) and not isinstance(countries, Mapping):
        hidden.extend(("countries (known at apply)", f) for f in FLAG_NAMES)
        kept = olds.get("countries")
        result["countries"] = dict(kept) if isinstance(kept, Mapping) and not _has_hidden(kept) else {}
    else:
        result["countries"] = {iso: known(flags, str(iso)) for iso, flags in (countries or {}).items()}
    risks = [
        Change(item, flag, None, None, f"{_RISK_LABELS[flag]} may turn on (value known only at apply)")
        for item, flag in hidden
        if flag in _RISK_LABELS
    ]
    return result, risks


def _hidden_keys(props: Mapping[str, Any]) -> set[str]:
    """The properties whose value is secret or known only at apply (the engine's own ``__provider`` aside)."""
    return {k for k, v in props.items() if not str(k).startswith("__") and _has_hidden(v)}


def _readable(provider: SettingsProvider[Any], props: Mapping[str, Any]) -> Any:
    """``props`` (a digest's inputs or outputs) as the provider's typed properties, without what the digest
    does not show: the engine's own properties (``__provider``) and values secret or known only at apply,
    which no typed field takes (``"[secret]"``, Pulumi's placeholder or a signed object in a flag's place
    would refuse the whole resource, and a risk next to them would go unreported)."""
    hidden = _hidden_keys(props)
    return provider.properties({k: v for k, v in props.items() if k not in hidden and not str(k).startswith("__")})


def _hidden_risks(item: str, settings: Iterable[str]) -> list[Change]:
    """A change that may raise risk for each risk-raising setting among ``settings`` (inputs known only at
    apply, or secret): an unknown must never hide a risk."""
    return [
        Change(item, s, None, None, f"{_HIDDEN_RISKS[s]} may turn on (value known only at apply)")
        for s in sorted(settings)
        if s in _HIDDEN_RISKS
    ]


def _risk(setting: str, before: Value, after: Value, kind: str) -> str:
    if after is not True or before is True:
        return ""
    if setting == "high_risk_tollfraud_numbers_enabled":
        return "toll-fraud ranges on"
    if setting == "high_risk_special_numbers_enabled":
        return "high-risk special services on"
    if setting == INHERITANCE and kind == "SubaccountInheritance":
        return "inherits the parent's permissions"
    return ""


def _settings(kind: str, before: Mapping[tuple[str, str], Value], after: Values) -> list[Change]:
    """Changes of settings keyed (item, flag), risk-raising first, then by item and Twilio's flag order."""
    changes = []
    for (item, flag), new in after.items():
        old = before.get((item, flag))
        if old != new:
            changes.append(Change(item, flag, old, new, _risk(flag, old, new, kind)))
    order = {f: i for i, f in enumerate((*FLAG_NAMES, INHERITANCE))}
    return sorted(changes, key=lambda c: (not c.risk, c.item, order.get(c.setting, 9)))


# ------------------------------------------------------------------------------------------ providers
def _provider(kind: str) -> SettingsProvider[Any] | None:
    # Imported here: the resource modules import this package's effect module.
    from ..dialing_permission_country import DialingPermissionCountryProvider
    from ..dialing_permissions import DialingPermissionsProvider
    from ..subaccount_inheritance import SubaccountInheritanceProvider

    providers: dict[str, type[SettingsProvider[Any]]] = {
        "DialingPermissions": DialingPermissionsProvider,
        "DialingPermissionCountry": DialingPermissionCountryProvider,
        "SubaccountInheritance": SubaccountInheritanceProvider,
    }
    cls = providers.get(kind)
    return cls() if cls else None


def _item(kind: str, item: str) -> str:
    return "subaccount" if kind == "SubaccountInheritance" else item


# ------------------------------------------------------------------------------------------ effects
@dataclass
class _Context:
    tenants: dict[str, str]  # component URN -> tenant name
    diagnostics: list[tuple[str, list[Change], list[str]]]  # (account, changes, notes) from the provider
    explicit_accounts: set[str]
    subaccounts: dict[str, str]  # SID -> friendly name, of the stack's Subaccount resources


def _account(step: Step) -> str:
    new = step.new.inputs.get("account_sid") if step.new else None
    old = step.old.outputs.get("account_sid") if step.old else None
    if step.type.endswith(":Subaccount"):
        new = (step.new.inputs.get("account_sid") or None) if step.new else None
        old = step.old.outputs.get("sid") if step.old else None
        if step.op == "create" and not new:
            return "new subaccount"
    for value in (new, old):
        if is_secret(value):
            return "[secret]"
        if isinstance(value, str) and value and not is_unknown(value):
            return value
    if is_unknown(new):
        return "new subaccount"
    return "configured account"


def _tenant(step: Step, context: _Context, account: str) -> str:
    if step.parent in context.tenants:
        return context.tenants[step.parent]
    # A child of a TenantDialingPolicy carries the component's type in its URN: its name is "<tenant>-<role>".
    parts = step.urn.split("::")
    if len(parts) >= 4 and TENANT_TYPE in parts[2].split("$")[:-1]:
        return urn_name(step.urn).rsplit("-", 1)[0]
    # A subaccount of this stack: its friendly name (when it is not secret).
    return context.subaccounts.get(account, "")


def _release(provider: SettingsProvider[Any], kind: str, outputs: Mapping[str, Any], report: ResourceReport) -> None:
    """What deleting the resource writes back: the release value of every setting it manages."""
    if outputs.get("on_delete") == "retain":
        report.notes.append("on_delete retain: every setting stays as it is")
        return
    if _has_hidden({k: v for k, v in outputs.items() if k != "account_sid"}):
        report.notes.append("the state holds secret values: what the delete puts back shows at apply")
        return
    recorded_state = _readable(provider, outputs)
    recorded = provider.kept_values(recorded_state)
    restore = provider.kept_restore_points(recorded_state)
    releases = provider.release_targets(recorded_state, provider.kept_managed(recorded_state, recorded), restore)
    # As the provider's delete: a setting already at its restore point is not written.
    report.changes = [
        Change(_item(kind, c.item), c.setting, c.before, c.after, c.risk)
        for c in _settings(kind, dict(recorded), releases)
    ]
    if not report.changes:
        report.notes.append("puts back nothing: every managed setting is at its restore point")


def _create(provider: SettingsProvider[Any], kind: str, step: Step, context: _Context, report: ResourceReport) -> None:
    inputs = step.new.inputs if step.new else {}
    if kind == "DialingPermissions":
        _permissions_create(inputs, report, context)
        return
    hidden = _hidden_keys(inputs)
    if hidden - {"account_sid"}:
        report.notes.append("some inputs are secret or known only at apply time")
    # One item: the country (its flags count even if the country is known only at apply), or the subaccount.
    item = _item(kind, "country known at apply" if "iso_code" in hidden else str(inputs.get("iso_code")))
    # A setting whose value is hidden is no change to list (its value shows at apply), but may raise risk.
    wanted = {key: v for key, v in provider.desired(_readable(provider, inputs), {}).items() if key[1] not in hidden}
    report.changes = sorted(
        [Change(item, c.setting, c.before, c.after, c.risk) for c in _settings(kind, {}, wanted)]
        + _hidden_risks(item, hidden),
        key=lambda c: not c.risk,
    )
    report.notes.append("adopts the setting: the value found at apply time becomes its restore point")


def _permissions_create(inputs: Mapping[str, Any], report: ResourceReport, context: _Context) -> None:
    default, countries = inputs.get("default"), inputs.get("countries")
    lines = next(
        ((changes, notes) for account, changes, notes in context.diagnostics if account == report.account),
        None,
    )
    if lines is None and report.account == "configured account":
        # The provider names the resolved SID: a block no explicit account_sid claims is the configured one.
        others = [(a, c, n) for a, c, n in context.diagnostics if a not in context.explicit_accounts]
        if len(others) == 1:
            lines = (others[0][1], others[0][2])
    if lines is not None:
        report.account = next(a for a, c, n in context.diagnostics if (c, n) == lines)
        report.changes, notes = list(lines[0]), list(lines[1])
        report.notes.extend(["per-country changes as the preview read the live table", *notes])
        return
    report.notes.append("reads the live table at apply time; what the inputs ask for:")
    unknown_risks: list[Change] = []
    if _has_hidden(default) or _has_hidden(countries):
        report.notes.append("default or countries are secret or known only at apply time")
        known, unknown_risks = _known_part(inputs, {})
        default, countries = known["default"], known["countries"]
    changes = [
        Change(EVERY_OTHER, flag, None, bool(value), _risk(flag, None, bool(value), "DialingPermissions"))
        for flag, value in (default or {}).items()
        if value != "unchanged" and flag in FLAG_NAMES
    ]
    for iso, flags in sorted((countries or {}).items()):
        changes += [
            Change(iso, flag, None, bool(value), _risk(flag, None, bool(value), "DialingPermissions"))
            for flag, value in flags.items()
            if value != "unchanged" and flag in FLAG_NAMES
        ]
    report.changes = sorted(changes + unknown_risks, key=lambda c: not c.risk)


def _update(provider: SettingsProvider[Any], kind: str, step: Step, report: ResourceReport, *, drift: bool) -> None:
    olds = step.old.outputs if step.old else {}
    news = step.new.outputs if drift and step.new else (step.new.inputs if step.new else {})
    unknown_risks: list[Change] = []
    if drift:
        before = provider.kept_values(_readable(provider, olds))
        after = provider.kept_values(_readable(provider, news))
        if _has_hidden({k: v for k, v in news.items() if k != "account_sid"}):
            report.notes.append("the refreshed state holds secret values: they are not shown")
    else:
        if kind == "DialingPermissions" and _has_hidden({k: news.get(k) for k in ("default", "countries")}):
            report.notes.append("some inputs are secret or known only at apply time: their effect shows at apply")
            news, unknown_risks = _known_part(news, olds)
        hidden = _hidden_keys(news) - {"account_sid"}
        if hidden:
            report.notes.append("some inputs are secret or known only at apply time: the effect shows at apply")
            # An unknown must never hide a risk: a risk-raising setting known only at apply may turn on (one
            # the state records on already cannot).
            iso = news.get("iso_code")
            item = _item(kind, str(olds.get("iso_code") if _has_hidden(iso) else iso))
            report.changes = sorted(
                unknown_risks + _hidden_risks(item, {s for s in hidden if olds.get(s) is not True}),
                key=lambda c: not c.risk,
            )
            return
        if _has_hidden({k: v for k, v in olds.items() if k != "account_sid"}):
            report.notes.append("the state holds secret values: the effect shows at apply")
            return
        recorded, wanted = _readable(provider, olds), _readable(provider, news)
        if not provider.kept_values(recorded):
            report.notes.append("the state is partial (an earlier apply failed): the update reads Twilio first")
        before, after = planned_table(provider, recorded, wanted)
    if kind == "DialingPermissions":
        report.changes = [
            Change(c.iso, f, c.before.get(f), c.after.get(f), _risk(f, c.before.get(f), c.after.get(f), kind))
            for c in country_changes(before, after)
            for f in c.flags
        ]
        report.changes += unknown_risks
        report.changes.sort(key=lambda c: not c.risk)
    else:
        report.changes = [
            Change(_item(kind, c.item), c.setting, c.before, c.after, c.risk)
            for c in _settings(kind, dict(before), after)
        ]
    if drift:
        report.notes.append("drift the refresh found")
    if not drift:
        _on_delete_note(olds, news, report)


def _on_delete_note(olds: Mapping[str, Any], news: Mapping[str, Any], report: ResourceReport) -> None:
    if olds.get("on_delete") != news.get("on_delete"):
        report.notes.append(f"on_delete {_text(_safe(olds.get('on_delete')))} -> {_text(_safe(news.get('on_delete')))}")


def _subaccount(step: Step, op: str, report: ResourceReport) -> None:
    from ..subaccount import default_on_delete  # here: see _provider()

    olds = step.old.outputs if step.old else {}
    news = step.new.inputs if step.new else {}
    if op in ("create", "replace"):
        name = _safe(news.get("friendly_name"))
        adopt = news.get("account_sid")
        what = f"adopts {_text(_safe(adopt))}" if adopt else "creates a subaccount"
        report.changes.append(Change("subaccount", "friendly_name", None, name))
        report.notes.append(f"{what}; destroying it will {news.get('on_delete') or default_on_delete(adopt)} it")
    if op == "update":
        if olds.get("friendly_name") != news.get("friendly_name"):
            report.changes.append(
                Change(
                    "subaccount", "friendly_name", _safe(olds.get("friendly_name")), _safe(news.get("friendly_name"))
                )
            )
        _on_delete_note(olds, news, report)
    if op in ("delete", "replace"):
        # As the provider's delete: a state without on_delete closes only a subaccount it created.
        on_delete = olds.get("on_delete") or default_on_delete(olds.get("account_sid"))
        status = {"close": "closed", "suspend": "suspended"}.get(str(on_delete))
        if status:
            risk = "subaccount closed (irreversible)" if status == "closed" else ""
            report.changes.append(Change("subaccount", "status", _safe(olds.get("status")) or "active", status, risk))
            report.notes.append("unless resources of this deployment still act on it")
        else:
            report.notes.append("on_delete retain: the subaccount stays as it is")


def _step_report(step: Step, op: str, context: _Context) -> ResourceReport | None:
    type_ = step.type
    if not type_.startswith(PREFIX):
        return None
    kind = type_.removeprefix(PREFIX)
    account = _account(step)
    report = ResourceReport(urn_stack(step.urn), account, _tenant(step, context, account), step.name, kind, op)
    if kind == "Subaccount":
        _subaccount(step, op, report)
        return report
    provider = _provider(kind)
    if provider is None:
        report.notes.append("resource type unknown to this version of pulumi-twilio-dialing")
        return report
    if op == "create":
        _create(provider, kind, step, context, report)
    elif op in ("update", "same"):
        _update(provider, kind, step, report, drift=False)
    elif op == "refresh":
        _update(provider, kind, step, report, drift=True)
    elif op == "delete":
        _release(provider, kind, step.old.outputs if step.old else {}, report)
    elif op == "replace":
        # The replacement adopts the settings afresh; the original puts back its restore points at the end.
        _create(provider, kind, step, context, report)
        released = ResourceReport(report.stack, report.account, report.tenant, report.name, kind, op)
        if step.old:
            _release(provider, kind, step.old.outputs, released)
        original = _text(_safe(step.old.outputs.get("account_sid")) if step.old else None)
        report.notes.append(f"the original on {original} is deleted at the end")
        report.changes += [Change(c.item, c.setting, c.before, c.after, c.risk) for c in released.changes]
    else:
        report.notes.append(f"op {op}: no effect computed")
    return report


def _diagnostic_blocks(diagnostics: Iterable[Diagnostic]) -> list[tuple[str, list[Change], list[str]]]:
    """The per-country lines the provider printed for creates (``DialingPermissions of AC... would change``)."""
    blocks: list[tuple[str, list[Change], list[str]]] = []
    for diagnostic in diagnostics:
        lines = diagnostic.message.splitlines()
        for index, line in enumerate(lines):
            header = _DIAG_HEADER.match(line.strip("\n"))
            if not header:
                continue
            changes: list[Change] = []
            notes: list[str] = []
            for follow in lines[index + 1 :]:
                more = _DIAG_MORE.match(follow)
                if more:
                    notes.append(f"the preview showed the first countries only: {more.group(1)} more change")
                    continue
                entry = _DIAG_LINE.match(follow)
                if not entry:
                    break
                for part in entry.group(2).split(", "):
                    flag = _DIAG_FLAG.match(part)
                    if flag and flag.group(1) in FLAG_NAMES:
                        old, new = ({"true": True, "false": False}.get(flag.group(i)) for i in (2, 3))
                        changes.append(
                            Change(
                                entry.group(1),
                                flag.group(1),
                                old,
                                new,
                                _risk(flag.group(1), old, new, "DialingPermissions"),
                            )
                        )
            blocks.append((header.group(1), sorted(changes, key=lambda c: not c.risk), notes))
    return blocks


def build_report(digest: Digest) -> Report:
    tenants = {s.urn: urn_name(s.urn) for s in digest.steps if urn_type(s.urn) == TENANT_TYPE or s.type == TENANT_TYPE}
    explicit = {
        str(s.new.inputs.get("account_sid"))
        for s in digest.steps
        if s.new and isinstance(s.new.inputs.get("account_sid"), str) and s.new.inputs.get("account_sid")
    }
    subaccounts = {
        str(s.old.outputs["sid"]): str(s.old.outputs["friendly_name"])
        for s in digest.steps
        if s.old
        and s.type == PREFIX + "Subaccount"
        and isinstance(s.old.outputs.get("sid"), str)
        and isinstance(s.old.outputs.get("friendly_name"), str)
        and not is_secret(s.old.outputs.get("friendly_name"))
    }
    context = _Context(tenants, _diagnostic_blocks(digest.diagnostics), explicit, subaccounts)
    reports: list[ResourceReport] = []
    seen_replace: set[str] = set()
    unchanged = 0
    for step in digest.steps:
        op = step.op
        if op in _REPLACE_OPS:
            if step.urn in seen_replace:
                continue
            seen_replace.add(step.urn)
            op = "replace"
        try:
            report = _step_report(step, op, context)
        except (StateUnreadableError, AttributeError, KeyError, TypeError, ValueError, RecursionError) as error:
            # A state this version does not understand (written by another version, or edited): say so for
            # this resource and go on with the others. The error's type only: its text may quote a value.
            report = ResourceReport(urn_stack(step.urn), "unknown", "", step.name, step.type.removeprefix(PREFIX), op)
            report.notes.append(f"could not compute the effect from this state ({type(error).__name__})")
        if report is None:
            continue
        if op == "same" and not report.changes:
            unchanged += 1
            continue
        reports.append(report)
    return Report(reports, unchanged, dict(digest.change_summary))


# ------------------------------------------------------------------------------------------ rendering
MARK = "⚠️"
_COLUMNS = {
    "low_risk_numbers_enabled": "low-risk",
    "high_risk_special_numbers_enabled": "high-risk special",
    "high_risk_tollfraud_numbers_enabled": "high-risk toll-fraud",
}


def _one_line(text: str) -> str:
    """A name (anyone's text: Pulumi allows any resource name) on one line: a line of its own starting with
    ``<!--`` or ``#`` would open an HTML comment or a heading and hide or forge what follows in the comment."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _text_md(text: str) -> str:
    """A name in running Markdown text: one line, never read as HTML."""
    return _one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code_md(text: str) -> str:
    """A name in a code span: one line, and no backtick to end the span early."""
    return _one_line(text).replace("`", "'")


def _who(report: ResourceReport) -> str:
    tenant = f"tenant **{_text_md(report.tenant)}**, " if report.tenant else ""
    return f"{tenant}{_account_text(report.account)}"


def _account_text(account: str) -> str:
    return f"account `{_code_md(account)}`" if account.startswith("AC") else _text_md(account)


def _arrow(change: Change) -> str:
    # "?": not known before apply (a table or setting read from Twilio then)
    return f"{_text_md(_text(change.before, unknown='?'))} → {_text_md(_text(change.after, unknown='?'))}"


def render_markdown(report: Report) -> str:
    lines = ["## Twilio dialing permissions: what this preview changes", ""]
    risks = report.risks
    if risks:
        lines += [f"### {MARK} {len(risks)} risk-raising change{'s' if len(risks) != 1 else ''}", ""]
        # One line per resource and kind of risk, naming every item: 225 countries stay one short line.
        grouped: dict[tuple[int, str, str], list[Change]] = {}
        for resource, change in risks:
            grouped.setdefault((id(resource), change.risk, change.setting), []).append(change)
        owners = {id(r): r for r, _ in risks}
        for (key, risk, setting), changes in grouped.items():
            resource = owners[key]
            if len(changes) == 1:
                what = f"{_text_md(changes[0].item)} `{setting}` {_arrow(changes[0])}"
            else:
                what = f"`{setting}` on in {len(changes)}: {', '.join(_text_md(c.item) for c in changes)}"
            lines.append(
                f"- {MARK} **{risk}**: {resource.stack} · {_who(resource)} · {what} "
                f"({resource.kind} `{_code_md(resource.name)}`, {resource.op})"
            )
        lines.append("")
    else:
        lines += [
            "No risk-raising change (no high-risk range turned on, no inheritance turned on, no subaccount closed).",
            "",
        ]
    if not report.resources:
        lines.append("Nothing of pulumi-twilio-dialing changes.")
    stacks: dict[str, dict[tuple[str, str], list[ResourceReport]]] = {}
    for resource in report.resources:
        stacks.setdefault(resource.stack, {}).setdefault((resource.tenant, resource.account), []).append(resource)
    for stack, accounts in stacks.items():
        lines += [f"### Stack `{_code_md(stack)}`", ""]
        for (tenant, account), resources in accounts.items():
            title = f"Tenant {_text_md(tenant)}: {_account_text(account)}" if tenant else _account_text(account)
            title = title[0].upper() + title[1:]
            lines += [f"#### {title}", ""]
            for resource in resources:
                lines += _resource_markdown(resource)
    if report.unchanged:
        lines += [f"{report.unchanged} resource(s) of pulumi-twilio-dialing unchanged.", ""]
    lines.append(
        "<sub>`?`: the value Twilio has at apply time. Computed from the preview and the stack's state by "
        "`twilio-dialing preview-report`, without a request to Twilio.</sub>"
    )
    return "\n".join(lines).rstrip() + "\n"


def _resource_markdown(resource: ResourceReport) -> list[str]:
    items = sorted({c.item for c in resource.changes})
    head = f"**{resource.kind} `{_code_md(resource.name)}`** ({resource.op})"
    if resource.kind in ("DialingPermissions", "DialingPermissionCountry") and resource.changes:
        head += f": {len(items)} {'country' if len(items) == 1 else 'countries'}"
    lines = [head, ""]
    lines += [f"- {note}" for note in resource.notes]
    if resource.notes:
        lines.append("")
    flagged = [c for c in resource.changes if c.setting in _COLUMNS]
    other = [c for c in resource.changes if c.setting not in _COLUMNS]
    if flagged:
        lines += ["| Country | " + " | ".join(_COLUMNS.values()) + " |", "|---|---|---|---|"]
        rows: dict[str, dict[str, Change]] = {}
        for change in flagged:  # risk-raising first: the order of first appearance
            rows.setdefault(change.item, {})[change.setting] = change
        for item, cells in rows.items():
            mark = f" {MARK}" if any(c.risk for c in cells.values()) else ""
            shown = [
                (f"**{_arrow(cells[f])}**" if cells[f].risk else _arrow(cells[f])) if f in cells else ""
                for f in _COLUMNS
            ]
            lines.append(f"| {_text_md(item).replace('|', '/')}{mark} | " + " | ".join(shown) + " |")
        lines.append("")
    for change in other:
        mark = f"{MARK} " if change.risk else ""
        lines.append(f"- {mark}{_text_md(change.item)} `{change.setting}`: {_arrow(change)}")
    if other:
        lines.append("")
    return lines


def render_json(report: Report) -> dict[str, Any]:
    return {
        "risk_raising": [{**r.identity(), **asdict(c)} for r, c in report.risks],
        "resources": [
            {**r.identity(), "notes": r.notes, "changes": [asdict(c) for c in r.changes]} for r in report.resources
        ],
        "unchanged": report.unchanged,
        "change_summary": report.change_summary,
    }
