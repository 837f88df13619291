"""What a BulkCountryUpdates answer says about ``bulk_update_count`` and ``bulk_update_request``: pure
functions from what was sent and what came back to the setting's value (None: neither reading), with the
evidence in words."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

__all__ = ["update_count_reading", "update_request_reading"]


def update_count_reading(write: tuple[int, int], no_op: tuple[int, int] | None) -> tuple[str | None, str]:
    """``write`` is (entries, update_count) of a request that changed one country and repeated another as
    it was; ``no_op`` the same for a request of several entries that changed nothing, if one was accepted.

    ``entries`` counts every entry, ``one`` always answers 1. A third reading, countries actually changed,
    would answer 1 to the write too: the no-op request tells it from ``one`` (it would answer 0).
    """
    entries, count = write
    evidence = f"update_count {count} for {entries} entries, one of them changing a country"
    if no_op is not None:
        evidence += f"; {no_op[1]} for {no_op[0]} entries changing nothing"
    if count == entries and (no_op is None or no_op[1] == no_op[0]):
        return "entries", evidence
    if count == 1 and no_op is not None and no_op[1] == 1:
        return "one", evidence
    if count == 1 and no_op is None:
        return None, evidence + ": 1 fits both 'one' and 'countries changed'; no no-op request to tell them apart"
    return None, evidence + ": neither 'entries' nor 'one'"


def update_request_reading(answered: str | None, submitted: object) -> tuple[str | None, str]:
    """``echo``: the submitted JSON array back (compared as JSON, so spacing does not matter); ``accepted``:
    that literal word."""
    if answered == "accepted":
        return "accepted", 'update_request: "accepted"'
    for decoded, how in ((answered, ""), (unquote_plus(answered or ""), ", URL-encoded")):
        try:
            if json.loads(decoded or "") == submitted:
                if how:
                    return None, "update_request: the submitted array URL-encoded, which the emulator does not model"
                return "echo", "update_request: the submitted JSON array"
        except ValueError:
            continue
    return None, f"update_request: {json.dumps(answered)[:80]}, neither reading"
