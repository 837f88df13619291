"""Writing country flags the careful way: the full triple per country, in as few BulkCountryUpdates requests
as the chunk size allows, then read back to verify."""

from __future__ import annotations

from collections.abc import Mapping

from ._exceptions import PartialWriteError, TwilioDialingError, WriteNotAppliedError
from ._gateway import Gateway
from ._models import CountryPermissionUpdate, DialingPermissionsCountry

__all__ = ["FLAG_NAMES", "Flags", "changed_flags", "compact", "flags_of", "write_and_verify"]

FLAG_NAMES = (
    "low_risk_numbers_enabled",
    "high_risk_special_numbers_enabled",
    "high_risk_tollfraud_numbers_enabled",
)
Flags = dict[str, bool]


def flags_of(source: Mapping[str, object] | DialingPermissionsCountry) -> Flags:
    """The three flags of a country record or of a props dict."""
    if isinstance(source, DialingPermissionsCountry):
        return {name: bool(getattr(source, name)) for name in FLAG_NAMES}
    return {name: bool(source[name]) for name in FLAG_NAMES}


def compact(flags: Mapping[str, bool]) -> str:
    """``L``, ``S``, ``T`` for each flag that is on, ``-`` for off: ``L--`` is low-risk only."""
    return "".join(letter if flags[name] else "-" for letter, name in zip("LST", FLAG_NAMES, strict=True))


def changed_flags(before: Mapping[str, bool], after: Mapping[str, bool]) -> list[str]:
    """``name old -> new`` for each flag that differs."""
    return [
        f"{name} {str(before[name]).lower()} -> {str(after[name]).lower()}"
        for name in FLAG_NAMES
        if before[name] != after[name]
    ]


def _describe(mismatches: Mapping[str, tuple[object, object]]) -> str:
    return "; ".join(
        f"{where} wanted {str(wanted).lower()}, found {str(found).lower()}"
        for where, (wanted, found) in mismatches.items()
    )


def _write(gateway: Gateway, targets: Mapping[str, Flags], chunk_size: int, before: Mapping[str, Flags] | None) -> None:
    isos = list(targets)
    chunks = [isos[i : i + chunk_size] for i in range(0, len(isos), chunk_size)]
    applied: list[str] = []
    for index, chunk in enumerate(chunks):
        try:
            gateway.bulk_update_countries([CountryPermissionUpdate(iso_code=iso, **targets[iso]) for iso in chunk])
        except TwilioDialingError as error:
            done = set(applied)
            not_applied = [iso for iso in isos if iso not in done]
            previous = (
                " Previous flags of the applied countries (L/S/T = low-risk/special/toll-fraud on): "
                + ", ".join(f"{iso}:{compact(before[iso])}" for iso in applied)
                + "."
                if before and applied
                else ""
            )
            raise PartialWriteError(
                f"BulkCountryUpdates request {index + 1} of {len(chunks)} on account "
                f"{gateway.credentials.account_sid} failed: {error}. Applied: {len(applied)} countries "
                f"({', '.join(applied) or 'none'}). Not applied: {len(not_applied)} countries "
                f"({', '.join(not_applied)}).{previous} Every write sets absolute values: run the update again "
                "to finish it.",
                applied,
                not_applied,
                error,
            ) from None
        applied.extend(chunk)


def write_and_verify(
    gateway: Gateway,
    targets: Mapping[str, Flags],
    *,
    chunk_size: int = 1000,
    before: Mapping[str, Flags] | None = None,
    whole_table: bool = False,
) -> dict[str, DialingPermissionsCountry]:
    """Write ``targets`` (ISO code to its three flags), ``chunk_size`` countries per BulkCountryUpdates
    request, then read them back: one fetch for a single country, one list request for several (or with
    ``whole_table``, which also returns every country of the list, not only the targets).

    A request that fails part-way raises :class:`PartialWriteError` naming what was and was not applied
    (with the ``before`` flags of what was, so nothing is lost); a read-back that differs raises
    :class:`WriteNotAppliedError` naming every country and flag that did not take."""
    if not targets:
        return {}
    _write(gateway, targets, chunk_size, before)
    if len(targets) == 1 and not whole_table:
        [iso] = targets
        found = {iso: gateway.fetch_country(iso)}
    else:
        found = {c.iso_code: c for c in gateway.list_countries() if whole_table or c.iso_code in targets}
    mismatches: dict[str, tuple[object, object]] = {}
    for iso, wanted in targets.items():
        actual = flags_of(found[iso]) if iso in found else {}
        for name in FLAG_NAMES:
            if actual.get(name) != wanted[name]:
                mismatches[f"{iso}.{name}"] = (wanted[name], actual.get(name))
    if mismatches:
        account = gateway.credentials.account_sid
        raise WriteNotAppliedError(
            f"Twilio accepted the dialing-permissions update of account {account}, but reading it back shows "
            f"it did not take: {_describe(mismatches)}. Nothing was recorded as changed; run the update again, "
            "and if it persists check the account's Voice Geographic Permissions in the Twilio Console",
            mismatches,
        )
    return found
