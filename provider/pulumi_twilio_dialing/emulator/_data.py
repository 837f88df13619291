"""The emulator's seeded reference data: the synthetic country table and high-risk special prefixes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["Country", "countries", "high_risk_special_prefixes"]


@dataclass(frozen=True)
class Country:
    """One entry of Twilio's Dialing Permissions country list (flags live per account, not here)."""

    iso_code: str
    name: str
    continent: str
    country_codes: tuple[str, ...]


def _load(name: str) -> dict[str, object]:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    document = json.loads(text)
    assert isinstance(document, dict)
    return document


@cache
def countries() -> dict[str, Country]:
    """The synthetic country table keyed by ISO code, in ISO order (see data/countries.json)."""
    entries = _load("countries.json")["countries"]
    assert isinstance(entries, list)
    return {
        e["iso_code"]: Country(e["iso_code"], e["name"], e["continent"], tuple(e["country_codes"])) for e in entries
    }


@cache
def high_risk_special_prefixes() -> dict[str, tuple[str, ...]]:
    """Seeded high-risk special prefixes per ISO code."""
    table = _load("high_risk_special_prefixes.json")["prefixes"]
    assert isinstance(table, dict)
    return {iso: tuple(prefixes) for iso, prefixes in table.items()}
