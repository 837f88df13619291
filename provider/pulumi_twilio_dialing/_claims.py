"""Which resource manages which countries of which account, so two resources in one stack never fight
over the same flags.

One provider process serves every dynamic resource of a stack, and the engine checks each resource of a
deployment in it. Each check claims its countries here; a claim that overlaps another resource's fails
the check with a message naming both. A resource checked twice in one process (same inputs) is the same
claimant, not a conflict.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["ALL_COUNTRIES", "Claim", "claim", "identify"]

ALL_COUNTRIES = "*"


@dataclass(frozen=True)
class Claim:
    topic: str  # what is claimed: "countries", or a setting such as "inheritance"
    account: str
    countries: frozenset[str]  # or {ALL_COUNTRIES}
    resource: str  # what the message calls the claimant, e.g. "DialingPermissionCountry (iso_code GB)"
    fingerprint: str


_CLAIMS: list[Claim] = []
_LOCK = threading.Lock()


def identify(kind: str, inputs: dict[str, Any]) -> str:
    """What tells one resource from another here: its kind and its checked inputs."""
    return kind + json.dumps({k: v for k, v in inputs.items() if k != "__provider"}, sort_keys=True, default=str)


COUNTRY_ADVICE = (
    "manage each country in one place (list it in DialingPermissions.countries, or leave every default "
    'flag "unchanged" so DialingPermissions manages only the countries it lists)'
)


def claim(
    account: str,
    countries: Iterable[str],
    resource: str,
    fingerprint: str,
    *,
    topic: str = "countries",
    advice: str = COUNTRY_ADVICE,
) -> str | None:
    """Record the claim, or return why it conflicts with another resource's (and record nothing)."""
    new = Claim(topic, account, frozenset(countries), resource, fingerprint)
    with _LOCK:
        for other in _CLAIMS:
            if (other.topic, other.account) != (topic, account) or other.fingerprint == new.fingerprint:
                continue
            if ALL_COUNTRIES in other.countries or ALL_COUNTRIES in new.countries:
                overlap = (new.countries | other.countries) - {ALL_COUNTRIES} or {"every country"}
            else:
                overlap = new.countries & other.countries
            if overlap:
                shown = ", ".join(sorted(overlap)[:10]) + (" ..." if len(overlap) > 10 else "")
                return (
                    f"{shown} of account {account} would be managed by both this {resource} and a "
                    f"{other.resource} in the same stack, and they would undo each other's writes; {advice}"
                )
        _CLAIMS.append(new)
    return None
