"""The probe itself: measure the emulator's settings on a real account, through a throwaway subaccount.

Order matters, and each step says why it comes where it does:

1. ``main_account_settings``: read the main account's ``/v1/Settings`` and write the same value back (the
   only write the probe ever makes to the main account, and it changes nothing).
2. Create the throwaway subaccount (``api_keys_see_auth_tokens`` from its answer, with an API key).
3. ``new_subaccount_inheritance``: its ``/v1/Settings``. Then inheritance off, so that every later read
   shows its own table whatever ``inheriting_subaccount_reads`` is; its own table gives
   ``default_low_risk_countries``. The main account's table is read once (no write) for step 6.
4. ``bulk_max_entries``: no-op writes (every country with the flags it has) of the whole table, then a
   binary search if that is refused: about ten requests, none larger than the table.
5. One real write: low-risk on in one country (the probe country) that is all off, plus one no-op entry:
   ``bulk_update_count`` and ``bulk_update_request`` from the answer, ``propagation_delay_seconds`` from
   reading the country until the write shows. Every later read waits that long first.
6. ``inheriting_subaccount_reads``: inheritance on, read the probe country (its own flags now differ from
   the main account's), inheritance off again.
7. ``bulk_omitted_flag``: an entry for the probe country without ``low_risk_numbers_enabled`` (which is
   on): still on means ``unchanged``, off means ``false``, a 400 means ``reject``.
8. ``iso_code_case`` (fetch a lower-case code) and ``country_code_filter`` (``44`` and ``+44``): reads.

Then, always (``finally``, also after a failure or Ctrl-C): put back the flags and the inheritance the probe
changed on the subaccount, and close it.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from .._exceptions import ConfigurationError, NotFoundError, TwilioApiError, TwilioConnectionError, TwilioDialingError
from .._gateway import Gateway
from .._models import FLAG_NAMES, AccountRecord, CountryPermissionUpdate, CountryRecord
from .._redact import scrub
from .._session import Session
from ._findings import SETTINGS, Finding, ProbeReport
from ._readings import update_count_reading, update_request_reading
from ._signals import interrupts_deferred
from ._timing import next_poll_delay, roundest

__all__ = ["ProbeOptions", "run_probe"]

T = TypeVar("T")
Triple = tuple[bool, bool, bool]
FLAGS = FLAG_NAMES  # a Triple holds the flags in this order
ALL_OFF: Triple = (False, False, False)
LOW_RISK_ONLY: Triple = (True, False, False)

NOT_MEASURABLE = {
    "retry_after_seconds": (
        "a 429 comes only from going over the account's concurrency limit (about 100 requests at once): "
        "not cheap, and not kind to a real account, so the probe does not provoke one"
    ),
    "max_concurrent_requests": "would take a burst of concurrent requests until Twilio refuses one",
    "max_subaccounts": "would take creating subaccounts until Twilio refuses one (the documented cap is 1000)",
}


@dataclass(frozen=True)
class ProbeOptions:
    max_propagation_wait: float = 60.0
    """Seconds to wait for a write to show before giving up on ``propagation_delay_seconds``."""
    progress: Callable[[str], None] = lambda message: None
    """Told the name of each step as it starts (the CLI prints it; tests may interrupt there)."""
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def triple(country: CountryRecord) -> Triple:
    return (
        country.low_risk_numbers_enabled,
        country.high_risk_special_numbers_enabled,
        country.high_risk_tollfraud_numbers_enabled,
    )


def update(iso_code: str, flags: Triple) -> CountryPermissionUpdate:
    return CountryPermissionUpdate(
        iso_code=iso_code,
        low_risk_numbers_enabled=flags[0],
        high_risk_special_numbers_enabled=flags[1],
        high_risk_tollfraud_numbers_enabled=flags[2],
    )


def friendly_name() -> str:
    """Recognisable in the Console, unique (so a lost create answer can be found again), at most 64."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"twilio-dialing probe {stamp} {secrets.token_hex(3)} (throwaway)"


