"""Provider settings from stack config and the environment, and the per-account gateways of one provider
process: main-account credentials as configured; subaccount credentials as configured in
``twilio-dialing:subaccountCredentials``, else derived at run time from the parent's auth token. Every
secret is kept in memory only (never in state, outputs, logs, errors or the pickled provider)."""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ._config import resolve_api_url_source, shown
from ._exceptions import AccountClosedError, AuthenticationError, ConfigurationError, NotFoundError
from ._gateway import DEFAULT_TIMEOUT_SECONDS, MAX_PAGE_SIZE, Credentials, Gateway, HostBudget, RetryPolicy
from ._models import AccountRecord
from ._redact import register_secret

__all__ = [
    "ACCOUNT_SID_PATTERN",
    "ConfigSource",
    "ProviderSettings",
    "Session",
    "resolve_credentials",
    "resolve_subaccount_credentials",
]


class ConfigSource(Protocol):
    """Stack config as the provider receives it: ``pulumi.dynamic.Config`` or a plain dict."""

    def get(self, key: str, /) -> Any: ...


# \Z, not $: "$" also matches before a trailing newline, and a pasted "AC...\n" must fail here, not reach
# Twilio. Callers that use .match (not .fullmatch) are safe too.
ACCOUNT_SID_PATTERN = re.compile(r"\AAC[0-9a-fA-F]{32}\Z")
API_KEY_PATTERN = re.compile(r"\ASK[0-9a-fA-F]{32}\Z")

# (stack config key, environment variable)
ACCOUNT_SID = ("twilio:accountSid", "TWILIO_ACCOUNT_SID")
AUTH_TOKEN = ("twilio:authToken", "TWILIO_AUTH_TOKEN")
API_KEY = ("twilio:apiKey", "TWILIO_API_KEY")
API_SECRET = ("twilio:apiSecret", "TWILIO_API_SECRET")
SUBACCOUNT_CREDENTIALS = ("twilio-dialing:subaccountCredentials", "TWILIO_DIALING_SUBACCOUNT_CREDENTIALS")


def subaccount_credentials_example(sid: str = "AC...") -> str:
    """How to set ``twilio-dialing:subaccountCredentials`` for ``sid``, for messages."""
    return (
        f"pulumi config set --secret {SUBACCOUNT_CREDENTIALS[0]} "
        f"""'{{"{sid}": {{"apiKey": "SK...", "apiSecret": "..."}}}}' (an API key created in that subaccount), """
        f"""or '{{"{sid}": {{"authToken": "..."}}}}' (the subaccount's own auth token)"""
    )


SUBACCOUNT_CREDENTIALS_EXAMPLE = subaccount_credentials_example()

MISSING_CREDENTIALS = (
    "Twilio credentials are missing: set twilio:accountSid and either twilio:authToken, or twilio:apiKey "
    "with twilio:apiSecret (pulumi config set twilio:accountSid AC...; pulumi config set --secret "
    "twilio:authToken ...), or the environment variables TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or "
    "TWILIO_API_KEY with TWILIO_API_SECRET"
)


def _sourced(config: ConfigSource, environ: Mapping[str, str], keys: tuple[str, str]) -> tuple[Any, str | None]:
    """The value (stack config first, then the environment) and where it came from, as messages name it:
    ``stack config twilio:authToken`` or ``environment variable TWILIO_AUTH_TOKEN``."""
    config_key, env_key = keys
    value = config.get(config_key)
    if value:
        return value, f"stack config {config_key}"
    value = environ.get(env_key)
    if value:
        return value, f"environment variable {env_key}"
    return None, None


def _lookup(config: ConfigSource, environ: Mapping[str, str], keys: tuple[str, str]) -> str | None:
    value = _sourced(config, environ, keys)[0]
    return None if value is None else str(value)


