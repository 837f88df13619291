"""Routes: parse HTTP requests into typed backend calls, and wrap every Twilio route in the same envelope
(request id, Basic auth, fault injection, concurrency cap, request log, Twilio error bodies)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from . import _responses as wire
from ._backend import FLAG_NAMES, Backend, CountryFilters, LoggedRequest, Principal, parse_bool
from ._errors import TwilioError
from ._faults import Fault

__all__ = ["build_app"]

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@dataclass(frozen=True)
class Call:
    """One authenticated Twilio request, parsed."""

    backend: Backend
    principal: Principal
    path: str
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    form: Mapping[str, str]
    apply: bool  # False under the "accept_not_apply" fault: validate and answer, change nothing


Handler = Callable[[Call], tuple[dict[str, Any], int]]


class _EchoCredentialsError(Exception):
    """Raised inside the concurrency slot under the ``echo_credentials`` fault; ``wire.echo_response`` answers."""

    def __init__(self, status: int, echo_format: str) -> None:
        super().__init__(status, echo_format)
        self.status = status
        self.echo_format = echo_format


class ConnectionDroppedError(Exception):
    """Raised after the status line went out, so the server closes the connection mid-response."""


class _DroppedConnection(Response):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4096")]})
        raise ConnectionDroppedError


class _HideDroppedConnections(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDroppedError))


logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())


def _basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else (username, None)


def _standard_headers(request_id: str, started: float, concurrent: int) -> dict[str, str]:
    return {
        "Twilio-Request-Id": request_id,
        "Twilio-Concurrent-Requests": str(concurrent),
        "Twilio-Request-Duration": f"{time.perf_counter() - started:.3f}",
        "X-Home-Region": "us1",
        "X-Api-Domain": "voice.twilio.com",
        "X-Powered-By": "AT-5000",
        "X-Shenanigans": "none",
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers": "Accept, Authorization, Content-Type, If-Match, If-Modified-Since, "
        "If-None-Match, If-Unmodified-Since, Idempotency-Key",
        "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
        "Access-Control-Expose-Headers": "ETag",
        "Access-Control-Allow-Credentials": "true",
    }


def twilio_endpoint(backend: Backend, handlers: Mapping[str, Handler]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        request_id = wire.new_request_id()
        method, path = request.method, request.url.path
        query = dict(request.query_params)
        body = (await request.body()).decode("utf-8", errors="replace")
        form = dict(parse_qsl(body, keep_blank_values=True)) if method in ("POST", "PUT") else {}
        principal: Principal | None = None
        fault_kinds: tuple[str, ...] = ()
        concurrent = 0
        response: Response
        try:
            principal = backend.authenticate(*_basic_credentials(request.headers.get("authorization")))
            decision = backend.faults.decide(method, path, principal.account.sid)
            fault_kinds = tuple(decision.kinds)
            with backend.concurrency_slot(principal.account.sid) as concurrent:
                if decision.latency:
                    await asyncio.sleep(decision.latency)
                if decision.error_status == 429:
                    raise TwilioError.too_many_requests()
                if decision.error_status is not None:
                    raise TwilioError.server_error(decision.error_status)
                if decision.echo_status is not None:
                    raise _EchoCredentialsError(decision.echo_status, decision.echo_format)
                handler = handlers.get(method)
                if handler is None:
                    raise TwilioError.method_not_allowed(method, path)
                call = Call(backend, principal, path, request.path_params, query, form, not decision.accept_not_apply)
                payload, status = handler(call)
            headers = _standard_headers(request_id, started, concurrent)
            response = (
                wire.garbled_response(payload, status, headers)
                if decision.garble
                else wire.json_response(payload, status, headers)
            )
            if decision.drop:
                response = _DroppedConnection(status_code=200)
        except TwilioError as error:
            headers = _standard_headers(request_id, started, concurrent)
            if error.status == 429 and backend.settings.retry_after_seconds is not None:
                headers["Retry-After"] = str(backend.settings.retry_after_seconds)
            response = wire.error_response(error, headers)
        except _EchoCredentialsError as echo:
            # The raw header goes into this answer only: the request log keeps the credential's SID, as ever.
            authorization = request.headers.get("authorization", "")
            headers = _standard_headers(request_id, started, concurrent)
            response = wire.echo_response(echo.status, echo.echo_format, authorization, body, headers)
        backend.record(
            LoggedRequest(
                request_id=request_id,
                method=method,
                path=path,
                query=query,
                form=form,
                account_sid=principal.account.sid if principal else None,
                credential_sid=principal.credential_sid if principal else None,
                status=0 if isinstance(response, _DroppedConnection) else response.status_code,
                faults=fault_kinds,
                received_at=time.time(),
            )
        )
        return response

    return endpoint


# ---------------------------------------------------------------------------------------- parsing
def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise TwilioError.invalid_parameter(f"{name} must be an integer, not {raw!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise TwilioError.invalid_parameter(f"{name} must be {bounds}, not {value}")
    return value


def _page_request(query: Mapping[str, str]) -> wire.PageRequest:
    return wire.PageRequest(
        page_size=_int_param(query, "PageSize", 50, 1, 1000),
        page=_int_param(query, "Page", 0, 0, None),
        page_token=query.get("PageToken") or None,
    )


def _bool_param(query: Mapping[str, str], name: str) -> bool | None:
    raw = query.get(name)
    if raw is None:
        return None
    parsed = parse_bool(raw)
    if parsed is None:
        raise TwilioError.invalid_parameter(f"{name} must be true or false, not {raw!r}")
    return parsed


COUNTRY_FILTERS = (
    ("IsoCode", "iso_code"),
    ("Continent", "continent"),
    ("CountryCode", "country_code"),
    ("LowRiskNumbersEnabled", FLAG_NAMES[0]),
    ("HighRiskSpecialNumbersEnabled", FLAG_NAMES[1]),
    ("HighRiskTollfraudNumbersEnabled", FLAG_NAMES[2]),
)


# ---------------------------------------------------------------------------------------- voice v1
def list_countries(call: Call) -> tuple[dict[str, Any], int]:
    values: dict[str, Any] = {}
    for param, field in COUNTRY_FILTERS:
        values[field] = _bool_param(call.query, param) if field in FLAG_NAMES else call.query.get(param)
    page = _page_request(call.query)
    rows = call.backend.list_countries(call.principal, CountryFilters(**values))
    window = wire.PageSlice.of(page, len(rows))
    filters = [(param, call.query[param]) for param, _ in COUNTRY_FILTERS if param in call.query]
    items = [wire.country_body(c, f) for c, f in window.items(rows)]
    return wire.v1_page_body("content", call.path, filters, window, items, page.page_token), 200


def fetch_country(call: Call) -> tuple[dict[str, Any], int]:
    country, flags = call.backend.fetch_country(call.principal, call.path_params["iso_code"])
    return wire.country_body(country, flags), 200


def list_high_risk_special_prefixes(call: Call) -> tuple[dict[str, Any], int]:
    page = _page_request(call.query)
    prefixes = call.backend.high_risk_special_prefixes(call.path_params["iso_code"])
    window = wire.PageSlice.of(page, len(prefixes))
    items = [{"prefix": p} for p in window.items(prefixes)]
    return wire.v1_page_body("content", call.path, [], window, items, page.page_token), 200


def bulk_country_updates(call: Call) -> tuple[dict[str, Any], int]:
    raw = call.form.get("UpdateRequest")
    count = call.backend.bulk_update(call.principal, raw, apply=call.apply)
    settings = call.backend.settings
    return {
        "update_count": count if settings.bulk_update_count == "entries" else 1,
        "update_request": raw if settings.bulk_update_request == "echo" else "accepted",
    }, 201


def fetch_settings(call: Call) -> tuple[dict[str, Any], int]:
    return wire.settings_body(call.backend.fetch_inheritance(call.principal)), 200


def update_settings(call: Call) -> tuple[dict[str, Any], int]:
    value = call.backend.update_inheritance(
        call.principal, call.form.get("DialingPermissionsInheritance"), apply=call.apply
    )
    return wire.settings_body(value), 202


# ---------------------------------------------------------------------------------------- api 2010
def _include_token(call: Call) -> bool:
    # Only an account's auth token reveals auth tokens: an API key (even a Main one) gets "" (see
    # EmulatorSettings.api_keys_see_auth_tokens).
    principal = call.principal
    return principal.api_key is None or (
        call.backend.settings.api_keys_see_auth_tokens and principal.may_manage_accounts
    )


def list_accounts(call: Call) -> tuple[dict[str, Any], int]:
    page = _page_request(call.query)
    accounts = call.backend.list_accounts(call.principal, call.query.get("FriendlyName"), call.query.get("Status"))
    window = wire.PageSlice.of(page, len(accounts))
    filters = [(p, call.query[p]) for p in ("FriendlyName", "Status") if p in call.query]
    items = [wire.account_body(a, include_auth_token=_include_token(call)) for a in window.items(accounts)]
    return wire.accounts_page_body(filters, window, items), 200


def create_account(call: Call) -> tuple[dict[str, Any], int]:
    account = call.backend.create_subaccount(call.principal, call.form.get("FriendlyName"))
    return wire.account_body(account, include_auth_token=_include_token(call)), 201


def fetch_account(call: Call) -> tuple[dict[str, Any], int]:
    account = call.backend.fetch_account(call.principal, call.path_params["sid"], call.path)
    return wire.account_body(account, include_auth_token=_include_token(call)), 200


def update_account(call: Call) -> tuple[dict[str, Any], int]:
    account = call.backend.update_account(
        call.principal,
        call.path_params["sid"],
        call.path,
        friendly_name=call.form.get("FriendlyName"),
        status=call.form.get("Status"),
        apply=call.apply,
    )
    return wire.account_body(account, include_auth_token=_include_token(call)), 200


def create_key(call: Call) -> tuple[dict[str, Any], int]:
    key = call.backend.create_key(call.principal, call.path_params["sid"], call.path, call.form.get("FriendlyName"))
    return wire.key_body(key), 201


def create_call(call: Call) -> tuple[dict[str, Any], int]:
    form = call.form
    placed = call.backend.create_call(
        call.principal,
        call.path_params["sid"],
        call.path,
        to=form.get("To") or None,
        from_=form.get("From") or None,
        has_instructions=any(form.get(name) for name in ("Url", "Twiml", "ApplicationSid")),
        apply=call.apply,
    )
    return wire.call_body(placed), 201


# ---------------------------------------------------------------------------------------- monitor v1
def _date_param(query: Mapping[str, str], name: str, *, end: bool) -> datetime | None:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ`` in GMT (the Monitor spec). A bare date as ``EndDate``
    covers that whole day ("on or before this date")."""
    raw = query.get(name)
    if raw is None:
        return None
    for form in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(raw, form).replace(tzinfo=UTC)
        except ValueError:
            continue
        if form == "%Y-%m-%d" and end:
            moment += timedelta(days=1, seconds=-1)
        return moment
    raise TwilioError.invalid_parameter(f"{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, not {raw!r}")


