"""The per-account gateways of one provider process: main-account credentials as configured; subaccount
credentials as configured in ``twilio-dialing:subaccountCredentials``, else derived at run time from the
parent's auth token. Every secret is kept in memory only (never in state, outputs, logs, errors or the
pickled provider). Where settings and credentials come from is :mod:`._config`."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping

from ._config import (
    ACCOUNT_SID,
    API_KEY,
    API_SECRET,
    API_URL_CONFIG_KEY,
    AUTH_TOKEN,
    NUMERIC_SETTINGS,
    SUBACCOUNT_CREDENTIALS,
    ConfigSource,
    ProviderSettings,
    configured_account_sid,
    resolve_credentials,
    resolve_subaccount_credentials,
    subaccount_credentials_example,
)
from ._exceptions import AccountClosedError, AuthenticationError, ConfigurationError, NotFoundError
from ._gateway import Credentials, Gateway, HostBudget
from ._models import AccountRecord

__all__ = ["SESSION_KEYS", "Session", "fetch_subaccount"]


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


# Every config key a Session depends on (credentials, then what ProviderSettings reads): sessions built from
# equal values are shared. Derived from _config's names, so a new setting there cannot be missed here.
SESSION_KEYS = (
    *(keys[0] for keys in (ACCOUNT_SID, AUTH_TOKEN, API_KEY, API_SECRET, SUBACCOUNT_CREDENTIALS)),
    API_URL_CONFIG_KEY,
    *(setting.key for setting in NUMERIC_SETTINGS),
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
