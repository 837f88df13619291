"""The only module that speaks HTTP to Twilio.

Everything goes through the official ``twilio`` library. Against the emulator, a custom
``twilio.http.HttpClient`` rewrites the scheme and host of every URL (``https://voice.twilio.com/v1/...``
and ``https://api.twilio.com/2010-04-01/...``) to the emulator's base URL; the paths are left alone, which
is why the emulator can tell the two APIs apart by path. Pagination links are absolute Twilio URLs that go
through the same rewrite.

Errors come back as this package's :mod:`exceptions <pulumi_twilio_dialing._exceptions>`. No message
carries a credential: only SIDs, methods and paths, and Twilio's own message, scrubbed (see
:mod:`._redact`) because Twilio or a proxy may echo the request's ``Authorization`` header or form in it.
Every credential registers itself for scrubbing as it is created, as do the tokens Twilio returns.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from ._exceptions import (
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    TwilioApiError,
    TwilioConnectionError,
)
from ._models import (
    AccountRecord,
    ApiKeyRecord,
    BulkCountryUpdateResult,
    CountryPermissionUpdate,
    DialingPermissionsCountry,
)
from ._redact import register_secret, scrub

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "Credentials", "Gateway", "RedirectingHttpClient", "RetryPolicy"]

DEFAULT_TIMEOUT_SECONDS = 30.0
# One list request returns the whole ~218-country table: Twilio's maximum page size.
MAX_PAGE_SIZE = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class Credentials:
    """What authenticates one account: its SID and auth token, or one of its API keys and the secret.

    ``account_sid`` is always the account acted on; ``username`` is the SID presented (``AC...`` or
    ``SK...``).
    The secret is excluded from repr so it cannot leak through logs or tracebacks.
    """

    account_sid: str
    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        register_secret(self.password, username=self.username)

    @classmethod
    def auth_token(cls, account_sid: str, auth_token: str) -> Credentials:
        return cls(account_sid=account_sid, username=account_sid, password=auth_token)

    @classmethod
    def api_key(cls, account_sid: str, api_key: str, api_secret: str) -> Credentials:
        return cls(account_sid=account_sid, username=api_key, password=api_secret)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter for answers that are safe to repeat.

    429/20429 is always retried (Twilio never processes such a request); 5xx answers and lost connections
    only for idempotent calls (every write here sets absolute values, except creating a subaccount or an
    API key). ``Retry-After`` is honoured when present. After ``timeout`` seconds in all, the last error is
    raised, saying how many attempts were made.
    """

    base_delay: float = 0.5
    max_delay: float = 8.0
    timeout: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)


RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


class RedirectingHttpClient(TwilioHttpClient):
    """A ``TwilioHttpClient`` that sends every request to ``base_url`` instead of Twilio's hosts, and keeps
    the last response so the gateway can read headers (``Retry-After``) the library does not surface."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(base_url) if base_url else None
        self.last_response: Response | None = None

    def rewrite(self, url: str) -> str:
        if self._base is None:
            return url
        parts = urlsplit(url)
        path = self._base.path.rstrip("/") + parts.path
        return urlunsplit((self._base.scheme, self._base.netloc, path, parts.query, parts.fragment))

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        self.last_response = None
        response: Response = super().request(
            method, self.rewrite(url), params, data, headers, auth, timeout, allow_redirects
        )
        self.last_response = response
        return response


class _ScrubLogRecords(logging.Filter):
    """The library logs response headers, which a proxy may fill with the request's credentials."""

    def filter(self, record: logging.LogRecord) -> bool:
        with contextlib.suppress(Exception):  # a malformed record is logging's to report, not ours
            record.msg, record.args = scrub(record.getMessage()), None
        return True


logging.getLogger("twilio.http_client").addFilter(_ScrubLogRecords())


def _error_from_body(status: int, text: str) -> tuple[int | None, str, str | None]:
    try:
        body = json.loads(text)
    except ValueError:
        return None, scrub(text)[:200] or f"HTTP {status}", None  # scrubbed first: never half a secret
    if not isinstance(body, dict):
        return None, scrub(text)[:200], None
    code, more = body.get("code"), body.get("more_info")
    more = scrub(more) if isinstance(more, str) else more
    return (code if isinstance(code, int) else None), scrub(str(body.get("message", ""))), more


