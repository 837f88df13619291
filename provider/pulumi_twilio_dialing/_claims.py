"""Which resource of this deployment manages which setting of which account.

One provider process serves every dynamic resource of a stack for one ``pulumi`` command, and the engine
checks every resource the program registers before it deletes anything (deletions of removed resources and
of replaced originals run at the end of an ``up``; pulumi/pulumi#11027 moved leftover ones there too). So:

- each Check *claims* the settings its resource manages; a claim that overlaps another resource's fails
  the check with a message naming both (two resources would undo each other's writes);
- a delete, or an update that stops managing a setting, asks :func:`manager` before it restores anything:
  a setting another resource of this deployment manages now is left alone (a rename without aliases, a
  move between resource types, two resources swapping countries, ...);
- a restore point released by one resource is *handed* to the resource that takes the setting over in the
  same process (:func:`hand_over` / :func:`take_over`), so it is not lost when the engine happens to run the
  release before the adoption.

A resource checked twice in one process with the same inputs (preview, then update) is the same claimant.
Nothing here is persisted: it is what this process has seen of the current deployment.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ALL_COUNTRIES",
    "Claim",
    "SettingKey",
    "account_users",
    "claim",
    "hand_over",
    "identify",
    "manager",
    "take_over",
]

ALL_COUNTRIES = "*"
"""In a claim's keys: every country the claim does not list by name."""

SettingKey = tuple[str, str]
"""(item, flag): ``("GB", "low_risk_numbers_enabled")``, ``("Settings", "dialing_permissions_inheritance")``,
``("Account", "status")``."""


@dataclass(frozen=True)
class Claim:
    topic: str  # "countries", "inheritance" or "subaccount": claims of different topics never overlap
    account: str
    items: Mapping[str, frozenset[str]]  # item (or ALL_COUNTRIES) -> the flags managed on it
    resource: str  # what messages call the claimant, e.g. "DialingPermissionCountry (iso_code GB)"
    fingerprint: str

    def flags_of(self, item: str) -> frozenset[str]:
        if item in self.items:
            return self.items[item]
        return self.items.get(ALL_COUNTRIES, frozenset())


_CLAIMS: list[Claim] = []
_HANDOVERS: dict[tuple[str, SettingKey], bool] = {}
_LOCK = threading.Lock()


def identify(kind: str, inputs: Mapping[str, Any]) -> str:
    """What tells one resource from another here: its kind and its checked inputs."""
    return kind + json.dumps({k: v for k, v in inputs.items() if k != "__provider"}, sort_keys=True, default=str)


COUNTRY_ADVICE = (
    "manage each country in one place (list it in DialingPermissions.countries, or leave every default "
    'flag "unchanged" so DialingPermissions manages only the countries it lists)'
)


def _overlap(a: Claim, b: Claim) -> list[str]:
    if a.topic != "countries":  # one item per account: name the settings
        return sorted({flag for item in a.items for flag in a.flags_of(item) & b.flags_of(item)})
    named = (set(a.items) | set(b.items)) - {ALL_COUNTRIES}
    shared = sorted(item for item in named if a.flags_of(item) & b.flags_of(item))
    if a.items.get(ALL_COUNTRIES, frozenset()) & b.items.get(ALL_COUNTRIES, frozenset()):
        shared.append("every other country")
    return shared


def claim(
    account: str,
    items: Mapping[str, Iterable[str]],
    resource: str,
    fingerprint: str,
    *,
    topic: str = "countries",
    advice: str = COUNTRY_ADVICE,
) -> str | None:
    """Record the claim, or return why it conflicts with another resource's (and record nothing)."""
    new = Claim(topic, account, {item: frozenset(flags) for item, flags in items.items()}, resource, fingerprint)
    with _LOCK:
        for other in _CLAIMS:
            if (other.topic, other.account) != (topic, account) or other.fingerprint == new.fingerprint:
                continue
            overlap = _overlap(new, other)
            if overlap:
                shown = ", ".join(overlap[:10]) + (" ..." if len(overlap) > 10 else "")
                return (
                    f"{shown} of account {account} would be managed by both this {resource} and a "
                    f"{other.resource} in the same stack, and they would undo each other's writes; {advice}"
                )
        _CLAIMS.append(new)
    return None


def manager(account: str, key: SettingKey, *, topic: str = "countries") -> str | None:
    """The resource of this deployment that manages ``key`` of ``account`` now, if any."""
    item, flag = key
    with _LOCK:
        for existing in _CLAIMS:
            if existing.topic == topic and existing.account == account and flag in existing.flags_of(item):
                return existing.resource
    return None


def account_users(account: str) -> list[str]:
    """The resources of this deployment that act on ``account`` (any setting)."""
    with _LOCK:
        return sorted({c.resource for c in _CLAIMS if c.account == account})


def hand_over(account: str, restore_points: Mapping[SettingKey, bool]) -> None:
    """Offer the restore points of settings a resource stops managing to whichever resource of this
    deployment adopts them next (first offer wins: it is the older value)."""
    with _LOCK:
        for key, value in restore_points.items():
            _HANDOVERS.setdefault((account, key), value)


def take_over(account: str, keys: Iterable[SettingKey]) -> dict[SettingKey, bool]:
    """The restore points handed over for ``keys`` (each is taken once)."""
    with _LOCK:
        return {key: _HANDOVERS.pop((account, key)) for key in keys if (account, key) in _HANDOVERS}
