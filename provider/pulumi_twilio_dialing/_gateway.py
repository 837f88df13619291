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
import math
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3.exceptions
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from ._exceptions import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    RateLimitedError,
    TwilioApiError,
    TwilioConnectionError,
    TwilioRequestError,
)
from ._models import (
    AccountRecord,
    AlertRecord,
    ApiKeyRecord,
    BulkCountryUpdateResult,
    CountryPermissionUpdate,
    CountryRecord,
)
from ._redact import register_secret, scrub

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "Credentials", "Gateway", "HostBudget", "RedirectingHttpClient", "RetryPolicy"]

DEFAULT_TIMEOUT_SECONDS = 30.0
# One list request returns the whole ~218-country table: Twilio's maximum page size.
MAX_PAGE_SIZE = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class Credentials:
    """What authenticates one account: its SID and auth token, or one of its API keys and the secret.

    ``account_sid`` is always the account acted on; ``username`` is the SID presented (``AC...`` or
    ``SK...``); ``source`` says where the secret came from (``stack config twilio:authToken``, an
    environment variable, ...), so that a refusal can name it without showing it.
    The secret is excluded from repr so it cannot leak through logs or tracebacks.
    """

    account_sid: str
    username: str
    password: str = field(repr=False)
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.password:
            # An empty token is Twilio's way of saying "no token" (API keys reading a subaccount): never
            # present it, it can only be refused.
            raise ValueError(f"credentials of {self.account_sid} have an empty secret")
        register_secret(self.password, username=self.username)

    @classmethod
    def auth_token(cls, account_sid: str, auth_token: str, *, source: str = "") -> Credentials:
        return cls(account_sid=account_sid, username=account_sid, password=auth_token, source=source)

    @classmethod
    def api_key(cls, account_sid: str, api_key: str, api_secret: str, *, source: str = "") -> Credentials:
        return cls(account_sid=account_sid, username=api_key, password=api_secret, source=source)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter for answers that are safe to repeat.

    429/20429 is always retried (Twilio never processes such a request); 5xx answers and lost connections
    only for idempotent calls (every write here sets absolute values, except creating a subaccount or an
    API key). ``Retry-After`` is honoured, but never below this attempt's backoff (``Retry-After: 0``
    would otherwise hammer Twilio hundreds of times a minute). After ``timeout`` seconds in all (see
    :class:`HostBudget` for how earlier calls count), the last error is raised, saying how many attempts
    were made; a ``Retry-After`` longer than what is left of ``timeout`` is not waited for: the error
    says so and gives the wait.
    """

    base_delay: float = 0.5
    max_delay: float = 8.0
    timeout: float = 60.0

    def ceiling(self, attempt: int) -> float:
        """The longest wait before retry number ``attempt + 1``: the backoff, doubling up to ``max_delay``."""
        return float(min(self.max_delay, self.base_delay * 2.0**attempt))

    def delay(self, attempt: int, retry_after: float | None) -> float:
        ceiling = self.ceiling(attempt)
        if retry_after is not None:
            return max(retry_after, ceiling)
        return random.uniform(ceiling / 2, ceiling)


@dataclass
class _Streak:
    started: float  # when the first call that met this trouble started
    answered: bool  # the host answered (429, 5xx) rather than not at all (refused, timed out)
    attempts: int


class HostBudget:
    """The retry budget of one provider process, per host: how long a host has been failing.

    A call's retries stop ``RetryPolicy.timeout`` seconds after it started, or after the first call that
    met the host's current run of failures (429, 5xx, no answer or an unreadable one) started, whichever is
    earlier; any usable answer from the host ends the run. So one operation spends at most ``retryTimeout``
    in all, even across the provider calls the engine makes for it (check, then create): a create after a
    check that already retried for the whole budget tries once (a host that answers, if badly: 429, 5xx, a
    dropped, slow or unreadable answer) or not at all (a host that cannot be reached: refused, DNS, connect
    timeout, which would only cost another timeout), and fails at once saying why.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streaks: dict[str, _Streak] = {}

    def trouble(self, host: str) -> _Streak | None:
        with self._lock:
            streak = self._streaks.get(host)
            return None if streak is None else _Streak(streak.started, streak.answered, streak.attempts)

    def failed(self, host: str, started: float, *, answered: bool) -> None:
        with self._lock:
            streak = self._streaks.get(host)
            if streak is None:
                self._streaks[host] = _Streak(started, answered, 1)
            else:
                streak.attempts += 1
                streak.answered = answered

    def answered(self, host: str) -> None:
        with self._lock:
            self._streaks.pop(host, None)


# A retry never gets less than this to connect and answer (requests refuses a timeout of 0).
MIN_ATTEMPT_TIMEOUT = 0.1


RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


