"""Behaviours of the emulator that no public source pins down, as named settings.

``../shared/reference/twilio-api.md`` marks these UNVERIFIED: a live Twilio account is needed to know what
the real API does. Each is a setting with a stated default so tests can run against either reading, and so
nothing the emulator does here is an accident. Change them per test with ``Emulator.settings`` or
``POST /__emulator__/settings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

__all__ = ["EmulatorSettings"]

OmittedFlag = Literal["unchanged", "false", "reject"]
Echo = Literal["echo", "accepted"]
InheritingReads = Literal["own", "parent"]
MainSettings = Literal["store", "reject"]
IsoCase = Literal["strict", "insensitive"]
CountryCodeForm = Literal["both", "with_plus", "without_plus"]


@dataclass
class EmulatorSettings:
    """UNVERIFIED behaviours of the real API and the emulator's chosen default for each."""

    bulk_omitted_flag: OmittedFlag = "unchanged"
    """What a BulkCountryUpdates entry that omits one of the three flags means. ``unchanged`` keeps the
    stored value; ``false`` turns it off (the fear one production script codes against); ``reject`` answers
    400. Our provider always sends all three flags, so it is correct under every choice."""

    bulk_max_entries: int = 250
    """Most entries one BulkCountryUpdates request may hold (no documented cap; community code sends the
    whole ~218-country table in one call, so the default admits it). Larger requests get 400/20001."""

    bulk_update_request: Echo = "echo"
    """``update_request`` in the 201 body: the submitted JSON string (``echo``, what the field description
    says) or the literal ``"accepted"`` (what the spec's example shows)."""

    bulk_update_count: Literal["entries", "one"] = "entries"
    """``update_count`` in the 201 body: the number of entries applied, or always 1 (as generated
    examples show)."""

    inheriting_subaccount_reads: InheritingReads = "own"
    """What ``GET /v1/DialingPermissions/Countries`` shows on a subaccount that inherits: its own stored
    flags (``own``) or the parent's (``parent``). Writes always go to the subaccount's own table; the
    effective permissions (``Backend.effective_flags``) always follow inheritance."""

    main_account_settings: MainSettings = "store"
    """``/v1/Settings`` called with a main account's credentials: ``store`` keeps a value (default false)
    that has no effect, ``reject`` answers 400/20001."""

    new_subaccount_inheritance: bool = True
    """``dialing_permissions_inheritance`` of a new subaccount (sources conflict; Twilio's blog says true)."""

    iso_code_case: IsoCase = "strict"
    """Whether a lower-case ISO code (path, filter or bulk entry) is accepted. ``strict``: it matches no
    country (404 on fetch, 400 in a bulk entry)."""

    country_code_filter: CountryCodeForm = "both"
    """Which forms the ``CountryCode`` list filter accepts: ``44`` and ``+44`` (``both``), or one of them."""

    api_keys_see_auth_tokens: bool = False
    """Whether an account read, listed, created or updated through the 2010 API with an API key (even a Main
    one) shows its ``auth_token``. Default false: ``"auth_token": ""`` (public record:
    RJPearson94/terraform-provider-twilio issue 52, an empty token for subaccounts read with a Main API key,
    reproduced by its maintainer). ``True`` is what the emulator did before, kept to test code written
    against it. Auth-token principals always see it."""

    retry_after_seconds: int | None = None
    """If set, 429 answers carry ``Retry-After`` with this many seconds (unknown whether Twilio sends it)."""

    propagation_delay_seconds: float = 0.0
    """For this long after a flag write, reads of that country still show the previous flags (Twilio says
    writes take effect at once; one integrator waited 5 s). 0 means writes are visible immediately."""

    max_concurrent_requests: int = 100
    """Per-account concurrency cap; a request beyond it gets 429/20429 (the real cap is account specific)."""

    max_subaccounts: int = 1000
    """Documented default cap of open (not closed) subaccounts per upgraded main account (21100 beyond)."""

    default_low_risk_countries: tuple[str, ...] = field(default=("US",))
    """Countries whose low-risk flag is on in a newly created account (a new account has its sign-up
    country enabled); every other flag of every country starts off."""

    def update(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (field name to value), refusing unknown names."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown emulator settings {unknown}; known settings: {sorted(known)}")
        for name, value in changes.items():
            if name == "default_low_risk_countries":
                value = tuple(value)
            setattr(self, name, value)