def _error(error: TwilioApiError) -> str:
    code = f", error {error.code}" if error.code is not None else ""
    return scrub(f"{error.method} {error.path} answered HTTP {error.status}{code}: {error.message}")


class _AbortError(Exception):
    """A step everything after it depends on failed: stop measuring, clean up."""


class Probe:
    def __init__(self, session: Session, options: ProbeOptions) -> None:
        self.session = session
        self.options = options
        self.report = ProbeReport()
        self.main: Gateway = session.main  # ConfigurationError here: nothing has been sent
        self.sub: Gateway | None = None
        self.sub_account: AccountRecord | None = None
        self.name = friendly_name()
        self.create_uncertain = False  # the create's answer was lost: the subaccount may exist
        self.original: dict[str, Triple] = {}  # the subaccount's own table as created
        self.model: dict[str, Triple] = {}  # what it holds now, as far as the probe knows
        self.codes: dict[str, tuple[str, ...]] = {}
        self.main_table: dict[str, Triple] = {}
        self.original_inheritance: bool | None = None
        self.inheritance_touched = False
        self.changed: set[str] = set()  # countries written with other flags than they had
        self.cap: int | None = None
        self.no_op_count: tuple[int, int] | None = None  # (entries, update_count) of a no-op bulk request
        self.probe_country: str | None = None
        self.settle = 0.0  # how long a write takes to show, as measured: every later read waits that long

    # ------------------------------------------------------------------------------------- plumbing
    def _ask(self, call: Callable[[], T]) -> T:
        self.report.requests += 1
        return call()

    def _found(self, setting: str, value: Any, how: str, evidence: str) -> None:
        self.report.findings[setting] = Finding(setting, True, value, how, evidence)

    def _not_measured(self, setting: str, why: str, *, how: str = "", lower_bound: float | None = None) -> None:
        if setting not in self.report.findings:
            self.report.findings[setting] = Finding(setting, False, None, how, why, lower_bound)

    def _step(self, settings: Sequence[str], measure: Callable[[], None]) -> None:
        """Run one measurement; a failed request leaves its settings not measured and the probe going."""
        self.options.progress(", ".join(settings))
        try:
            measure()
        except TwilioApiError as error:
            for setting in settings:
                self._not_measured(setting, f"a request failed: {_error(error)}")
        except TwilioDialingError as error:  # e.g. no answer, or one that could not be read
            for setting in settings:
                self._not_measured(setting, f"failed: {scrub(str(error))}")

    def _sub(self) -> Gateway:
        assert self.sub is not None
        return self.sub

    def _set_inheritance(self, value: bool) -> None:
        self.inheritance_touched = True
        self._ask(lambda: self._sub().update_dialing_permissions_inheritance(value))

    # ----------------------------------------------------------------------------------------- run
    def run(self) -> ProbeReport:
        started = self.options.clock()
        unexpected: Exception | None = None
        try:
            self._measure()
        except _AbortError as stop:
            self.report.aborted = str(stop)
        except TwilioDialingError as error:  # whatever a step let through must still end in the clean-up
            self.report.aborted = f"failed: {scrub(str(error))}"
        except KeyboardInterrupt:
            self.report.interrupted = True
            self.report.aborted = "interrupted (Ctrl-C or SIGTERM)"
        except Exception as error:  # a bug: the subaccount is still closed, then the error shows
            self.report.aborted = f"stopped by an unexpected {type(error).__name__}"
            unexpected = error
        cleaned = False
        while not cleaned:
            try:
                with interrupts_deferred(self.options.progress):
                    self._clean_up()
                    cleaned = True
            except KeyboardInterrupt:
                # Held during the clean-up and raised after it, or (a narrow window) arrived before the
                # handler was in place, in which case the clean-up has not started: run it now.
                self.report.interrupted = True
                self.report.aborted = self.report.aborted or "interrupted (Ctrl-C or SIGTERM)"
        self.report.seconds = self.options.clock() - started
        for setting, why in NOT_MEASURABLE.items():
            self._not_measured(setting, why)
        for setting in SETTINGS:
            self._not_measured(setting, self.report.aborted or "the probe stopped before it")
        if unexpected is not None:
            raise unexpected
        return self.report

    def _measure(self) -> None:
        self._step(["main_account_settings"], self._main_account_settings)
        self._create_subaccount()
        if self.sub is None:
            return
        self._own_table()
        self._step(["bulk_max_entries"], self._bulk_max_entries)
        self._step(["propagation_delay_seconds", "bulk_update_count", "bulk_update_request"], self._write_and_watch)
        self._step(["inheriting_subaccount_reads"], self._inheriting_reads)
        self._step(["bulk_omitted_flag"], self._omitted_flag)
        self._step(["iso_code_case"], self._iso_code_case)
        self._step(["country_code_filter"], self._country_code_filter)

    # ---------------------------------------------------------------------------------------- steps
    def _main_account_settings(self) -> None:
        how = "GET /v1/Settings as the main account, then POST of the very value it answered"
        try:
            value = self._ask(self.main.fetch_dialing_permissions_inheritance)
        except TwilioApiError as error:
            if error.status != 400:
                raise
            self._found("main_account_settings", "reject", how, f"the GET was refused: {_error(error)}")
            return
        try:
            self._ask(lambda: self.main.update_dialing_permissions_inheritance(value))
        except TwilioApiError as error:
            if error.status != 400:
                raise
            self._not_measured(
                "main_account_settings",
                f"the GET answered {str(value).lower()} but writing that same value back was refused "
                f"({_error(error)}): neither 'store' nor 'reject' as the emulator models them",
                how=how,
            )
            return
        self._found(
            "main_account_settings",
            "store",
            how,
            f"both answered; dialing_permissions_inheritance is {str(value).lower()} on the main account",
        )

    def _create_subaccount(self) -> None:
        self.options.progress("creating the throwaway subaccount")
        self.report.subaccount_name = self.name
        # Until the answer is in, the subaccount may exist unseen (a lost answer, Ctrl-C during the
        # request): the clean-up then looks for it by its unique name.
        self.create_uncertain = True
        try:
            account = self._ask(lambda: self.main.create_subaccount(self.name))
        except TwilioConnectionError as error:
            raise _AbortError(f"creating the throwaway subaccount got no usable answer: {error}") from None
        except TwilioApiError as error:
            # A 4xx (429 included) is a refusal: Twilio did not process it. A 5xx says nothing of the kind (a
            # gateway timing out after the account was made): look for it by name, as for a lost answer.
            self.create_uncertain = error.status >= 500
            raise _AbortError(f"could not create the throwaway subaccount: {_error(error)}") from None
        if not self._is_ours(account):
            # Not the subaccount asked for (a SID mix-up, a replayed answer): acting on it could write to,
            # and close, an account of the user's. Never touch it; the clean-up looks the real one up by name.
            raise _AbortError(
                f"the create answered account {account.sid} ({account.friendly_name!r}), not a new subaccount of "
                f"{self.main.credentials.account_sid} named {self.name!r}: the probe left it alone"
            )
        self.create_uncertain = False
        self.sub_account = account
        self.report.subaccount_sid = account.sid
        credentials = self.main.credentials
        if credentials.username != credentials.account_sid:
            shows = account.auth_token is not None
            self._found(
                "api_keys_see_auth_tokens",
                shows,
                f"POST /2010-04-01/Accounts.json with the API key {credentials.username}",
                "the answer's auth_token was " + ("a token (not shown here)" if shows else '"" (no token)'),
            )
        else:
            self._not_measured(
                "api_keys_see_auth_tokens", "the probe ran with an auth token; run it with an API key to see"
            )
        self.session.remember(account)
        try:
            self.sub = self.session.gateway(account.sid)
        except ConfigurationError as error:
            if account.auth_token is not None:  # not the API key's wall: say what is wrong
                raise _AbortError(f"cannot act on the throwaway subaccount: {error}") from None
            raise _AbortError(
                "acting on the throwaway subaccount needs its credentials, and Twilio gives an API key none "
                "(and refuses a main account's API key on a subaccount's resources): run the probe with the "
                "main account's auth token (TWILIO_AUTH_TOKEN) to measure the rest"
            ) from None

    def _is_ours(self, account: AccountRecord) -> bool:
        """Whether ``account`` is a subaccount of the main account bearing the probe's unique name."""
        main_sid = self.main.credentials.account_sid
        return (
            account.is_subaccount
            and account.sid != main_sid
            and account.owner_account_sid == main_sid
            and account.friendly_name == self.name
        )

    def _own_table(self) -> None:
        """Inheritance of the new subaccount, then its own table. Everything after depends on this."""
        sub = self._sub()
        self.options.progress("new_subaccount_inheritance, default_low_risk_countries")
        try:
            inheritance = self._ask(sub.fetch_dialing_permissions_inheritance)
            self.original_inheritance = inheritance
            self._found(
                "new_subaccount_inheritance",
                inheritance,
                "GET /v1/Settings as the new subaccount",
                f"dialing_permissions_inheritance: {str(inheritance).lower()}",
            )
            if inheritance:
                # Off, so that reads show the subaccount's own table whatever an inheriting one shows.
                self._set_inheritance(False)
            rows = self._ask(sub.list_countries)
            self.main_table = {c.iso_code: triple(c) for c in self._ask(self.main.list_countries)}
        except TwilioConnectionError as error:  # no answer: not a TwilioApiError (see _exceptions)
            raise _AbortError(f"reading the throwaway subaccount's settings got no usable answer: {error}") from None
        except TwilioApiError as error:
            raise _AbortError(f"could not read the throwaway subaccount's settings: {_error(error)}") from None
        self.original = {c.iso_code: triple(c) for c in rows}
        self.model = dict(self.original)
        self.codes = {c.iso_code: c.country_codes for c in rows}
        low = tuple(sorted(iso for iso, flags in self.original.items() if flags[0]))
        high = sorted(iso for iso, flags in self.original.items() if flags[1] or flags[2])
        evidence = f"{len(rows)} countries; low-risk on in {', '.join(low) or 'none'}"
        # The emulator models a new account with every high-risk flag off; say so if Twilio differs.
        evidence += (
            f"; a high-risk flag on in {', '.join(high)} (the emulator has none)"
            if high
            else ("; every high-risk flag off")
        )
        self._found(
            "default_low_risk_countries",
            low,
            "GET /v1/DialingPermissions/Countries as the new subaccount, its inheritance off",
            evidence,
        )

    def _bulk_max_entries(self) -> None:
        """No-op writes (each country with the flags it has): the whole table first, the only size that
        matters in practice; if that is refused, a binary search, then one check that the count (not a
        country) was the reason."""
        sub = self._sub()
        isos = sorted(self.model)
        updates = [update(iso, self.model[iso]) for iso in isos]
        refusals: dict[int, str] = {}

        def accepted(count: int, start: int = 0) -> bool:
            try:
                result = self._ask(lambda: sub.bulk_update_countries(updates[start : start + count]))
            except TwilioApiError as error:
                if error.status not in (400, 413):
                    raise
                refusals[count] = _error(error)
                return False
            if count >= 2 and self.no_op_count is None:
                self.no_op_count = (count, result.update_count)
            return True

        how = "BulkCountryUpdates with every country at the flags it already has (changes nothing)"
        total = len(updates)
        if accepted(total):
            self._not_measured(
                "bulk_max_entries",
                f"the whole table, {total} entries in one request, was accepted: any cap is above what a request "
                "can hold without naming a country twice",
                how=how,
                lower_bound=total,
            )
            return
        low, high = 0, total  # low entries were accepted (0: none yet), high refused
        while high - low > 1:
            middle = (low + high) // 2
            if accepted(middle):
                low = middle
            else:
                high = middle
        if low == 0:
            self._not_measured("bulk_max_entries", f"even one entry was refused: {refusals[1]}", how=how)
            return
        # The countries 2..high: as many entries as were accepted, ending with the one whose addition failed.
        if not accepted(low, start=1):
            self._not_measured(
                "bulk_max_entries",
                f"{high} entries were refused but so were entries 2 to {high}; a country, not the count, is refused "
                f"({refusals[low]})",
                how=how,
            )
            return
        self.cap = low
        self._found(
            "bulk_max_entries",
            low,
            how + ", binary search on the number of entries",
            f"{low} entries accepted, and {low} again ending with the next country (entries 2 to {high}); "
            f"{high} refused: {refusals[high]}",
        )

    def _write_and_watch(self) -> None:
        sub = self._sub()
        candidates = [iso for iso in sorted(self.model) if self.model[iso] == ALL_OFF]
        # Its own flags must differ from the main account's, for inheriting_subaccount_reads.
        preferred = [iso for iso in candidates if self.main_table.get(iso) != LOW_RISK_ONLY]
        if not (preferred or candidates):
            for setting in ("propagation_delay_seconds", "bulk_update_count", "bulk_update_request"):
                self._not_measured(setting, "no country has every flag off on the new subaccount: nothing to write")
            return
        probe = (preferred or candidates)[0]
        self.probe_country = probe
        entries = [update(probe, LOW_RISK_ONLY)]
        if self.cap is None or self.cap >= 2:
            other = next(iso for iso in sorted(self.model) if iso != probe)
            entries.append(update(other, self.model[other]))  # a no-op, so that the count means something
        clock = self.options.clock
        self.changed.add(probe)
        sent = clock()
        result = self._ask(lambda: sub.bulk_update_countries(entries))
        answered = clock()
        self.model[probe] = LOW_RISK_ONLY
        how = f"BulkCountryUpdates of {len(entries)} entries: {probe} low-risk on (was all off)" + (
            f", {entries[1].iso_code} as it was" if len(entries) > 1 else ""
        )
        if len(entries) < 2:
            self._not_measured("bulk_update_count", "one entry per request is the cap: both readings answer 1", how=how)
        else:
            count, evidence = update_count_reading((len(entries), result.update_count), self.no_op_count)
            if count is None:
                self._not_measured("bulk_update_count", evidence, how=how)
            else:
                self._found("bulk_update_count", count, how, evidence)
        echo, evidence = update_request_reading(result.update_request, [e.model_dump() for e in entries])
        if echo is None:
            self._not_measured("bulk_update_request", evidence, how=how)
        else:
            self._found("bulk_update_request", echo, how, evidence)
        self._watch(probe, sent, answered)

    def _watch(self, probe: str, sent: float, answered: float) -> None:
        """Read the country until the write shows: the delay is above the last stale read's start (after
        the write's answer) and at most the first fresh read's answer (after the write was sent)."""
        sub, clock = self._sub(), self.options.clock
        how = f"GET /v1/DialingPermissions/Countries/{probe} until the write shows, waits growing by a quarter"
        stale_since: float | None = None
        reads = 0
        while True:
            started = clock()
            flags = triple(self._ask(lambda: sub.fetch_country(probe)))
            finished = clock()
            reads += 1
            if flags == LOW_RISK_ONLY:
                fresh_by = finished - sent
                break
            stale_since = started - answered
            elapsed = clock() - answered
            if elapsed > self.options.max_propagation_wait:
                self._not_measured(
                    "propagation_delay_seconds",
                    f"the write did not show in {reads} reads over {elapsed:.1f}s "
                    f"(--max-propagation-wait {self.options.max_propagation_wait:g})",
                    how=how,
                )
                self.settle = self.options.max_propagation_wait
                return
            self.options.sleep(next_poll_delay(elapsed))
        again = triple(self._ask(lambda: sub.fetch_country(probe)))
        if again != LOW_RISK_ONLY:
            self._not_measured(
                "propagation_delay_seconds", "the write showed, then a second read did not: reads disagree", how=how
            )
            self.settle = self.options.max_propagation_wait
            return
        if stale_since is None:
            value = 0.0
            evidence = f"the first read, answered {fresh_by:.3f}s after the write was sent, showed it (and a second)"
            self.settle = 0.0
        else:
            value = roundest(stale_since, fresh_by)
            evidence = (
                f"{reads} reads: stale {stale_since:.3f}s after the write's answer, fresh {fresh_by:.3f}s after it "
                f"was sent (and a second read); the roundest value in between"
            )
            self.settle = fresh_by * 1.25 + 0.05
        self._found("propagation_delay_seconds", value, how, evidence)

    def _read_after_write(self, iso: str) -> Triple:
        self.options.sleep(self.settle)
        return triple(self._ask(lambda: self._sub().fetch_country(iso)))

    def _inheriting_reads(self) -> None:
        probe = self.probe_country
        if probe is None or self.model.get(probe) != LOW_RISK_ONLY:
            self._not_measured("inheriting_subaccount_reads", "needs the earlier write, which did not happen")
            return
        parent = self.main_table.get(probe)
        if parent == LOW_RISK_ONLY:
            # Every country the probe could write already reads low-risk only on the main account: a read
            # cannot tell the subaccount's own flags from its parent's.
            self._not_measured(
                "inheriting_subaccount_reads",
                f"{probe} has the same flags on the main account as the probe gave it on the subaccount "
                f"({_flags(parent)}): a read cannot tell own from parent",
            )
            return
        how = f"inheritance on, GET /v1/DialingPermissions/Countries/{probe} as the subaccount, inheritance off"
        self._set_inheritance(True)
        try:
            seen = self._read_after_write(probe)
        finally:
            self._set_inheritance(False)
        described = f"{probe} read {_flags(seen)}; own {_flags(LOW_RISK_ONLY)}, main account's {_flags(parent)}"
        if seen == LOW_RISK_ONLY:
            self._found("inheriting_subaccount_reads", "own", how, described)
        elif seen == parent:
            self._found("inheriting_subaccount_reads", "parent", how, described)
        else:
            self._not_measured("inheriting_subaccount_reads", described + ": neither", how=how)

    def _omitted_flag(self) -> None:
        probe = self.probe_country
        if probe is None or self.model.get(probe) != LOW_RISK_ONLY:
            self._not_measured("bulk_omitted_flag", "needs the earlier write, which did not happen")
            return
        entry = {"iso_code": probe, FLAGS[1]: False, FLAGS[2]: False}
        how = f"BulkCountryUpdates of {probe} without low_risk_numbers_enabled (on), then a read"
        try:
            self._ask(lambda: self._sub().send_bulk_update([entry]))
        except TwilioApiError as error:
            if error.status != 400:
                raise
            self._found("bulk_omitted_flag", "reject", how, f"refused: {_error(error)}")
            return
        seen = self._read_after_write(probe)
        self.model[probe] = seen
        if seen == LOW_RISK_ONLY:
            self._found("bulk_omitted_flag", "unchanged", how, "accepted; low-risk still on")
        elif seen == ALL_OFF:
            self._found("bulk_omitted_flag", "false", how, "accepted; low-risk turned off")
        else:
            self._not_measured("bulk_omitted_flag", f"accepted; {probe} now reads {_flags(seen)}", how=how)

    def _iso_code_case(self) -> None:
        iso = "GB" if "GB" in self.model else sorted(self.model)[0]
        how = f"GET /v1/DialingPermissions/Countries/{iso.lower()}"
        try:
            found = self._ask(lambda: self._sub().fetch_country(iso.lower()))
        except TwilioApiError as error:
            if not isinstance(error, NotFoundError) and error.status != 400:
                raise
            self._found("iso_code_case", "strict", how, f"refused: {_error(error)}")
            return
        self._found("iso_code_case", "insensitive", how, f"answered iso_code {found.iso_code}")

    def _country_code_filter(self) -> None:
        single = [iso for iso in sorted(self.codes) if len(self.codes[iso]) == 1]
        if not single:
            self._not_measured("country_code_filter", "no country lists exactly one country code")
            return
        iso = "GB" if "GB" in single else single[0]
        code = self.codes[iso][0]
        digits = code.lstrip("+")
        results: dict[str, tuple[bool, str]] = {}
        for form in (f"+{digits}", digits):
            try:
                rows = self._ask(lambda: self._sub().list_countries(country_code=form))  # noqa: B023 - called now
            except TwilioApiError as error:
                if error.status != 400:
                    raise
                results[form] = (False, f"refused ({_error(error)})")
                continue
            listed = iso in {c.iso_code for c in rows}
            results[form] = (listed, f"{len(rows)} listed, {iso} {'among them' if listed else 'not among them'}")
        with_plus, without_plus = results[f"+{digits}"][0], results[digits][0]
        evidence = "; ".join(f"CountryCode={form}: {text}" for form, (_, text) in results.items())
        how = f"GET /v1/DialingPermissions/Countries?CountryCode=+{digits}, then ={digits} ({iso})"
        if with_plus and without_plus:
            self._found("country_code_filter", "both", how, evidence)
        elif with_plus or without_plus:
            self._found("country_code_filter", "with_plus" if with_plus else "without_plus", how, evidence)
        else:
            self._not_measured("country_code_filter", evidence + ": neither form found it", how=how)

    # ------------------------------------------------------------------------------------- clean-up
    def _clean_up(self) -> None:
        """Put back what the probe changed on the subaccount, then close it; each part on its own, so a
        failure of one never skips the close."""
        with contextlib.suppress(Exception):  # a closed stderr (or a failing hook) must not skip the close
            self.options.progress("putting the subaccount back and closing it")
        problems = self.report.cleanup_problems
        if self.sub is not None and self.changed:
            back = [update(iso, self.original[iso]) for iso in sorted(self.changed)]
            try:
                self._ask(lambda: self._sub().bulk_update_countries(back))
            except TwilioDialingError as error:
                problems.append(f"could not put back {', '.join(sorted(self.changed))} on the subaccount: {error}")
        if self.sub is not None and self.inheritance_touched and self.original_inheritance is not None:
            original = self.original_inheritance
            try:
                self._ask(lambda: self._sub().update_dialing_permissions_inheritance(original))
            except TwilioDialingError as error:
                problems.append(f"could not put back the subaccount's inheritance: {error}")
        sids = [self.sub_account.sid] if self.sub_account is not None else []
        if not sids and self.create_uncertain:
            try:
                found = self._ask(lambda: self.main.list_accounts(friendly_name=self.name, status="active"))
            except TwilioDialingError as error:
                problems.append(
                    f"the create's answer was lost and looking for a subaccount named {self.name!r} failed "
                    f"({error}): look for it in the Console and close it"
                )
                return
            # The filter is Twilio's: check the name again, so that a filter ignored never closes another account.
            sids = [a.sid for a in found if self._is_ours(a)]
            if sids:
                self.report.subaccount_sid = sids[0]
            else:  # not made, or not listed yet: the user is the only one who can look again later
                problems.append(
                    f"the create got no usable answer and no active subaccount named {self.name!r} is listed (yet): "
                    "if one shows in the Console, close it"
                )
        for sid in sids:
            try:
                closed = self._ask(lambda: self.main.update_account(sid, status="closed"))  # noqa: B023 - now
            except TwilioDialingError as error:
                problems.append(f"could not close the throwaway subaccount {sid} ({error}): close it in the Console")
                continue
            self.report.subaccount_closed = closed.status == "closed"
            if not self.report.subaccount_closed:
                problems.append(f"closing {sid} answered status {closed.status!r}: close it in the Console")


def _flags(flags: Triple | None) -> str:
    if flags is None:
        return "(not listed)"
    return "low/special/tollfraud " + "/".join("on" if f else "off" for f in flags)


def run_probe(session: Session, options: ProbeOptions | None = None) -> ProbeReport:
    """Run the probe with ``session``'s main-account credentials. Raises ``ConfigurationError`` before any
    request if they are missing. Any other failure, and an interrupt (Ctrl-C, SIGTERM), ends the measuring
    but never the clean-up: the report says why it stopped (``aborted``, ``interrupted``) and whether the
    subaccount was put back and closed."""
    return Probe(session, options or ProbeOptions()).run()