def configured_account_sid(config: ConfigSource, environ: Mapping[str, str]) -> str | None:
    """The main account SID, validated, without needing (or touching) any secret."""
    sid = _lookup(config, environ, ACCOUNT_SID)
    if sid is not None and not ACCOUNT_SID_PATTERN.fullmatch(sid):
        raise ConfigurationError(
            f"twilio:accountSid (or TWILIO_ACCOUNT_SID) is {shown(sid)}, which is not an account SID: "
            "expected AC followed by 32 hexadecimal characters and nothing else (no spaces or newlines), as "
            "shown in the Twilio Console"
        )
    return sid


def resolve_credentials(config: ConfigSource, environ: Mapping[str, str] | None = None) -> Credentials:
    """Main-account credentials: stack config first, then the environment, key by key. Errors name keys,
    never values of secrets; the credentials record where their secret came from (``source``)."""
    environ = os.environ if environ is None else environ
    account_sid = configured_account_sid(config, environ)
    auth_token, token_source = _sourced(config, environ, AUTH_TOKEN)
    api_key, key_source = _sourced(config, environ, API_KEY)
    api_secret, secret_source = _sourced(config, environ, API_SECRET)
    if account_sid is None or not (auth_token or (api_key and api_secret)):
        if api_key and not api_secret:
            raise ConfigurationError(f"twilio:apiKey is set but twilio:apiSecret is not. {MISSING_CREDENTIALS}")
        raise ConfigurationError(MISSING_CREDENTIALS)
    if auth_token:
        return Credentials.auth_token(account_sid, str(auth_token), source=token_source or "")
    if not API_KEY_PATTERN.fullmatch(str(api_key)):
        raise ConfigurationError(
            f"twilio:apiKey (or TWILIO_API_KEY) is {shown(api_key)}, which is not an API key SID: expected SK "
            "followed by 32 hexadecimal characters and nothing else"
        )
    # The secret's origin comes first: it is what a rotation changes.
    secret_source, key_source = secret_source or "", key_source or ""
    if secret_source.split()[:1] == key_source.split()[:1]:
        source = f"{key_source} and {secret_source.rsplit(' ', 1)[-1]}"
    else:
        source = f"{secret_source} (the key SID from {key_source})"
    return Credentials.api_key(account_sid, str(api_key), str(api_secret), source=source)


