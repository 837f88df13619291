"""The emulator's state and rules: accounts, credentials, per-account dialing permissions.

Routes hand this module parsed, typed arguments; it enforces Twilio's rules and raises
:class:`TwilioError` with Twilio's codes; the wire format is ``_responses``' business.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from ._data import Country, countries, high_risk_special_prefixes
from ._errors import TwilioError
from ._faults import FaultInjector
from ._settings import EmulatorSettings

__all__ = [
    "FLAG_NAMES",
    "Account",
    "Alert",
    "ApiKey",
    "Backend",
    "CountryFilters",
    "Flags",
    "LoggedRequest",
    "PlacedCall",
    "Principal",
]

FLAG_NAMES = (
    "low_risk_numbers_enabled",
    "high_risk_special_numbers_enabled",
    "high_risk_tollfraud_numbers_enabled",
)
AccountStatus = Literal["active", "suspended", "closed"]
ACCOUNT_STATUSES: tuple[AccountStatus, ...] = ("active", "suspended", "closed")
KeyKind = Literal["standard", "main"]


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass(frozen=True)
class Flags:
    """The three dialing-permission flags of one country on one account."""

    low_risk_numbers_enabled: bool = False
    high_risk_special_numbers_enabled: bool = False
    high_risk_tollfraud_numbers_enabled: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in FLAG_NAMES}


@dataclass
class ApiKey:
    sid: str
    secret: str
    account_sid: str
    friendly_name: str
    kind: KeyKind
    date_created: datetime


@dataclass
class Account:
    sid: str
    auth_token: str
    friendly_name: str
    owner_account_sid: str
    status: AccountStatus
    type: Literal["Trial", "Full"]
    date_created: datetime
    date_updated: datetime
    flags: dict[str, Flags]
    inheritance: bool
    # iso -> (flags before the last write, monotonic time of that write): serves propagation_delay_seconds.
    previous_flags: dict[str, tuple[Flags, float]] = field(default_factory=dict)

    @property
    def is_subaccount(self) -> bool:
        return self.owner_account_sid != self.sid


@dataclass(frozen=True)
class Alert:
    """One Monitor (Debugger) alert of one account, as ``GET /v1/Alerts`` on monitor.twilio.com lists it."""

    sid: str
    account_sid: str
    error_code: str
    alert_text: str
    log_level: str
    date_generated: datetime
    request_method: str = "POST"  # Twilio's spec allows GET or POST only
    request_url: str | None = None
    resource_sid: str | None = None


@dataclass(frozen=True)
class PlacedCall:
    """A call the emulator accepted (``POST .../Calls.json``): it stays queued, nothing is ever dialled."""

    sid: str
    account_sid: str
    to: str
    from_: str
    date_created: datetime


@dataclass(frozen=True)
class Principal:
    """Who a request authenticated as: an account, through its auth token or one of its API keys."""

    account: Account
    api_key: ApiKey | None = None

    @property
    def credential_sid(self) -> str:
        return self.api_key.sid if self.api_key else self.account.sid

    @property
    def may_manage_accounts(self) -> bool:
        # Standard API keys "can't access /Accounts and /Keys" management (Twilio IAM docs).
        return self.api_key is None or self.api_key.kind == "main"


@dataclass(frozen=True)
class CountryFilters:
    iso_code: str | None = None
    continent: str | None = None
    country_code: str | None = None
    low_risk_numbers_enabled: bool | None = None
    high_risk_special_numbers_enabled: bool | None = None
    high_risk_tollfraud_numbers_enabled: bool | None = None


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the emulator received it. Credentials are reduced to the SID that presented them."""

    request_id: str
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    account_sid: str | None
    credential_sid: str | None
    status: int
    faults: tuple[str, ...]
    received_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "form": self.form,
            "account_sid": self.account_sid,
            "credential_sid": self.credential_sid,
            "status": self.status,
            "faults": list(self.faults),
            "received_at": self.received_at,
        }


def _account_status(value: str | None) -> AccountStatus | None:
    for status in ACCOUNT_STATUSES:
        if value == status:
            return status
    if value is None:
        return None
    raise TwilioError.accounts_resource(f"Status must be one of active, suspended, closed, not {value!r}")