class RedirectingHttpClient(TwilioHttpClient):
    """A ``TwilioHttpClient`` that sends every request to ``base_url`` instead of Twilio's hosts, and keeps
    the last response so the gateway can read headers (``Retry-After``) the library does not surface."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(base_url) if base_url else None
        self.last_response: Response | None = None
        # Set by the gateway for a retry, so that it never runs past the call's retry budget.
        self.attempt_timeout: float | None = None

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
        if timeout is None:
            timeout = self.attempt_timeout
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
        api_url_source: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        budget: HostBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (math.isfinite(timeout) and timeout > 0):
            raise ValueError("timeout must be a positive, finite number of seconds")
        self.credentials = credentials
        self.api_url = api_url
        self.api_url_source = api_url_source  # the setting api_url came from, named in connection errors
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.budget = budget or HostBudget()
        self._sleep = sleep
        self._local = threading.local()

    def settle(self, read: Callable[[], T], settled: Callable[[T], bool], *, reads: int = 4) -> T:
        """Read back after a write until ``settled`` says the write shows, at most ``reads`` times, waiting
        the retry policy's backoff in between: a write may take a moment to become visible."""
        found = read()
        for attempt in range(reads - 1):
            if settled(found):
                break
            self._sleep(self.retry.ceiling(attempt))
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
    def host(self, path: str) -> str:
        """The host a request for ``path`` goes to (``host:port`` of the API URL when one is set)."""
        if self.api_url:
            return urlsplit(self.api_url).netloc
        if path.startswith("/2010-04-01/"):
            return "api.twilio.com"
        return "monitor.twilio.com" if path.startswith("/v1/Alerts") else "voice.twilio.com"

    def _where(self) -> str:
        """Which setting sends requests to that host, for messages about a host that does not answer."""
        if not self.api_url_source:
            return ""
        return (
            f"; {self.api_url_source} is {self.api_url}: check that it points at a running emulator, "
            "or unset it to talk to Twilio"
        )

    def _call(self, method: str, path: str, fn: Callable[[], T], *, idempotent: bool = True) -> T:
        """Run one library call, retrying what is safe to retry within the budget (see :class:`RetryPolicy`
        and :class:`HostBudget`)."""
        host = self.host(path)
        started = time.monotonic()
        streak = self.budget.trouble(host)
        since = started if streak is None else min(started, streak.started)
        deadline = since + self.retry.timeout
        if streak is not None and not streak.answered and started >= deadline:
            raise TwilioConnectionError(
                f"not sent: {host} has given no answer to {streak.attempts} attempts in the last "
                f"{started - streak.started:.1f}s, and the retry budget (twilio-dialing:retryTimeout, "
                f"{self.retry.timeout:g}s) is spent for this run{self._where()}",
                method=method,
                path=path,
            )
        attempt = 0
        while True:
            # The first attempt gets the whole request timeout; a retry never runs past the deadline.
            remaining = deadline - time.monotonic()
            self._http.attempt_timeout = (
                None if attempt == 0 else max(MIN_ATTEMPT_TIMEOUT, min(self.timeout, remaining))
            )
            try:
                result = self._call_once(method, path, fn)
            except _PermanentConnectionError:
                raise
            except TwilioRequestError as error:
                if not self._retryable(error, idempotent=True):  # a refusal, not trouble on the way
                    self.budget.answered(host)  # an answer, even a refusal, shows the host is there
                    raise
                self.budget.failed(host, started, answered=not isinstance(error, _UnreachableError))
                attempt += 1
                if not self._retryable(error, idempotent):
                    raise
                now = time.monotonic()
                retry_after = self._retry_after()
                delay = self.retry.delay(attempt - 1, retry_after)
                if now + delay > deadline:
                    error.message += self._gave_up(attempt, now - started, since < started, retry_after, deadline - now)
                    raise
                self._sleep(delay)
            else:
                self.budget.answered(host)
                return result

    def _gave_up(self, attempts: int, elapsed: float, earlier: bool, retry_after: float | None, left: float) -> str:
        budget = f"twilio-dialing:retryTimeout, {self.retry.timeout:g}s"
        counted = ", counting the earlier requests of this run that met the same trouble" if earlier else ""
        if retry_after is not None and retry_after > max(left, 0.0):
            return (
                f" (gave up after {attempts} attempts in {elapsed:.1f}s: Twilio asked to wait {retry_after:g}s "
                f"before retrying (Retry-After), more than the {max(left, 0.0):.1f}s left of the retry budget "
                f"({budget}{counted}); run again in {retry_after:g}s or more)"
            )
        return f" (gave up after {attempts} attempts in {elapsed:.1f}s; retry budget: {budget}{counted})"

    @property
    def _http(self) -> RedirectingHttpClient:
        http = self.client.http_client
        if not isinstance(http, RedirectingHttpClient):  # pragma: no cover - the client property builds it
            raise TypeError("the gateway's client must use a RedirectingHttpClient")
        return http

    @staticmethod
    def _retryable(error: TwilioRequestError, idempotent: bool) -> bool:
        if isinstance(error, RateLimitedError):
            return True
        return idempotent and (
            isinstance(error, TwilioConnectionError)
            or (isinstance(error, TwilioApiError) and error.status in RETRYABLE_STATUSES)
        )

    def _retry_after(self) -> float | None:
        """The answer's ``Retry-After`` in seconds (a number, or an HTTP date), None if absent or unusable."""
        response = self._http.last_response
        value = response.headers.get("Retry-After") if response is not None and response.headers else None
        if value is None:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
        return max(0.0, seconds) if math.isfinite(seconds) else None

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
            status = getattr(error, "status", None)
            if isinstance(status, int):
                # twilio>=9.9 raises TwilioServiceException, no TwilioRestException, for an error body in RFC
                # 9457's form (type, title, status, code): an answer, and a refusal like any other.
                code = getattr(error, "code", None)
                message = str(getattr(error, "detail", None) or getattr(error, "title", None) or f"HTTP {status}")
                more = getattr(error, "type", None)
                api_code = code if isinstance(code, int) else None
                more_info = scrub(more) if isinstance(more, str) else None
                raise self._api_error(status, api_code, message, method, path, more_info) from None
            # Without a response: the library could not make records of a successful answer's JSON.
            raise self._unreadable(scrub(str(error)), method, path) from None
        except json.JSONDecodeError as error:
            # A success status whose body is not JSON (cut short, a proxy's page). The decoder's message says
            # where only; its ``doc`` is the body, which may hold a token, and is never shown.
            raise self._unreadable(f"not JSON: {error}", method, path) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
            raise self._connection_error(error, method, path) from None

    def _unreadable(self, why: str, method: str, path: str) -> TwilioConnectionError:
        """An answer that could not be read is no refusal: what it said is as unknown as a lost answer's."""
        response = self._http.last_response
        status = f"HTTP {response.status_code}" if response is not None else "an answer"
        return _UnreadableAnswerError(
            f"{status} from {self.host(path)} whose body could not be read ({why}); the request may or may not "
            "have been carried out",
            method=method,
            path=path,
        )

    def _connection_error(self, error: Exception, method: str, path: str) -> TwilioConnectionError | ConfigurationError:
        """No answer: say from which host and why, and whether retrying could help."""
        host = self.host(path)
        kind = type(error).__name__
        where = self._where()
        if isinstance(
            error,
            (
                requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema,
                requests.exceptions.URLRequired,
                urllib3.exceptions.LocationValueError,
            ),
        ):
            # Only a malformed base URL can do this (Twilio's own URLs are well formed): a setting to fix.
            setting = self.api_url_source or "the API URL"
            return ConfigurationError(
                f"{method} {path} was not sent: {kind}, the URL to {host!r} is malformed; fix {setting} "
                f"(it is {self.api_url!r}), e.g. http://127.0.0.1:8080, or unset it to talk to Twilio"
            )
        if isinstance(error, requests.exceptions.SSLError):
            reason = _ssl_reason(error)
            return _PermanentConnectionError(
                f"{kind}: TLS with {host} failed ({reason}); not retried, as it would fail the same way{where}",
                method=method,
                path=path,
            )
        dns = _gaierror(error)
        if dns is not None and dns.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            return _PermanentConnectionError(
                f"{kind}: the host name of {host} does not resolve (DNS: no such name); not retried{where}",
                method=method,
                path=path,
            )
        if isinstance(error, requests.exceptions.ReadTimeout):
            why = f"no answer from {host} within the request timeout (twilio-dialing:requestTimeout)"
        elif isinstance(error, requests.exceptions.ConnectTimeout):
            why = f"could not connect to {host} within the request timeout"
        elif dns is not None:
            why = f"DNS lookup of {host} failed ({dns.strerror})"
        elif _caused_by(error, ConnectionRefusedError):
            why = f"{host} refused the connection"
        else:
            why = f"the connection to {host} failed or was dropped"
        unreachable = isinstance(error, requests.exceptions.ConnectTimeout) or _caused_by(
            error, urllib3.exceptions.NewConnectionError
        )
        # Only a request that never reached the host counts towards "gives no answer" (see HostBudget): a
        # dropped or slow answer shows the host is there, and the next request may well get through.
        kind_of_error = _UnreachableError if unreachable else TwilioConnectionError
        return kind_of_error(f"{kind}: {why}{where}", method=method, path=path)

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
            return AuthenticationError(f"{message}. {_refusal(self.credentials)}", **kwargs)
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
    ) -> list[CountryRecord]:
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

    def fetch_country(self, iso_code: str) -> CountryRecord:
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
        return self.send_bulk_update([u.model_dump() for u in updates])

    def send_bulk_update(self, entries: Sequence[Mapping[str, object]]) -> BulkCountryUpdateResult:
        """One BulkCountryUpdates request holding ``entries`` exactly as given. The provider sends whole
        entries only (:meth:`bulk_update_countries`); ``twilio-dialing probe`` sends a partial one on
        purpose, to measure what Twilio makes of an omitted flag."""
        payload = json.dumps([dict(e) for e in entries])
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

    # ------------------------------------------------------------------------------ monitor v1
    def list_alerts(self, *, start_date: datetime | None = None) -> list[AlertRecord]:
        """The account's Monitor alerts generated since ``start_date`` (every page, 1000 a page). Monitor
        filters only by log level and dates, so callers filter error codes themselves."""
        alerts = self.client.monitor.v1.alerts
        kwargs = {"start_date": start_date} if start_date is not None else {}
        records = self._call("GET", "/v1/Alerts", lambda: alerts.list(page_size=MAX_PAGE_SIZE, **kwargs))
        return [
            AlertRecord(
                sid=r.sid,
                account_sid=r.account_sid,
                error_code=str(r.error_code or ""),
                alert_text=scrub(str(r.alert_text or "")),
                log_level=str(r.log_level or ""),
                date_generated=r.date_generated,
            )
            for r in records
        ]

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