def resolve_subaccount_credentials(
    config: ConfigSource, environ: Mapping[str, str] | None = None
) -> dict[str, Credentials]:
    """The subaccount credentials of ``twilio-dialing:subaccountCredentials`` (else the environment variable
    ``TWILIO_DIALING_SUBACCOUNT_CREDENTIALS``): a JSON object mapping each subaccount SID to
    ``{"apiKey": "SK...", "apiSecret": "..."}`` or ``{"authToken": "..."}``.

    Every secret in it is registered for scrubbing before anything is checked, and no message ever shows
    one: errors name the setting, the subaccount SID and the field.
    """
    environ = os.environ if environ is None else environ
    raw, where = _sourced(config, environ, SUBACCOUNT_CREDENTIALS)
    if raw is None or where is None:
        return {}
    setting = where.rsplit(" ", 1)[-1]
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except ValueError as error:
            # The decoder's message says what it expected and where, never the text around it.
            line, column = getattr(error, "lineno", "?"), getattr(error, "colno", "?")
            raise ConfigurationError(
                f"{setting} is not valid JSON (line {line}, column {column}); expected an object mapping "
                f"subaccount SIDs to their credentials: {SUBACCOUNT_CREDENTIALS_EXAMPLE}"
            ) from None
    else:
        data = raw
    if not isinstance(data, Mapping):
        raise ConfigurationError(
            f"{setting} must be a JSON object mapping subaccount SIDs to their credentials, not a JSON "
            f"{type(data).__name__}: {SUBACCOUNT_CREDENTIALS_EXAMPLE}"
        )
    for sid, entry in data.items():  # before any check: a secret next to a mistake is still a secret
        if isinstance(entry, Mapping):
            username = entry.get("apiKey") if isinstance(entry.get("apiKey"), str) else sid
            for name in ("authToken", "apiSecret"):
                if isinstance(entry.get(name), str):
                    register_secret(entry[name], username=username if isinstance(username, str) else None)
    found: dict[str, Credentials] = {}
    for sid, entry in data.items():
        source = f"the {shown(sid)[1:-1]} entry of {where}"
        if not isinstance(sid, str) or not ACCOUNT_SID_PATTERN.fullmatch(sid):
            raise ConfigurationError(
                f"{setting}: {shown(sid)} is not a subaccount SID; each key must be AC followed by 32 "
                "hexadecimal characters and nothing else"
            )
        if not isinstance(entry, Mapping):
            raise ConfigurationError(
                f"{setting}: the entry for {sid} must be an object, "
                """{"apiKey": "SK...", "apiSecret": "..."} or {"authToken": "..."}"""
            )
        fields = set(entry)
        unknown = sorted(str(f) for f in fields - {"apiKey", "apiSecret", "authToken"})
        if unknown:
            raise ConfigurationError(
                f"{setting}: the entry for {sid} has unknown field(s) {', '.join(shown(f) for f in unknown)}; "
                "use apiKey with apiSecret, or authToken"
            )
        if fields not in ({"apiKey", "apiSecret"}, {"authToken"}):
            raise ConfigurationError(
                f"{setting}: the entry for {sid} has {', '.join(sorted(fields)) or 'no fields'}; give either "
                "apiKey with apiSecret (an API key created in that subaccount), or authToken (its auth token)"
            )
        empty = sorted(f for f in fields if not isinstance(entry[f], str) or not entry[f])
        if empty:
            raise ConfigurationError(
                f"{setting}: in the entry for {sid}, {' and '.join(empty)} must be a non-empty string"
            )
        if "authToken" in fields:
            found[sid] = Credentials.auth_token(sid, entry["authToken"], source=source)
            continue
        if not API_KEY_PATTERN.fullmatch(entry["apiKey"]):
            raise ConfigurationError(
                f"{setting}: in the entry for {sid}, apiKey is {shown(entry['apiKey'])}, which is not an API "
                "key SID: expected SK followed by 32 hexadecimal characters and nothing else"
            )
        found[sid] = Credentials.api_key(sid, entry["apiKey"], entry["apiSecret"], source=source)
    return found


@dataclass(frozen=True)
class NumberRange:
    """The accepted values of one numeric setting; every bound is finite, so no setting can hang."""

    key: str
    default: float
    low: float
    high: float
    low_inclusive: bool = True
    unit: str = "seconds"
    whole: bool = False

    def describe(self) -> str:
        low = f"from {self.low:g} to" if self.low_inclusive else f"above {self.low:g} and up to"
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} {low} {self.high:g} {self.unit} (default {self.default:g})"

    def parse(self, config: ConfigSource) -> float:
        raw = config.get(self.key)
        if raw is None or raw == "":
            return self.default
        try:
            if isinstance(raw, bool):
                raise ValueError(raw)
            value = float(int(str(raw).strip(), 10)) if self.whole else float(raw)
        except (TypeError, ValueError):
            value = math.nan
        above = value >= self.low if self.low_inclusive else value > self.low
        if not (math.isfinite(value) and above and value <= self.high):
            raise ConfigurationError(f"{self.key} is {shown(raw)}; set it to {self.describe()}")
        return value


