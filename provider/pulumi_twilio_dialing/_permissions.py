"""Writing country flags the careful way: the full triple per country, then read back to verify."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._exceptions import WriteNotAppliedError
from ._gateway import Gateway
from ._models import CountryPermissionUpdate, DialingPermissionsCountry

__all__ = ["FLAG_NAMES", "Flags", "flags_of", "write_and_verify"]

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


def _describe(mismatches: Mapping[str, tuple[object, object]]) -> str:
    return "; ".join(
        f"{where} wanted {str(wanted).lower()}, found {str(found).lower()}"
        for where, (wanted, found) in mismatches.items()
    )


def write_and_verify(gateway: Gateway, targets: Mapping[str, Flags]) -> dict[str, DialingPermissionsCountry]:
    """Write ``targets`` (ISO code to its three flags) in one BulkCountryUpdates request, then read them
    back: one fetch for a single country, one list request for several. Raises
    :class:`WriteNotAppliedError` naming every country and flag that did not take."""
    updates: Sequence[CountryPermissionUpdate] = [
        CountryPermissionUpdate(iso_code=iso, **flags) for iso, flags in targets.items()
    ]
    gateway.bulk_update_countries(updates)
    if len(targets) == 1:
        [iso] = targets
        found = {iso: gateway.fetch_country(iso)}
    else:
        found = {c.iso_code: c for c in gateway.list_countries() if c.iso_code in targets}
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
