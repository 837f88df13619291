"""Provider settings from stack config and the environment, and the per-account gateways of one provider
process: main-account credentials as configured, subaccount credentials derived at run time and kept in
memory only (never in state, outputs, logs, errors or the pickled provider)."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ._config import resolve_api_url
from ._exceptions import AccountClosedError, AuthenticationError, ConfigurationError, NotFoundError
from ._gateway import DEFAULT_TIMEOUT_SECONDS, MAX_PAGE_SIZE, Credentials, Gateway, RetryPolicy
from ._models import AccountRecord

__all__ = ["ACCOUNT_SID_PATTERN", "ConfigSource", "ProviderSettings", "Session", "resolve_credentials"]


class ConfigSource(Protocol):
    """Stack config as the provider receives it: ``pulumi.dynamic.Config`` or a plain dict."""

    def get(self, key: str, /) -> Any: ...


ACCOUNT_SID_PATTERN = re.compile(r"^AC[0-9a-fA-F]{32}$")
API_KEY_PATTERN = re.compile(r"^SK[0-9a-fA-F]{32}$")

# (stack config key, environment variable)
ACCOUNT_SID = ("twilio:accountSid", "TWILIO_ACCOUNT_SID")
AUTH_TOKEN = ("twilio:authToken", "TWILIO_AUTH_TOKEN")
API_KEY = ("twilio:apiKey", "TWILIO_API_KEY")
API_SECRET = ("twilio:apiSecret", "TWILIO_API_SECRET")

MISSING_CREDENTIALS = (
    "Twilio credentials are missing: set twilio:accountSid and either twilio:authToken, or twilio:apiKey "
    "with twilio:apiSecret (pulumi config set twilio:accountSid AC...; pulumi config set --secret "
    "twilio:authToken ...), or the environment variables TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or "
    "TWILIO_API_KEY with TWILIO_API_SECRET"
)


def _lookup(config: ConfigSource, environ: Mapping[str, str], keys: tuple[str, str]) -> str | None:
    config_key, env_key = keys
    return config.get(config_key) or environ.get(env_key) or None


def configured_account_sid(config: ConfigSource, environ: Mapping[str, str]) -> str | None:
    """The main account SID, validated, without needing (or touching) any secret."""
    sid = _lookup(config, environ, ACCOUNT_SID)
    if sid is not None and not ACCOUNT_SID_PATTERN.match(sid):
        raise ConfigurationError(
            f"twilio:accountSid (or TWILIO_ACCOUNT_SID) is {sid!r}, which is not an account SID: "
            "expected AC followed by 32 hexadecimal characters, as shown in the Twilio Console"
        )
    return sid


def resolve_credentials(config: ConfigSource, environ: Mapping[str, str] | None = None) -> Credentials:
    """Main-account credentials: stack config first, then the environment. Errors name keys, never values
    of secrets."""
    environ = os.environ if environ is None else environ
    account_sid = configured_account_sid(config, environ)
    auth_token = _lookup(config, environ, AUTH_TOKEN)
    api_key = _lookup(config, environ, API_KEY)
    api_secret = _lookup(config, environ, API_SECRET)
    if account_sid is None or not (auth_token or (api_key and api_secret)):
        if api_key and not api_secret:
            raise ConfigurationError(f"twilio:apiKey is set but twilio:apiSecret is not. {MISSING_CREDENTIALS}")
        raise ConfigurationError(MISSING_CREDENTIALS)
    if auth_token:
        return Credentials.auth_token(account_sid, auth_token)
    if api_key is None or api_secret is None:  # unreachable: checked above; narrows the types
        raise ConfigurationError(MISSING_CREDENTIALS)
    if not API_KEY_PATTERN.match(api_key):
        raise ConfigurationError(
            f"twilio:apiKey (or TWILIO_API_KEY) is {api_key!r}, which is not an API key SID: expected SK "
            "followed by 32 hexadecimal characters"
        )
    return Credentials.api_key(account_sid, api_key, api_secret)


def _positive_float(config: ConfigSource, key: str, default: float) -> float:
    raw = config.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ConfigurationError(f"{key} is {raw!r}; set it to a positive number of seconds")
    return value


DEFAULT_BULK_CHUNK_SIZE = 100


def _chunk_size(config: ConfigSource) -> int:
    raw = config.get("twilio-dialing:bulkChunkSize")
    if raw is None or raw == "":
        return DEFAULT_BULK_CHUNK_SIZE
    try:
        value = int(str(raw))
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ConfigurationError(
            f"twilio-dialing:bulkChunkSize is {raw!r}; set it to a whole number of countries per "
            f"BulkCountryUpdates request from 1 to {MAX_PAGE_SIZE} (default {DEFAULT_BULK_CHUNK_SIZE})"
        )
    return value


@dataclass(frozen=True)
class ProviderSettings:
    """Everything the provider reads from stack config ``twilio-dialing:*`` (secrets excluded)."""

    api_url: str | None
    request_timeout: float
    retry: RetryPolicy
    bulk_chunk_size: int = DEFAULT_BULK_CHUNK_SIZE

    @classmethod
    def from_config(cls, config: ConfigSource, environ: Mapping[str, str] | None = None) -> ProviderSettings:
        return cls(
            api_url=resolve_api_url(config, environ),
            request_timeout=_positive_float(config, "twilio-dialing:requestTimeout", DEFAULT_TIMEOUT_SECONDS),
            retry=RetryPolicy(
                base_delay=_positive_float(config, "twilio-dialing:retryBaseDelay", RetryPolicy.base_delay),
                timeout=_positive_float(config, "twilio-dialing:retryTimeout", RetryPolicy.timeout),
            ),
            bulk_chunk_size=_chunk_size(config),
        )


def fetch_subaccount(main: Gateway, account_sid: str) -> AccountRecord:
    """Read ``account_sid`` with the parent's credentials, insisting that it is one of its subaccounts."""
    parent = main.credentials.account_sid
    try:
        account = main.fetch_account(account_sid)
    except (AuthenticationError, NotFoundError) as error:
        raise ConfigurationError(
            f"account {account_sid} is not visible to the configured account {parent} (Twilio answered "
            f"HTTP {error.status}, error {error.code}): it is not one of its subaccounts, or these credentials "
            "may not read subaccounts. Set twilio:accountSid to its parent with the parent's auth token or a "
            "Main API key, or act on it with its own credentials"
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
    "twilio-dialing:apiUrl",
    "twilio-dialing:requestTimeout",
    "twilio-dialing:retryBaseDelay",
    "twilio-dialing:retryTimeout",
    "twilio-dialing:bulkChunkSize",
)
_SHARED: dict[tuple[object, ...], Session] = {}
_SHARED_LOCK = threading.Lock()