DEFAULT_BULK_CHUNK_SIZE = 100
REQUEST_TIMEOUT = NumberRange("twilio-dialing:requestTimeout", DEFAULT_TIMEOUT_SECONDS, 0.1, 600)
# Below 10 ms a backoff is no backoff: Twilio would be hammered hundreds of times a second.
RETRY_BASE_DELAY = NumberRange("twilio-dialing:retryBaseDelay", RetryPolicy.base_delay, 0.01, RetryPolicy.max_delay)
RETRY_TIMEOUT = NumberRange("twilio-dialing:retryTimeout", RetryPolicy.timeout, 0, 3600, low_inclusive=False)
BULK_CHUNK_SIZE = NumberRange(
    "twilio-dialing:bulkChunkSize",
    DEFAULT_BULK_CHUNK_SIZE,
    1,
    MAX_PAGE_SIZE,
    unit="countries per BulkCountryUpdates request",
    whole=True,
)
NUMERIC_SETTINGS = (REQUEST_TIMEOUT, RETRY_BASE_DELAY, RETRY_TIMEOUT, BULK_CHUNK_SIZE)


@dataclass(frozen=True)
class ProviderSettings:
    """Everything the provider reads from stack config ``twilio-dialing:*`` (secrets excluded)."""

    api_url: str | None
    request_timeout: float
    retry: RetryPolicy
    bulk_chunk_size: int = DEFAULT_BULK_CHUNK_SIZE
    api_url_source: str | None = None

    @classmethod
    def from_config(cls, config: ConfigSource, environ: Mapping[str, str] | None = None) -> ProviderSettings:
        api_url, api_url_source = resolve_api_url_source(config, environ)
        return cls(
            api_url=api_url,
            api_url_source=api_url_source,
            request_timeout=REQUEST_TIMEOUT.parse(config),
            retry=RetryPolicy(base_delay=RETRY_BASE_DELAY.parse(config), timeout=RETRY_TIMEOUT.parse(config)),
            bulk_chunk_size=int(BULK_CHUNK_SIZE.parse(config)),
        )


def fetch_subaccount(main: Gateway, account_sid: str) -> AccountRecord:
    """Read ``account_sid`` with the parent's credentials, insisting that it is one of its subaccounts."""
    parent = main.credentials.account_sid
    try:
        account = main.fetch_account(account_sid)
    except NotFoundError as error:
        raise ConfigurationError(
            f"account {account_sid} is not visible to the configured account {parent} (Twilio answered "
            f"HTTP {error.status}, error {error.code}): it is not one of its subaccounts. Set twilio:accountSid "
            f"to its parent, or give its own credentials in {SUBACCOUNT_CREDENTIALS[0]}"
        ) from None
    except AuthenticationError as error:
        # Twilio answers 401/20003 both for wrong credentials and for an account they may not read: say both,
        # with Twilio's own answer (which names where the credentials came from).
        raise ConfigurationError(
            f"account {account_sid} is not visible to the configured account {parent}: either it is not one "
            f"of its subaccounts (set twilio:accountSid to its parent, or give its own "
            f"credentials in {SUBACCOUNT_CREDENTIALS[0]}), or the credentials were refused. Twilio answered: "
            f"{error}"
        ) from None
    if account.owner_account_sid == account.sid:
        raise ConfigurationError(
            f"account {account_sid} is a main account, not a subaccount of the configured account {parent}; "
            "manage it with its own credentials (twilio:accountSid and its auth token or API key)"
        )
    if account.owner_account_sid != parent:
        raise ConfigurationError(
            f"account {account_sid} is not a subaccount of the configured account {parent}; set "
            "twilio:accountSid to its parent, or act on it with its own credentials"
        )
    return account


# Every config key a Session depends on: sessions built from equal values are shared.
SESSION_KEYS = (
    ACCOUNT_SID[0],
    AUTH_TOKEN[0],
    API_KEY[0],
    API_SECRET[0],
    SUBACCOUNT_CREDENTIALS[0],
    "twilio-dialing:apiUrl",
    "twilio-dialing:requestTimeout",
    "twilio-dialing:retryBaseDelay",
    "twilio-dialing:retryTimeout",
    "twilio-dialing:bulkChunkSize",
)
_SHARED: dict[tuple[object, ...], Session] = {}
_SHARED_LOCK = threading.Lock()