def parse_bool(value: object) -> bool | None:
    """Twilio booleans: JSON booleans or the strings true/false in any case; None if neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


class Backend:
    """All emulator state. Thread-safe: the server thread and the test thread both call in."""

    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        fault_seed: int = 0,
    ) -> None:
        self.settings = settings or EmulatorSettings()
        self.faults = FaultInjector(fault_seed)
        self._clock = clock
        self._lock = threading.RLock()
        self._countries = countries()
        self._prefixes = high_risk_special_prefixes()
        self.accounts: dict[str, Account] = {}
        self.api_keys: dict[str, ApiKey] = {}
        self._log: list[LoggedRequest] = []
        self._inflight: Counter[str] = Counter()
        self.alerts: list[Alert] = []
        self.calls: list[PlacedCall] = []

    # ----------------------------------------------------------------------------------------- seeding
    def create_main_account(
        self,
        friendly_name: str = "Emulated main account",
        *,
        sid: str | None = None,
        auth_token: str | None = None,
        account_type: Literal["Trial", "Full"] = "Full",
    ) -> Account:
        """Seed a main (top-level) account; tests and the CLI call this, Twilio has no API for it."""
        sid = sid or new_sid("AC")
        with self._lock:
            account = self._new_account(sid, auth_token, friendly_name, owner=sid, inheritance=False)
            account.type = account_type
            return account

    def _new_account(
        self, sid: str, auth_token: str | None, friendly_name: str, *, owner: str, inheritance: bool
    ) -> Account:
        if sid in self.accounts:
            raise ValueError(f"account {sid} exists already")
        now = datetime.now(UTC).replace(microsecond=0)
        default_on = set(self.settings.default_low_risk_countries)
        account = Account(
            sid=sid,
            auth_token=auth_token or secrets.token_hex(16),
            friendly_name=friendly_name,
            owner_account_sid=owner,
            status="active",
            type="Full",
            date_created=now,
            date_updated=now,
            flags={iso: Flags(low_risk_numbers_enabled=iso in default_on) for iso in self._countries},
            inheritance=inheritance,
        )
        self.accounts[sid] = account
        return account

    def create_api_key(self, account_sid: str, *, kind: KeyKind = "standard", friendly_name: str = "") -> ApiKey:
        with self._lock:
            account = self.accounts[account_sid]
            key = ApiKey(
                sid=new_sid("SK"),
                secret=secrets.token_urlsafe(24),
                account_sid=account.sid,
                friendly_name=friendly_name,
                kind=kind,
                date_created=datetime.now(UTC).replace(microsecond=0),
            )
            self.api_keys[key.sid] = key
            return key

    def set_flags(self, account_sid: str, iso_code: str, **flags: bool) -> Flags:
        """Change one country's stored flags directly, as a person in the Console would (drift)."""
        with self._lock:
            account = self.accounts[account_sid]
            updated = replace(account.flags[iso_code], **flags)
            account.flags[iso_code] = updated
            return updated

    def stored_flags(self, account_sid: str, iso_code: str) -> Flags:
        """The flags the account itself stores for a country (no inheritance, no propagation delay)."""
        with self._lock:
            return self.accounts[account_sid].flags[iso_code]

    def effective_flags(self, account_sid: str, iso_code: str) -> Flags:
        """What a call from this account to this country would be checked against: inheritance applies."""
        with self._lock:
            account = self.accounts[account_sid]
            if account.is_subaccount and account.inheritance:
                return self.effective_flags(account.owner_account_sid, iso_code)
            return account.flags[iso_code]

    def set_inheritance(self, account_sid: str, value: bool) -> None:
        with self._lock:
            self.accounts[account_sid].inheritance = value

    def reset(self) -> None:
        """Forget everything but the main accounts' identities: their SIDs and tokens stay valid."""
        with self._lock:
            mains = [a for a in self.accounts.values() if not a.is_subaccount]
            self.accounts.clear()
            self.api_keys.clear()
            self._log.clear()
            self._inflight.clear()
            self.alerts.clear()
            self.calls.clear()
            self.faults.clear()
            for main in mains:
                self.create_main_account(main.friendly_name, sid=main.sid, auth_token=main.auth_token)

    # ------------------------------------------------------------------------------------ request log
    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    def request_log(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        with self._lock:
            self._log.clear()

    # ---------------------------------------------------------------------------------- auth and limits
    def authenticate(self, username: str | None, password: str | None) -> Principal:
        if not username or password is None:
            raise TwilioError.authenticate("Authentication Error - No credentials provided")
        with self._lock:
            api_key = self.api_keys.get(username)
            if api_key is not None:
                if not secrets.compare_digest(api_key.secret, password):
                    raise TwilioError.authenticate()
                account = self.accounts[api_key.account_sid]
            else:
                found = self.accounts.get(username)
                if found is None:
                    raise TwilioError.authenticate("Authentication Error - invalid username")
                if not secrets.compare_digest(found.auth_token, password):
                    raise TwilioError.authenticate()
                account = found
            if account.status == "closed":
                raise TwilioError.authenticate()
            if account.status == "suspended":
                raise TwilioError.account_not_active()
            return Principal(account, api_key)

    def in_flight(self, account_sid: str) -> int:
        """Requests of this account being served right now."""
        with self._lock:
            return self._inflight[account_sid]

    @contextmanager
    def concurrency_slot(self, account_sid: str) -> Iterator[int]:
        """Hold one of the account's concurrent-request slots; 429/20429 when none is free."""
        with self._lock:
            if self._inflight[account_sid] >= self.settings.max_concurrent_requests:
                raise TwilioError.too_many_requests()
            self._inflight[account_sid] += 1
            current = self._inflight[account_sid]
        try:
            yield current
        finally:
            with self._lock:
                self._inflight[account_sid] -= 1

    # --------------------------------------------------------------------------------------- countries
    def _country(self, iso_code: str) -> Country | None:
        if self.settings.iso_code_case == "insensitive":
            iso_code = iso_code.upper()
        return self._countries.get(iso_code)

    def _visible_flags(self, account: Account, iso_code: str) -> Flags:
        source = account
        if account.is_subaccount and account.inheritance and self.settings.inheriting_subaccount_reads == "parent":
            source = self.accounts[account.owner_account_sid]
        previous = source.previous_flags.get(iso_code)
        if previous is not None and self._clock() < previous[1] + self.settings.propagation_delay_seconds:
            return previous[0]
        return source.flags[iso_code]

    def list_countries(self, principal: Principal, filters: CountryFilters) -> list[tuple[Country, Flags]]:
        with self._lock:
            rows = []
            for country in self._countries.values():
                flags = self._visible_flags(principal.account, country.iso_code)
                if self._country_matches(country, flags, filters):
                    rows.append((country, flags))
            return rows

    def _country_matches(self, country: Country, flags: Flags, f: CountryFilters) -> bool:
        if f.iso_code is not None and self._country(f.iso_code) is not country:
            return False
        if f.continent is not None and f.continent != country.continent:
            return False
        if f.country_code is not None:
            form, has_plus = self.settings.country_code_filter, f.country_code.startswith("+")
            if (form == "with_plus" and not has_plus) or (form == "without_plus" and has_plus):
                return False
            if f"+{f.country_code.lstrip('+')}" not in country.country_codes:
                return False
        return all(
            wanted is None or wanted == getattr(flags, name)
            for name, wanted in (
                ("low_risk_numbers_enabled", f.low_risk_numbers_enabled),
                ("high_risk_special_numbers_enabled", f.high_risk_special_numbers_enabled),
                ("high_risk_tollfraud_numbers_enabled", f.high_risk_tollfraud_numbers_enabled),
            )
        )

    def fetch_country(self, principal: Principal, iso_code: str) -> tuple[Country, Flags]:
        with self._lock:
            country = self._country(iso_code)
            if country is None:
                raise TwilioError.not_found(f"/DialingPermissions/Countries/{iso_code}")
            return country, self._visible_flags(principal.account, country.iso_code)

    def high_risk_special_prefixes(self, iso_code: str) -> list[str]:
        country = self._country(iso_code)
        if country is None:
            raise TwilioError.not_found(f"/DialingPermissions/Countries/{iso_code}/HighRiskSpecialPrefixes")
        return list(self._prefixes.get(country.iso_code, ()))

    def bulk_update(self, principal: Principal, update_request: str | None, *, apply: bool) -> int:
        """Validate the whole ``UpdateRequest`` first, then apply every entry or none (a bad request
        changes nothing). Returns the number of entries applied."""
        if update_request is None:
            raise TwilioError.invalid_parameter("Missing required parameter UpdateRequest in the post body")
        try:
            entries = json.loads(update_request)
        except ValueError:
            raise TwilioError.invalid_parameter("UpdateRequest must be a JSON array of country updates") from None
        if not isinstance(entries, list) or not entries:
            raise TwilioError.invalid_parameter("UpdateRequest must be a non-empty JSON array of country updates")
        if len(entries) > self.settings.bulk_max_entries:
            raise TwilioError.invalid_parameter(
                f"UpdateRequest holds {len(entries)} entries; at most {self.settings.bulk_max_entries} are allowed"
            )
        with self._lock:
            account = principal.account
            planned: dict[str, Flags] = {}
            for index, entry in enumerate(entries):
                iso, flags = self._parse_bulk_entry(index, entry, account)
                if iso in planned:
                    raise TwilioError.invalid_parameter(f"UpdateRequest[{index}]: iso_code {iso} appears twice")
                planned[iso] = flags
            if apply:
                now = self._clock()
                for iso, flags in planned.items():
                    account.previous_flags[iso] = (account.flags[iso], now)
                    account.flags[iso] = flags
            return len(planned)

    def _parse_bulk_entry(self, index: int, entry: object, account: Account) -> tuple[str, Flags]:
        where = f"UpdateRequest[{index}]"
        if not isinstance(entry, dict):
            raise TwilioError.invalid_parameter(f"{where} must be a JSON object")
        unknown = sorted(set(entry) - {"iso_code", *FLAG_NAMES})
        if unknown:
            raise TwilioError.invalid_parameter(f"{where}: unknown key(s) {', '.join(unknown)}")
        iso = entry.get("iso_code")
        country = self._country(iso) if isinstance(iso, str) else None
        if country is None:
            raise TwilioError.invalid_parameter(f"{where}: iso_code {iso!r} is not a supported country")
        current = account.flags[country.iso_code]
        values: dict[str, bool] = {}
        for name in FLAG_NAMES:
            if name not in entry:
                if self.settings.bulk_omitted_flag == "reject":
                    raise TwilioError.invalid_parameter(f"{where}: missing {name}")
                values[name] = getattr(current, name) if self.settings.bulk_omitted_flag == "unchanged" else False
                continue
            parsed = parse_bool(entry[name])
            if parsed is None:
                raise TwilioError.invalid_parameter(f"{where}: {name} must be true or false, not {entry[name]!r}")
            values[name] = parsed
        return country.iso_code, Flags(**values)

    # ---------------------------------------------------------------------------------------- settings
    def _settings_account(self, principal: Principal) -> Account:
        account = principal.account
        if not account.is_subaccount and self.settings.main_account_settings == "reject":
            raise TwilioError.invalid_parameter("Dialing permissions inheritance is a subaccount setting")
        return account

    def fetch_inheritance(self, principal: Principal) -> bool:
        with self._lock:
            return self._settings_account(principal).inheritance

    def update_inheritance(self, principal: Principal, value: str | None, *, apply: bool) -> bool:
        with self._lock:
            account = self._settings_account(principal)
            if value is None:
                return account.inheritance
            parsed = parse_bool(value)
            if parsed is None:
                raise TwilioError.invalid_parameter(
                    f"DialingPermissionsInheritance must be true or false, not {value!r}"
                )
            if apply:
                account.inheritance = parsed
            # Under "accept_not_apply" the answer claims the requested value, as a lost write would.
            return parsed

    # ---------------------------------------------------------------------------------------- accounts
    def _visible_account(self, principal: Principal, sid: str, path: str) -> Account:
        account = self.accounts.get(sid)
        if account is None:
            raise TwilioError.not_found(path)
        caller = principal.account
        if account.sid != caller.sid and account.owner_account_sid != caller.sid:
            raise TwilioError.permission_denied(f"Credentials of {caller.sid} may not access account {sid}")
        if account.sid != caller.sid and not principal.may_manage_accounts:
            raise TwilioError.permission_denied("Standard API keys may not manage subaccounts")
        return account

    @staticmethod
    def _refuse_main_key_on_subaccount(principal: Principal, account: Account) -> None:
        """A subaccount's own resources (everything under ``/Accounts/{Sub}/``, and voice v1, which acts on
        the key's own account anyway) refuse a main account's API keys: "Main account API Keys are only
        available to access main account resources. Access to subaccount resources will be denied" (Twilio
        subaccount docs; error 20003 lists "used main account API keys against subaccount resources")."""
        if principal.api_key is not None and account.sid != principal.account.sid:
            raise TwilioError.permission_denied(
                f"API key {principal.api_key.sid} of account {principal.account.sid} may not access the "
                f"resources of subaccount {account.sid}: main account API keys only reach main account resources"
            )

    def list_accounts(self, principal: Principal, friendly_name: str | None, status: str | None) -> list[Account]:
        if status is not None and status not in ACCOUNT_STATUSES:
            raise TwilioError.accounts_resource(f"Status must be one of active, suspended, closed, not {status!r}")
        with self._lock:
            caller = principal.account
            if caller.sid != caller.owner_account_sid or principal.may_manage_accounts:
                family = [caller] + [
                    a for a in self.accounts.values() if a.is_subaccount and a.owner_account_sid == caller.sid
                ]
            else:
                family = [caller]
            return [
                a
                for a in family
                if (friendly_name is None or a.friendly_name == friendly_name)
                and (status is None or a.status == status)
            ]

    def create_subaccount(self, principal: Principal, friendly_name: str | None) -> Account:
        with self._lock:
            caller = principal.account
            if caller.is_subaccount:
                raise TwilioError.permission_denied("A subaccount can not create subaccounts")
            if not principal.may_manage_accounts:
                raise TwilioError.permission_denied("Standard API keys may not create subaccounts")
            open_subaccounts = sum(
                1
                for a in self.accounts.values()
                if a.owner_account_sid == caller.sid and a.is_subaccount and a.status != "closed"
            )
            cap = 1 if caller.type == "Trial" else self.settings.max_subaccounts
            if open_subaccounts >= cap:
                raise TwilioError.accounts_resource(
                    f"Account {caller.sid} has reached its limit of {cap} subaccounts; "
                    "close unused subaccounts or ask Twilio Support to raise the limit"
                )
            if friendly_name is None:
                stamp = datetime.now(UTC).strftime("%Y-%m-%d %I:%M %p").lower()
                friendly_name = f"SubAccount Created at {stamp}"
            self._check_friendly_name(friendly_name)
            return self._new_account(
                new_sid("AC"),
                None,
                friendly_name,
                owner=caller.sid,
                inheritance=self.settings.new_subaccount_inheritance,
            )

    @staticmethod
    def _check_friendly_name(name: str) -> None:
        if len(name) > 64:
            raise TwilioError.accounts_resource("FriendlyName must be at most 64 characters long")

    def fetch_account(self, principal: Principal, sid: str, path: str) -> Account:
        with self._lock:
            return self._visible_account(principal, sid, path)

    def update_account(
        self,
        principal: Principal,
        sid: str,
        path: str,
        *,
        friendly_name: str | None,
        status: str | None,
        apply: bool,
    ) -> Account:
        with self._lock:
            account = self._visible_account(principal, sid, path)
            new_status = _account_status(status)
            if account.status == "closed":
                raise TwilioError(400, 21479, "The subaccount is closed and can not be re-opened")
            if new_status is not None and new_status != account.status:
                if not account.is_subaccount:
                    raise TwilioError.accounts_resource("The status of a main account can not be changed here")
                if principal.account.sid != account.owner_account_sid:
                    raise TwilioError.permission_denied("Only the parent account may change a subaccount's status")
                parent = self.accounts[account.owner_account_sid]
                if new_status == "active" and parent.status != "active":
                    raise TwilioError(400, 21476, "The parent account is suspended")
            if friendly_name is not None:
                self._check_friendly_name(friendly_name)
            if not apply:
                return replace(
                    account,
                    friendly_name=friendly_name or account.friendly_name,
                    status=new_status or account.status,
                )
            if friendly_name is not None:
                account.friendly_name = friendly_name
            if new_status is not None:
                account.status = new_status
            account.date_updated = datetime.now(UTC).replace(microsecond=0)
            return account

    def create_key(self, principal: Principal, sid: str, path: str, friendly_name: str | None) -> ApiKey:
        with self._lock:
            account = self._visible_account(principal, sid, path)
            if not principal.may_manage_accounts:
                raise TwilioError.permission_denied("Standard API keys may not create API keys")
            self._refuse_main_key_on_subaccount(principal, account)
            return self.create_api_key(account.sid, friendly_name=friendly_name or "")

    # ------------------------------------------------------------------------------- monitor alerts
    def add_alert(
        self,
        account_sid: str,
        error_code: str,
        alert_text: str,
        *,
        date_generated: datetime | None = None,
        log_level: str = "error",
        request_method: str = "POST",
        request_url: str | None = None,
        resource_sid: str | None = None,
    ) -> Alert:
        """Record a Monitor alert for an account: what a blocked call does, and how tests seed older ones
        (Twilio has no API to create alerts)."""
        with self._lock:
            if account_sid not in self.accounts:
                raise ValueError(f"no account {account_sid}")
            alert = Alert(
                sid=new_sid("NO"),
                account_sid=account_sid,
                error_code=error_code,
                alert_text=alert_text,
                log_level=log_level,
                date_generated=(date_generated or datetime.now(UTC)).replace(microsecond=0),
                request_method=request_method,
                request_url=request_url,
                resource_sid=resource_sid,
            )
            self.alerts.append(alert)
            return alert

    def list_alerts(
        self,
        principal: Principal,
        *,
        log_level: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[Alert]:
        """The caller's own alerts, newest first (an account's debugger shows its own alerts only)."""
        with self._lock:
            found = [
                a
                for a in self.alerts
                if a.account_sid == principal.account.sid
                and (log_level is None or a.log_level == log_level)
                and (start is None or a.date_generated >= start)
                and (end is None or a.date_generated <= end)
            ]
        return sorted(found, key=lambda a: a.date_generated, reverse=True)

    # ---------------------------------------------------------------------------------------- calls
    def destination(self, number: str) -> tuple[Country, bool] | None:
        """The country of an E.164 number by the longest matching country code of the country table, and
        whether it falls in one of that country's high-risk special prefixes. Toll-fraud ranges are not
        modelled: Twilio does not publish them (its spec says they are not downloadable)."""
        best: Country | None = None
        best_length = 0
        for country in self._countries.values():
            for code in country.country_codes:
                if number.startswith(code) and len(code) > best_length:
                    best, best_length = country, len(code)
        if best is None:
            return None
        special = any(number.startswith(prefix) for prefix in self._prefixes.get(best.iso_code, ()))
        return best, special

    def create_call(
        self,
        principal: Principal,
        sid: str,
        path: str,
        *,
        to: str | None,
        from_: str | None,
        has_instructions: bool,
        apply: bool,
    ) -> PlacedCall:
        """Place a call from account ``sid``: checked against that account's *effective* dialing permissions
        (inheritance applies). A blocked call answers 400/21215 and records a 21215 alert on the account."""
        with self._lock:
            account = self._visible_account(principal, sid, path)
            self._refuse_main_key_on_subaccount(principal, account)
            if account.status != "active":
                raise TwilioError.account_not_active()
            # Codes of the parameter checks (21201, 21603, 21205, 21211) follow Twilio's error dictionary;
            # the exact wording is UNVERIFIED.
            if not to:
                raise TwilioError(400, 21201, "No 'To' number is specified")
            if not from_:
                raise TwilioError(400, 21603, "A 'From' phone number is required.")
            if not has_instructions:
                raise TwilioError(400, 21205, "Url, Twiml or ApplicationSid is required")
            if not (to.startswith("+") and to[1:].isdigit() and 7 <= len(to) <= 16):
                raise TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
            found = self.destination(to)
            if found is None:
                raise TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
            country, special = found
            flags = self.effective_flags(account.sid, country.iso_code)
            allowed = flags.high_risk_special_numbers_enabled if special else flags.low_risk_numbers_enabled
            if not allowed:
                kind = "high-risk" if special else "low-risk"
                message = (
                    f"Account not authorized to call {to}. Perhaps you need to enable some international "
                    f"permissions: https://www.twilio.com/console/voice/calls/geo-permissions/{kind}"
                )
                if apply:
                    # The alert's text is form-encoded, as debugger alerts are; its exact keys are UNVERIFIED.
                    self.add_alert(
                        account.sid,
                        "21215",
                        urlencode([("Msg", message), ("phonenumber", to), ("ErrorCode", "21215")]),
                        request_method="POST",
                        request_url=f"https://api.twilio.com{path}",
                    )
                raise TwilioError(400, 21215, message)
            call = PlacedCall(new_sid("CA"), account.sid, to, from_, datetime.now(UTC).replace(microsecond=0))
            if apply:
                self.calls.append(call)
            return call
