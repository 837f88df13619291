"""Per-country effect of a ``DialingPermissions`` change, computed from what the state recorded (no request).

One computation serves the provider's preview diagnostics (``DialingPermissions`` diff) and
``twilio-dialing preview-report``: the table the state recorded, the restore points of what the new inputs
stop managing, then the new ``default``/``countries`` over it (``"unchanged"`` leaves a flag as recorded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from .. import _claims
from .._permissions import FLAG_NAMES, Values
from .._properties import Properties

if TYPE_CHECKING:
    from .._lifecycle import SettingsProvider

P = TypeVar("P", bound=Properties)

__all__ = [
    "HIGH_RISK_FLAGS",
    "CountryChange",
    "changes_text",
    "country_changes",
    "planned_table",
]

HIGH_RISK_FLAGS = ("high_risk_special_numbers_enabled", "high_risk_tollfraud_numbers_enabled")
"""Flags whose turning on opens the account to premium-rate or toll-fraud traffic."""


@dataclass(frozen=True)
class CountryChange:
    """One country's flags before and after (``None``: not known, e.g. a table not read yet)."""

    iso: str
    before: Mapping[str, bool | None]
    after: Mapping[str, bool | None]

    @property
    def flags(self) -> list[str]:
        """The flags that change, in Twilio's order."""
        return [f for f in FLAG_NAMES if self.before.get(f) != self.after.get(f)]

    @property
    def risk_raising(self) -> bool:
        """A high-risk flag turns on (or may: from an unknown value)."""
        return any(self.after.get(f) is True and self.before.get(f) is not True for f in HIGH_RISK_FLAGS)

    def describe(self) -> str:
        """``flag old -> new`` for each changed flag (the wording of the existing diagnostics)."""
        return ", ".join(f"{f} {_lower(self.before.get(f))} -> {_lower(self.after.get(f))}" for f in self.flags)


def _lower(value: bool | None) -> str:
    return "unknown" if value is None else str(value).lower()


def country_changes(before: Values, after: Values) -> list[CountryChange]:
    """The countries whose flags differ, risk-raising first, then by ISO code. A flag ``after`` does not
    set keeps its ``before`` value."""
    isos = sorted({iso for (iso, flag), value in after.items() if before.get((iso, flag)) != value})
    changes = []
    for iso in isos:
        old = {f: before.get((iso, f), after.get((iso, f))) for f in FLAG_NAMES}
        new = {f: after.get((iso, f), old[f]) for f in FLAG_NAMES}
        changes.append(CountryChange(iso, old, new))
    return sorted(changes, key=lambda c: (not c.risk_raising, c.iso))


RISK_MARK = "[risk]"
"""How a diagnostic line marks a risk-raising country (plain text: diagnostics are not Markdown)."""


def changes_text(title: str, changes: list[CountryChange], shown: int) -> str:
    """Diagnostic text: ``title: N countries``, one line per country (risk-raising first, marked) up to
    ``shown``, then how many more, and how many of them raise risk. Empty when nothing changes."""
    if not changes:
        return ""
    lines = [f"{title}: {len(changes)} {'country' if len(changes) == 1 else 'countries'}"]
    for change in changes[:shown]:
        mark = f" {RISK_MARK}" if change.risk_raising else ""
        lines.append(f"  {change.iso}: {change.describe()}{mark}")
    if len(changes) > shown:
        lines.append(f"  ... and {len(changes) - shown} more")
    risky = sum(c.risk_raising for c in changes)
    if risky:
        lines.append(
            f"  {risky} {'country turns' if risky == 1 else 'countries turn'} a high-risk range on {RISK_MARK}"
        )
    return "\n".join(lines)


def planned_table(provider: SettingsProvider[P], olds: P, news: P) -> tuple[Values, Values]:
    """The recorded table of ``olds`` (a resource's outputs in state) and the table an update to ``news``
    (checked inputs) would leave: what ``news`` stop managing goes back as the new ``on_delete`` says (the
    update releases by it: "retain" leaves it; a setting another resource of this deployment has claimed is
    left to that one), then what ``news`` want.
    A partial state records no table: both are empty then (the update reads Twilio first)."""
    recorded = provider.kept_values(olds)
    restore = provider.released(olds, news)
    account = olds.account_sid
    releases = {
        key: value
        for key, value in provider.release_targets(news, restore, restore).items()
        # as the update: a setting another resource of this deployment manages now is left to it
        if not (account and _claims.manager(account, key, topic=provider.TOPIC))
    }
    after = {**recorded, **releases, **provider.desired(news, recorded)}
    return recorded, after