def _hashable(value: object) -> object:
    """A config value as part of a dict key (structured config may arrive as a dict or list)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


class Session:
    """The gateways of one provider process, one per account acted on.

    voice.twilio.com acts on the account that owns the credentials, so acting on a subaccount needs that
    subaccount's credentials. In order: its entry in ``twilio-dialing:subaccountCredentials`` (used as given,
    no request needed); else, with the parent's auth token, the subaccount read through the 2010 Accounts API
    (which returns its auth token to the parent's auth token only) once per process, kept in memory; else
    (the parent configured with an API key, to which Twilio returns no subaccount token and which it refuses
    on a subaccount's resources) a :class:`ConfigurationError` naming both ways out.

    All gateways share one :class:`HostBudget`, so that retries of one operation stay within
    ``retryTimeout`` across the provider calls the engine makes for it.
    """

    def __init__(self, config: ConfigSource, environ: Mapping[str, str] | None = None) -> None:
        self._config = config
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._gateways: dict[str, Gateway] = {}
        self._account_locks: dict[str, threading.Lock] = {}
        self._tables: dict[str, tuple[float, dict[str, dict[str, bool]]]] = {}
        self._main: Gateway | None = None
        self._subaccount_credentials: dict[str, Credentials] | None = None
        self.budget = HostBudget()
        self.settings = ProviderSettings.from_config(self._config, self._environ)

    @classmethod
    def shared(cls, config: ConfigSource) -> Session:
        """The process's session for this config: every provider type (and the program-side functions)
        then shares one set of gateways, so a subaccount's credentials are read once per process."""
        key = tuple(_hashable(config.get(k)) for k in SESSION_KEYS)
        with _SHARED_LOCK:
            session = _SHARED.get(key)
            if session is None:
                session = _SHARED[key] = cls(config)
            return session

    def __getstate__(self) -> dict[str, object]:
        raise TypeError("a Session holds credentials and must never be pickled")

    def __repr__(self) -> str:
        return f"Session(account_sid={self.configured_account_sid!r})"

    @property
    def configured_account_sid(self) -> str | None:
        return configured_account_sid(self._config, self._environ)

    def _gateway(self, credentials: Credentials) -> Gateway:
        return Gateway(
            credentials,
            api_url=self.settings.api_url,
            api_url_source=self.settings.api_url_source,
            timeout=self.settings.request_timeout,
            retry=self.settings.retry,
            budget=self.budget,
        )

    @property
    def main(self) -> Gateway:
        with self._lock:
            if self._main is None:
                self._main = self._gateway(resolve_credentials(self._config, self._environ))
            return self._main

    def subaccount_credentials(self) -> dict[str, Credentials]:
        """``twilio-dialing:subaccountCredentials``, parsed and checked once (its secrets registered for
        scrubbing as it is parsed). Read only when a subaccount is acted on: a stack that manages only its
        main account never depends on it."""
        with self._lock:
            if self._subaccount_credentials is None:
                found = resolve_subaccount_credentials(self._config, self._environ)
                main_sid = configured_account_sid(self._config, self._environ)
                if main_sid in found:
                    raise ConfigurationError(
                        f"{SUBACCOUNT_CREDENTIALS[0]} has an entry for {main_sid}, the configured account itself; "
                        "its credentials are twilio:authToken, or twilio:apiKey with twilio:apiSecret: remove the "
                        "entry"
                    )
                self._subaccount_credentials = found
            return self._subaccount_credentials

    def gateway(self, account_sid: str | None) -> Gateway:
        """The gateway acting on ``account_sid`` (None: the configured account)."""
        main = self.main
        if account_sid is None or account_sid == main.credentials.account_sid:
            return main
        with self._lock:
            account_lock = self._account_locks.setdefault(account_sid, threading.Lock())
        # One derivation per subaccount even when several resources ask at once (they run in parallel).
        with account_lock:
            cached = self._gateways.get(account_sid)
            if cached is None:
                configured = self.subaccount_credentials().get(account_sid)
                credentials = configured or self._derive(main, account_sid)
                cached = self._gateways[account_sid] = self._gateway(credentials)
            return cached

    def stash_table(self, account_sid: str, table: dict[str, dict[str, bool]]) -> None:
        """Keep a table just read at check time for the create that follows in this process."""
        with self._lock:
            self._tables[account_sid] = (time.monotonic(), table)

    def take_table(self, account_sid: str, max_age: float = 30.0) -> dict[str, dict[str, bool]] | None:
        """The stashed table, once, if it is fresher than ``max_age`` seconds."""
        with self._lock:
            stashed = self._tables.pop(account_sid, None)
        if stashed is None or time.monotonic() - stashed[0] > max_age:
            return None
        return stashed[1]

    def remember(self, account: AccountRecord) -> None:
        """Keep the credentials of a subaccount the parent has just read (creating or refreshing a
        Subaccount), so acting on it later in this process costs no request to derive them. Configured
        credentials win: a subaccount with an entry in ``twilio-dialing:subaccountCredentials`` is skipped
        (and a malformed setting is reported when the subaccount is acted on, not here, where the
        subaccount may just have been created)."""
        main = self.main
        if (
            account.auth_token is None
            or not account.auth_token.get_secret_value()
            or account.status != "active"
            or account.owner_account_sid != main.credentials.account_sid
            or not account.is_subaccount
        ):
            return
        try:
            if account.sid in self.subaccount_credentials():
                return
        except ConfigurationError:
            return
        credentials = Credentials.auth_token(
            account.sid, account.auth_token.get_secret_value(), source=self._derived_source(main)
        )
        with self._lock:
            account_lock = self._account_locks.setdefault(account.sid, threading.Lock())
        with account_lock:
            self._gateways.setdefault(account.sid, self._gateway(credentials))

    @staticmethod
    def _derived_source(main: Gateway) -> str:
        parent = main.credentials
        return f"the subaccount's auth token as Twilio returned it to its parent {parent.account_sid} ({parent.source})"

    def _derive(self, main: Gateway, account_sid: str) -> Credentials:
        parent = main.credentials
        if parent.username != parent.account_sid:
            # Twilio returns no subaccount token to an API key and refuses a main account's API keys on a
            # subaccount's resources: asking would only fail later, and less clearly.
            raise ConfigurationError(
                f"subaccount {account_sid} has no credentials: the configured account {parent.account_sid} uses "
                f"an API key ({parent.username}, from {parent.source or 'the configuration'}), and Twilio "
                "neither lets a main account's API key act on a subaccount nor gives it the subaccount's auth "
                "token. Either give the subaccount's own credentials: "
                f"{subaccount_credentials_example(account_sid)}, or "
                f"the same JSON in the environment variable {SUBACCOUNT_CREDENTIALS[1]}; or configure the "
                "parent's auth token (twilio:authToken) instead of its API key, from which the provider reads "
                "each subaccount's token"
            )
        account = fetch_subaccount(main, account_sid)
        if account.status == "closed":
            raise AccountClosedError(
                f"subaccount {account_sid} is closed; Twilio never reopens a closed subaccount", account_sid
            )
        if account.status != "active":
            raise ConfigurationError(
                f"subaccount {account_sid} is {account.status}; only active accounts can be managed"
            )
        token = account.auth_token.get_secret_value() if account.auth_token is not None else ""
        if not token:  # "" is Twilio's "no token": never present it
            raise ConfigurationError(
                f"Twilio did not return the auth token of subaccount {account_sid} to its parent "
                f"{account.owner_account_sid}; give the subaccount's own credentials: "
                f"{subaccount_credentials_example(account_sid)}"
            )
        return Credentials.auth_token(account_sid, token, source=self._derived_source(main))