def _refusal(credentials: Credentials) -> str:
    """What a 401 means for these credentials: which account, which credential and where it came from
    (never its value), and what to do."""
    who, target, source = credentials.username, credentials.account_sid, credentials.source
    via = "" if who == target else f" (API key {who})"
    origin = f", taken from {source}" if source else ""
    advice = (
        "check that the SID and its auth token or API secret match and belong to the account being managed, "
        "and that the account is active"
    )
    if source.startswith("stack config"):
        advice += (
            ". Stack config wins over the environment, so a rotated secret must be set there "
            "(pulumi config set --secret <key> <new value>); destroy and refresh use the config of the last up"
        )
    elif source.startswith("environment variable"):
        advice += ". The environment is read afresh by every command: export the current value and run again"
    return f"Twilio refused the credentials of account {target}{via}{origin}: {advice}"


class _PermanentConnectionError(TwilioConnectionError):
    """No answer, and retrying cannot bring one (TLS refused, a name that does not exist): fail at once."""


class _UnreachableError(TwilioConnectionError):
    """The request never reached the host (refused, DNS failure, connect timeout): nothing was sent."""


class _UnreadableAnswerError(TwilioConnectionError):
    """An answer came but could not be read (a body cut short, not JSON, not shaped like Twilio's): the host
    is there, but whether the request was carried out is as unknown as after a lost answer, so it is one
    for every caller (retried when idempotent, "may have happened" for writes), never a refusal."""

    def __str__(self) -> str:
        return f"{self.method} {self.path} got an unreadable answer: {self.message}"


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it wraps (``args``, urllib3's ``reason``, causes and contexts)."""
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [*current.args, getattr(current, "reason", None), current.__cause__, current.__context__]
        todo.extend(e for e in linked if isinstance(e, BaseException))


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    return any(isinstance(e, kind) for e in _chain(error))


def _gaierror(error: BaseException) -> socket.gaierror | None:
    return next((e for e in _chain(error) if isinstance(e, socket.gaierror)), None)


def _ssl_reason(error: BaseException) -> str:
    inner = next((e for e in _chain(error) if isinstance(e, ssl.SSLError)), None)
    reason = getattr(inner, "reason", None) or getattr(inner, "verify_message", None)
    return scrub(str(reason or "TLS handshake refused"))[:120]


def _country(record: Any) -> CountryRecord:
    return CountryRecord(
        iso_code=record.iso_code,
        name=record.name,
        continent=record.continent,
        country_codes=tuple(record.country_codes or ()),
        low_risk_numbers_enabled=bool(record.low_risk_numbers_enabled),
        high_risk_special_numbers_enabled=bool(record.high_risk_special_numbers_enabled),
        high_risk_tollfraud_numbers_enabled=bool(record.high_risk_tollfraud_numbers_enabled),
    )


def _account(record: Any) -> AccountRecord:
    # Twilio answers an API key's read of a subaccount with "auth_token": "" (no token): keep it as None,
    # so that nothing ever presents an empty token.
    token = record.auth_token or None
    if token:
        register_secret(token, username=record.sid)
    return AccountRecord(
        sid=record.sid,
        friendly_name=record.friendly_name or "",
        status=str(record.status),
        owner_account_sid=record.owner_account_sid,
        type=str(record.type),
        auth_token=token,
    )