class Session:
    """The gateways of one provider process, one per account acted on.

    voice.twilio.com acts on the account that owns the credentials, so acting on a subaccount needs that
    subaccount's credentials. With only parent credentials, the session reads the subaccount through the
    2010 Accounts API (which returns its auth token to the parent) once per process and keeps the result
    in memory.
    """

    def __init__(self, config: ConfigSource, environ: Mapping[str, str] | None = None) -> None:
        self._config = config
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._gateways: dict[str, Gateway] = {}
        self._account_locks: dict[str, threading.Lock] = {}
        self._tables: dict[str, tuple[float, dict[str, dict[str, bool]]]] = {}
        self._main: Gateway | None = None
        self.settings = ProviderSettings.from_config(self._config, self._environ)

    @classmethod
    def shared(cls, config: ConfigSource) -> Session:
        """The process's session for this config: every provider type (and the program-side functions)
        then shares one set of gateways, so a subaccount's credentials are read once per process."""
        key = tuple(config.get(k) for k in SESSION_KEYS)
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
            timeout=self.settings.request_timeout,
            retry=self.settings.retry,
        )

    @property
    def main(self) -> Gateway:
        with self._lock:
            if self._main is None:
                self._main = self._gateway(resolve_credentials(self._config, self._environ))
            return self._main

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
                cached = self._gateways[account_sid] = self._gateway(self._derive(main, account_sid))
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
        Subaccount), so acting on it later in this process costs no request to derive them."""
        main = self.main
        if (
            account.auth_token is None
            or account.status != "active"
            or account.owner_account_sid != main.credentials.account_sid
            or not account.is_subaccount
        ):
            return
        credentials = Credentials.auth_token(account.sid, account.auth_token.get_secret_value())
        with self._lock:
            account_lock = self._account_locks.setdefault(account.sid, threading.Lock())
        with account_lock:
            self._gateways.setdefault(account.sid, self._gateway(credentials))

    def _derive(self, main: Gateway, account_sid: str) -> Credentials:
        account = fetch_subaccount(main, account_sid)
        if account.status == "closed":
            raise AccountClosedError(
                f"subaccount {account_sid} is closed; Twilio never reopens a closed subaccount", account_sid
            )
        if account.status != "active":
            raise ConfigurationError(
                f"subaccount {account_sid} is {account.status}; only active accounts can be managed"
            )
        if account.auth_token is None:
            raise ConfigurationError(
                f"Twilio did not return the auth token of subaccount {account_sid} to {account.owner_account_sid}; "
                "use the "
                "parent's auth token or a Main API key as credentials"
            )
        return Credentials.auth_token(account_sid, account.auth_token.get_secret_value())