ALERT_FILTERS = ("LogLevel", "StartDate", "EndDate")


def list_alerts(call: Call) -> tuple[dict[str, Any], int]:
    page = _page_request(call.query)
    alerts = call.backend.list_alerts(
        call.principal,
        log_level=call.query.get("LogLevel"),
        start=_date_param(call.query, "StartDate", end=False),
        end=_date_param(call.query, "EndDate", end=True),
    )
    window = wire.PageSlice.of(page, len(alerts))
    filters = [(param, call.query[param]) for param in ALERT_FILTERS if param in call.query]
    items = [wire.alert_body(a) for a in window.items(alerts)]
    body = wire.v1_page_body("alerts", call.path, filters, window, items, page.page_token, host=wire.MONITOR_BASE)
    return body, 200


def not_found(call: Call) -> tuple[dict[str, Any], int]:
    path = call.path[3:] if call.path.startswith("/v1/") else call.path
    raise TwilioError.not_found(path)


# ---------------------------------------------------------------------------------------- control
def _control_routes(backend: Backend) -> list[Route]:
    """The emulator-only surface under ``/__emulator__``: no auth, never logged as a Twilio request."""
    # What ``reset`` goes back to: the settings the emulator was started with (defaults, or --settings FILE).
    initial_settings = dataclasses.replace(backend.settings)

    def guarded(fn: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                result = await fn(request)
            except (ValueError, KeyError, TypeError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)
            return JSONResponse(result)

        return endpoint

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        data = json.loads(raw) if raw else {}
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data

    async def requests(request: Request) -> Any:
        if request.method == "DELETE":
            backend.clear_request_log()
            return {"cleared": True}
        return [entry.as_dict() for entry in backend.request_log()]

    async def reset(request: Request) -> Any:
        backend.reset()
        backend.settings.restore(initial_settings)
        return {"reset": True}

    async def faults(request: Request) -> Any:
        if request.method == "DELETE":
            backend.faults.clear()
        elif request.method == "POST":
            backend.faults.add(Fault(**await body(request)))
        return [dataclasses.asdict(f) for f in backend.faults.active()]

    async def settings(request: Request) -> Any:
        if request.method == "POST":
            backend.settings.update(await body(request))
        return backend.settings.to_dict()

    async def accounts(request: Request) -> Any:
        data = await body(request)
        parent = data.pop("parent_sid", None)
        if parent is None:
            account = backend.create_main_account(**data)
        else:
            account = backend.create_subaccount(Principal(backend.accounts[parent]), data.get("friendly_name"))
        return {
            "sid": account.sid,
            "auth_token": account.auth_token,
            "owner_account_sid": account.owner_account_sid,
        }

    async def keys(request: Request) -> Any:
        data = await body(request)
        key = backend.create_api_key(request.path_params["sid"], kind=data.get("kind", "standard"))
        return {"sid": key.sid, "secret": key.secret, "account_sid": key.account_sid, "kind": key.kind}

    async def country(request: Request) -> Any:
        sid, iso = request.path_params["sid"], request.path_params["iso_code"]
        if request.method == "PUT":
            data = await body(request)
            unknown = set(data) - set(FLAG_NAMES)
            if unknown:
                raise ValueError(f"unknown flags {sorted(unknown)}")
            backend.set_flags(sid, iso, **data)
        return {
            "stored": backend.stored_flags(sid, iso).as_dict(),
            "effective": backend.effective_flags(sid, iso).as_dict(),
        }

    async def inheritance(request: Request) -> Any:
        sid = request.path_params["sid"]
        if request.method == "PUT":
            backend.set_inheritance(sid, bool((await body(request))["dialing_permissions_inheritance"]))
        return {"dialing_permissions_inheritance": backend.accounts[sid].inheritance}

    return [
        Route("/health", guarded(lambda r: _const({"ok": True})), methods=["GET"]),
        Route("/requests", guarded(requests), methods=["GET", "DELETE"]),
        Route("/reset", guarded(reset), methods=["POST"]),
        Route("/faults", guarded(faults), methods=["GET", "POST", "DELETE"]),
        Route("/settings", guarded(settings), methods=["GET", "POST"]),
        Route("/accounts", guarded(accounts), methods=["POST"]),
        Route("/accounts/{sid}/keys", guarded(keys), methods=["POST"]),
        Route("/accounts/{sid}/countries/{iso_code}", guarded(country), methods=["GET", "PUT"]),
        Route("/accounts/{sid}/inheritance", guarded(inheritance), methods=["GET", "PUT"]),
    ]


async def _const(value: Any) -> Any:
    return value


CONTROL_PREFIX = "/__emulator__"


def build_app(backend: Backend) -> Starlette:
    def twilio(path: str, handlers: Mapping[str, Handler]) -> Route:
        return Route(path, twilio_endpoint(backend, handlers), methods=ALL_METHODS)

    return Starlette(
        routes=[
            twilio("/v1/DialingPermissions/Countries", {"GET": list_countries}),
            twilio("/v1/DialingPermissions/Countries/{iso_code}", {"GET": fetch_country}),
            twilio(
                "/v1/DialingPermissions/Countries/{iso_code}/HighRiskSpecialPrefixes",
                {"GET": list_high_risk_special_prefixes},
            ),
            twilio("/v1/DialingPermissions/BulkCountryUpdates", {"POST": bulk_country_updates}),
            twilio("/v1/Settings", {"GET": fetch_settings, "POST": update_settings}),
            twilio("/2010-04-01/Accounts.json", {"GET": list_accounts, "POST": create_account}),
            twilio("/2010-04-01/Accounts/{sid}.json", {"GET": fetch_account, "POST": update_account}),
            twilio("/2010-04-01/Accounts/{sid}/Keys.json", {"POST": create_key}),
            twilio("/2010-04-01/Accounts/{sid}/Calls.json", {"POST": create_call}),
            # monitor.twilio.com: the gateway keeps paths when it redirects hosts, and /v1/Alerts is unique.
            twilio("/v1/Alerts", {"GET": list_alerts}),
            Mount(CONTROL_PREFIX, routes=_control_routes(backend)),
            twilio("/{path:path}", dict.fromkeys(ALL_METHODS, not_found)),
        ]
    )