class Gateway:
    """Typed calls to Twilio for one account's credentials.

    Thread-safe: each thread gets its own ``twilio.rest.Client`` (and so its own ``requests.Session``),
    because the Pulumi provider server runs up to four calls at once on one provider instance.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        api_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.credentials = credentials
        self.api_url = api_url
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._local = threading.local()

    def settle(self, read: Callable[[], T], settled: Callable[[T], bool], *, reads: int = 4) -> T:
        """Read back after a write until ``settled`` says the write shows, at most ``reads`` times, waiting
        the retry policy's backoff in between: a write may take a moment to become visible."""
        found = read()
        for attempt in range(reads - 1):
            if settled(found):
                break
            self._sleep(min(self.retry.max_delay, self.retry.base_delay * 2**attempt))
            found = read()
        return found

    def __repr__(self) -> str:
        return f"Gateway(account_sid={self.credentials.account_sid!r}, api_url={self.api_url!r})"

    @property
    def client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = Client(
                self.credentials.username,
                self.credentials.password,
                account_sid=self.credentials.account_sid,
                http_client=RedirectingHttpClient(self.api_url, self.timeout),
            )
            self._local.client = client
        return client

    # ------------------------------------------------------------------------------------ plumbing
    def _call(self, method: str, path: str, fn: Callable[[], T], *, idempotent: bool = True) -> T:
        """Run one library call, retrying what is safe to retry (see :class:`RetryPolicy`)."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return self._call_once(method, path, fn)
            except TwilioApiError as error:
                if not self._retryable(error, idempotent):
                    raise
                elapsed = time.monotonic() - started
                delay = self.retry.delay(attempt, self._retry_after())
                attempt += 1
                if elapsed + delay > self.retry.timeout:
                    error.message += f" (gave up after {attempt} attempts in {elapsed:.1f}s)"
                    raise
                self._sleep(delay)

    @staticmethod
    def _retryable(error: TwilioApiError, idempotent: bool) -> bool:
        if isinstance(error, RateLimitedError):
            return True
        return idempotent and (isinstance(error, TwilioConnectionError) or error.status in RETRYABLE_STATUSES)

    def _retry_after(self) -> float | None:
        response = self.client.http_client.last_response
        value = response.headers.get("Retry-After") if response is not None and response.headers else None
        try:
            return max(0.0, float(value)) if value is not None else None
        except ValueError:
            return None

    def _call_once(self, method: str, path: str, fn: Callable[[], T]) -> T:
        """Run one library call and translate every failure into this package's exceptions."""
        try:
            return fn()
        except TwilioRestException as error:
            message = str(error.msg).split(": ", 1)[-1] if error.msg else f"HTTP {error.status}"
            raise self._api_error(error.status, error.code, message, method, path, None) from None
        except TwilioException as error:
            # List/page failures raise a plain TwilioException("Unable to fetch page", response).
            response = error.args[1] if len(error.args) > 1 else None
            if isinstance(response, Response):
                code, message, more = _error_from_body(response.status_code, response.text)
                raise self._api_error(response.status_code, code, message, method, path, more) from None
            raise TwilioApiError(scrub(str(error)), status=0, code=None, method=method, path=path) from None
        except requests.RequestException as error:
            raise TwilioConnectionError(type(error).__name__, method=method, path=path) from None

    def _api_error(
        self, status: int, code: int | None, message: str, method: str, path: str, more_info: str | None
    ) -> TwilioApiError:
        message = scrub(message)
        kwargs: dict[str, Any] = {
            "status": status,
            "code": code,
            "method": method,
            "path": path,
            "more_info": more_info,
        }
        if code == 20003 or status == 401:
            who = self.credentials.username
            target = self.credentials.account_sid
            via = "" if who == target else f" (API key {who})"
            return AuthenticationError(
                f"{message}. Twilio refused the credentials of account {target}{via}: check that the SID and "
                "its auth token or API secret match and belong to the account being managed, and that the "
                "account is active",
                **kwargs,
            )
        if code == 20404 or status == 404:
            return NotFoundError(message, **kwargs)
        if code == 20429 or status == 429:
            return RateLimitedError(message, **kwargs)
        return TwilioApiError(message, **kwargs)

    # ------------------------------------------------------------------------------ voice v1
    def list_countries(
        self,
        *,
        iso_code: str | None = None,
        continent: str | None = None,
        country_code: str | None = None,
        low_risk_numbers_enabled: bool | None = None,
        high_risk_special_numbers_enabled: bool | None = None,
        high_risk_tollfraud_numbers_enabled: bool | None = None,
    ) -> list[DialingPermissionsCountry]:
        """Every matching country with its flags; one request for the whole table (page size 1000)."""
        filters = {
            "iso_code": iso_code,
            "continent": continent,
            "country_code": country_code,
            "low_risk_numbers_enabled": low_risk_numbers_enabled,
            "high_risk_special_numbers_enabled": high_risk_special_numbers_enabled,
            "high_risk_tollfraud_numbers_enabled": high_risk_tollfraud_numbers_enabled,
        }
        countries = self.client.voice.v1.dialing_permissions.countries
        records = self._call(
            "GET",
            "/v1/DialingPermissions/Countries",
            lambda: countries.list(page_size=MAX_PAGE_SIZE, **{k: v for k, v in filters.items() if v is not None}),
        )
        return [_country(r) for r in records]

    def fetch_country(self, iso_code: str) -> DialingPermissionsCountry:
        path = f"/v1/DialingPermissions/Countries/{iso_code}"
        context = self.client.voice.v1.dialing_permissions.countries(iso_code)
        return _country(self._call("GET", path, context.fetch))

    def list_high_risk_special_prefixes(self, iso_code: str) -> list[str]:
        path = f"/v1/DialingPermissions/Countries/{iso_code}/HighRiskSpecialPrefixes"
        prefixes = self.client.voice.v1.dialing_permissions.countries(iso_code).highrisk_special_prefixes
        records = self._call("GET", path, lambda: prefixes.list(page_size=MAX_PAGE_SIZE))
        return [str(r.prefix) for r in records]

    def bulk_update_countries(self, updates: Sequence[CountryPermissionUpdate]) -> BulkCountryUpdateResult:
        """Write the given countries in one BulkCountryUpdates request (the caller chunks)."""
        if not updates:
            raise ValueError("bulk_update_countries needs at least one update")
        payload = json.dumps([u.model_dump() for u in updates])
        bulk = self.client.voice.v1.dialing_permissions.bulk_country_updates
        result = self._call(
            "POST", "/v1/DialingPermissions/BulkCountryUpdates", lambda: bulk.create(update_request=payload)
        )
        return BulkCountryUpdateResult(update_count=result.update_count or 0, update_request=result.update_request)

    def fetch_dialing_permissions_inheritance(self) -> bool:
        settings = self.client.voice.v1.dialing_permissions.settings()
        return bool(self._call("GET", "/v1/Settings", settings.fetch).dialing_permissions_inheritance)

    def update_dialing_permissions_inheritance(self, value: bool) -> bool:
        settings = self.client.voice.v1.dialing_permissions.settings()
        result = self._call("POST", "/v1/Settings", lambda: settings.update(dialing_permissions_inheritance=value))
        return bool(result.dialing_permissions_inheritance)

    # ------------------------------------------------------------------------------ api 2010
    def fetch_account(self, sid: str) -> AccountRecord:
        context = self.client.api.v2010.accounts(sid)
        return _account(self._call("GET", f"/2010-04-01/Accounts/{sid}.json", context.fetch))

    def list_accounts(self, *, friendly_name: str | None = None, status: str | None = None) -> list[AccountRecord]:
        """The calling account and its subaccounts."""
        accounts = self.client.api.v2010.accounts
        filters = {k: v for k, v in {"friendly_name": friendly_name, "status": status}.items() if v is not None}
        records = self._call(
            "GET", "/2010-04-01/Accounts.json", lambda: accounts.list(page_size=MAX_PAGE_SIZE, **filters)
        )
        return [_account(r) for r in records]

    def create_subaccount(self, friendly_name: str | None = None) -> AccountRecord:
        accounts = self.client.api.v2010.accounts
        kwargs = {"friendly_name": friendly_name} if friendly_name is not None else {}
        return _account(
            self._call("POST", "/2010-04-01/Accounts.json", lambda: accounts.create(**kwargs), idempotent=False)
        )

    def update_account(self, sid: str, *, friendly_name: str | None = None, status: str | None = None) -> AccountRecord:
        context = self.client.api.v2010.accounts(sid)
        kwargs = {k: v for k, v in {"friendly_name": friendly_name, "status": status}.items() if v is not None}
        return _account(self._call("POST", f"/2010-04-01/Accounts/{sid}.json", lambda: context.update(**kwargs)))

    def create_api_key(self, account_sid: str, friendly_name: str) -> ApiKeyRecord:
        keys = self.client.api.v2010.accounts(account_sid).new_keys
        key = self._call(
            "POST",
            f"/2010-04-01/Accounts/{account_sid}/Keys.json",
            lambda: keys.create(friendly_name=friendly_name),
            idempotent=False,
        )
        register_secret(key.secret, username=key.sid)
        return ApiKeyRecord(sid=key.sid, friendly_name=key.friendly_name or "", secret=key.secret)


def _country(record: Any) -> DialingPermissionsCountry:
    return DialingPermissionsCountry(
        iso_code=record.iso_code,
        name=record.name,
        continent=record.continent,
        country_codes=tuple(record.country_codes or ()),
        low_risk_numbers_enabled=bool(record.low_risk_numbers_enabled),
        high_risk_special_numbers_enabled=bool(record.high_risk_special_numbers_enabled),
        high_risk_tollfraud_numbers_enabled=bool(record.high_risk_tollfraud_numbers_enabled),
    )


def _account(record: Any) -> AccountRecord:
    if record.auth_token:
        register_secret(record.auth_token, username=record.sid)
    return AccountRecord(
        sid=record.sid,
        friendly_name=record.friendly_name or "",
        status=str(record.status),
        owner_account_sid=record.owner_account_sid,
        type=str(record.type),
        auth_token=record.auth_token,
    )
