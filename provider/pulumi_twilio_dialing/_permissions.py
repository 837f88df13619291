"""Writing country flags the careful way: the full triple per country, in as few BulkCountryUpdates requests
as the chunk size allows, then read back to verify."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ._exceptions import AuthenticationError, PartialWriteError, TwilioDialingError, WriteNotAppliedError
from ._gateway import Gateway
from ._models import FLAG_NAMES, CountryFlags, CountryPermissionUpdate, CountryRecord

__all__ = [
    "FLAG_NAMES",
    "CountryFlagStore",
    "Flags",
    "Values",
    "flags_of",
    "table_of",
    "values_of",
    "write_and_verify",
]

Flags = dict[str, bool]
"""One country's three flags by name (as state and props hold them); :class:`CountryFlags` is the checked
form."""
Values = dict[tuple[str, str], bool]
"""Settings of one account by (item, flag): ``{("GB", "low_risk_numbers_enabled"): True, ...}``."""


def flags_of(source: Mapping[str, object] | CountryRecord) -> Flags:
    """The three flags of a country record or of a props dict."""
    if isinstance(source, CountryRecord):
        return source.flags.as_dict()
    return {name: bool(source[name]) for name in FLAG_NAMES}


def values_of(table: Mapping[str, Mapping[str, bool]]) -> Values:
    """``{iso: {flag: value}}`` as settings by (iso, flag)."""
    return {(iso, flag): bool(value) for iso, flags in table.items() for flag, value in flags.items()}


def table_of(values: Mapping[tuple[str, str], bool]) -> dict[str, dict[str, bool]]:
    """Settings by (iso, flag) as ``{iso: {flag: value}}`` (sorted by ISO code, flags in Twilio's order)."""
    table: dict[str, dict[str, bool]] = {}
    for (iso, flag), value in sorted(values.items(), key=lambda kv: (kv[0][0], FLAG_NAMES.index(kv[0][1]))):
        table.setdefault(iso, {})[flag] = value
    return table


def _describe(mismatches: Mapping[str, tuple[object, object]], shown: int = 12) -> str:
    # Messages travel in size-limited gRPC headers: name the first settings, count the rest.
    parts = [
        f"{where} wanted {str(wanted).lower()}, found {'nothing' if found is None else str(found).lower()}"
        for where, (wanted, found) in mismatches.items()
    ]
    return "; ".join(parts[:shown]) + (f"; ... and {len(parts) - shown} more" if len(parts) > shown else "")


def _codes(isos: list[str], shown: int = 30) -> str:
    # Messages travel in size-limited gRPC headers: name the first codes, count the rest.
    if not isos:
        return "none"
    return ", ".join(isos[:shown]) + (f", ... and {len(isos) - shown} more" if len(isos) > shown else "")


def _write(gateway: Gateway, targets: Mapping[str, CountryFlags], chunk_size: int) -> None:
    isos = list(targets)
    chunks = [isos[i : i + chunk_size] for i in range(0, len(isos), chunk_size)]
    applied: list[str] = []
    for index, chunk in enumerate(chunks):
        try:
            gateway.bulk_update_countries([CountryPermissionUpdate.of(iso, targets[iso]) for iso in chunk])
        except TwilioDialingError as error:
            if isinstance(error, AuthenticationError) and not applied:
                # Refused before anything was written: not a partial write, and the 401's own message (which
                # names the account and where its credentials came from) is the one to read.
                raise
            not_applied = isos[len(applied) :]
            raise PartialWriteError(
                f"BulkCountryUpdates request {index + 1} of {len(chunks)} on account "
                f"{gateway.credentials.account_sid} failed: {error}. Applied: {len(applied)} countries "
                f"({_codes(applied)}). Not applied: {len(not_applied)} countries ({_codes(not_applied)}).",
                list(applied),
                not_applied,
                error,
                uncertain=list(chunk),
            ) from None
        applied.extend(chunk)


def write_and_verify(
    gateway: Gateway,
    targets: Mapping[str, CountryFlags],
    *,
    chunk_size: int = 1000,
    whole_table: bool = False,
) -> dict[str, CountryRecord]:
    """Write ``targets`` (ISO code to its three flags), ``chunk_size`` countries per BulkCountryUpdates
    request, then read them back: one fetch for a single country, one list request for several (or with
    ``whole_table``, which also returns every country of the list, not only the targets).

    A request that fails part-way raises :class:`PartialWriteError` naming what was, may have been, and
    was not applied; a read-back that differs raises :class:`WriteNotAppliedError` naming every country
    and flag that did not take."""
    if not targets:
        return {}
    _write(gateway, targets, chunk_size)

    def read() -> dict[str, CountryRecord]:
        if len(targets) == 1 and not whole_table:
            [iso] = targets
            return {iso: gateway.fetch_country(iso)}
        return {c.iso_code: c for c in gateway.list_countries() if whole_table or c.iso_code in targets}

    def mismatched(found: Mapping[str, CountryRecord]) -> dict[str, tuple[object, object]]:
        mismatches: dict[str, tuple[object, object]] = {}
        for iso, flags in targets.items():
            wanted, actual = flags.as_dict(), flags_of(found[iso]) if iso in found else {}
            for name in FLAG_NAMES:
                if actual.get(name) != wanted[name]:
                    mismatches[f"{iso}.{name}"] = (wanted[name], actual.get(name))
        return mismatches

    try:
        found = gateway.settle(read, lambda found: not mismatched(found))
    except TwilioDialingError as error:
        # Twilio accepted every request: only the read-back failed, so what took is unknown.
        unknown: dict[str, tuple[object, object]] = {
            f"{iso}.{name}": (value, None) for iso, flags in targets.items() for name, value in flags.as_dict().items()
        }
        raise WriteNotAppliedError(
            f"Twilio accepted the dialing-permissions update of account {gateway.credentials.account_sid}, but "
            f"reading it back failed: {error}",
            unknown,
        ) from None
    mismatches = mismatched(found)
    if mismatches:
        account = gateway.credentials.account_sid
        raise WriteNotAppliedError(
            f"Twilio accepted the dialing-permissions update of account {account}, but reading it back shows "
            f"it did not take: {_describe(mismatches)}",
            mismatches,
        )
    return found


class CountryFlagStore:
    """The country flags of one account as settings: reads one country (one fetch) or the whole table
    (one list request); writes whole triples, so flags not being written keep the value last read."""

    def __init__(self, gateway: Gateway, chunk_size: int, *, whole_table: bool = False) -> None:
        self.gateway = gateway
        self.whole_table = whole_table  # verify (and report) with the whole table, not the written countries
        self.account_sid = gateway.credentials.account_sid
        self.chunk_size = chunk_size
        self.records: dict[str, CountryRecord] = {}

    def read(self, items: Iterable[str] | None = None) -> Values:
        wanted = None if items is None else list(items)
        if wanted is not None and len(wanted) == 1:
            records = [self.gateway.fetch_country(wanted[0])]
        else:
            records = [c for c in self.gateway.list_countries() if wanted is None or c.iso_code in wanted]
        self.records.update({r.iso_code: r for r in records})
        return {(r.iso_code, flag): value for r in records for flag, value in flags_of(r).items()}

    def write(self, targets: Mapping[tuple[str, str], bool], live: Mapping[tuple[str, str], bool]) -> Values:
        """Write ``targets``; each country's other flags are sent as ``live`` has them. Returns the verified
        values of every flag of the countries written."""
        by_country = table_of(targets)
        for iso, flags in by_country.items():
            missing = [f for f in FLAG_NAMES if f not in flags and (iso, f) not in live]
            if missing:  # never guess a flag: BulkCountryUpdates sets all three
                raise ValueError(f"cannot write {iso} without knowing {', '.join(missing)}")
        triples = {
            iso: CountryFlags(**{flag: flags[flag] if flag in flags else live[(iso, flag)] for flag in FLAG_NAMES})
            for iso, flags in by_country.items()
        }
        found = write_and_verify(self.gateway, triples, chunk_size=self.chunk_size, whole_table=self.whole_table)
        self.records.update(found)
        return {(iso, flag): value for iso, record in found.items() for flag, value in flags_of(record).items()}

    def describe(self, key: tuple[str, str]) -> str:
        return f"{key[0]}.{key[1]}"
