"""The wire format: Twilio's JSON bodies, pagination blocks and headers."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from ._backend import Account, Alert, ApiKey, Flags, PlacedCall
from ._data import Country
from ._errors import TwilioError

__all__ = [
    "MONITOR_BASE",
    "VOICE_BASE",
    "PageRequest",
    "PageSlice",
    "account_body",
    "accounts_page_body",
    "alert_body",
    "call_body",
    "country_body",
    "echo_response",
    "error_response",
    "garbled_response",
    "json_response",
    "key_body",
    "new_request_id",
    "settings_body",
    "v1_page_body",
]

VOICE_BASE = "https://voice.twilio.com"
MONITOR_BASE = "https://monitor.twilio.com"
API_2010_PREFIX = "/2010-04-01"


def new_request_id() -> str:
    return "RQ" + secrets.token_hex(16)


def json_response(body: Mapping[str, Any], status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body),
        status_code=status,
        media_type="application/json",
        headers=dict(headers or {}),
    )


def garbled_response(body: Mapping[str, Any], status: int, headers: Mapping[str, str] | None = None) -> Response:
    """The answer :func:`json_response` would give, its body cut in half: complete as HTTP (the length matches,
    the connection closes cleanly), unreadable as JSON. The ``garble`` fault's answer."""
    text = json.dumps(body)
    return Response(
        text[: len(text) // 2], status_code=status, media_type="application/json", headers=dict(headers or {})
    )


def error_body(error: TwilioError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": error.code,
        "message": error.message,
        "more_info": f"https://www.twilio.com/docs/errors/{error.code}",
        "status": error.status,
    }
    if error.detail is not None:
        body["detail"] = error.detail
    return body


def error_response(error: TwilioError, headers: Mapping[str, str]) -> Response:
    extra = dict(headers)
    if error.status == 401:
        extra["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return json_response(error_body(error), error.status, extra)


ECHO_CODES = {400: 20001, 401: 20003, 403: 20003}


def echo_response(status: int, echo_format: str, authorization: str, form: str, headers: Mapping[str, str]) -> Response:
    """An error answer that echoes the request's raw ``Authorization`` header and form body, as a misbehaving
    proxy (``text``: an HTML page) or a verbose upstream error (``json``: Twilio's error body) could."""
    reason = HTTPStatus(status).phrase
    if echo_format == "json":
        message = f"{reason}: could not process the request (Authorization: {authorization}; body: {form})"
        return error_response(TwilioError(status, ECHO_CODES.get(status, 20500), message), headers)
    page = (
        f"<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1>"
        "<p>The proxy could not forward this request. It was:</p>"
        f"<pre>Authorization: {authorization}\n\n{form}</pre></body></html>"
    )
    extra = dict(headers)
    if status == 401:
        extra["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return Response(page, status_code=status, media_type="text/html", headers=extra)


# ----------------------------------------------------------------------------------------------- paging
@dataclass(frozen=True)
class PageRequest:
    page_size: int
    page: int
    page_token: str | None


@dataclass(frozen=True)
class PageSlice:
    offset: int
    page: int
    page_size: int
    total: int

    @classmethod
    def of(cls, request: PageRequest, total: int) -> PageSlice:
        offset = decode_page_token(request.page_token) if request.page_token else request.page * request.page_size
        return cls(offset=offset, page=request.page, page_size=request.page_size, total=total)

    def items(self, rows: Sequence[Any]) -> Sequence[Any]:
        return rows[self.offset : self.offset + self.page_size]

    @property
    def has_next(self) -> bool:
        return self.offset + self.page_size < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 0 and self.offset > 0


def encode_page_token(offset: int) -> str:
    return f"PT{offset:x}"


def decode_page_token(token: str) -> int:
    if not token.startswith("PT"):
        raise TwilioError.invalid_parameter(f"Invalid PageToken {token!r}")
    try:
        return int(token[2:], 16)
    except ValueError:
        raise TwilioError.invalid_parameter(f"Invalid PageToken {token!r}") from None


def _page_query(filters: Sequence[tuple[str, str]], size: int, page: int, offset: int | None) -> str:
    params = [*filters, ("PageSize", str(size)), ("Page", str(page))]
    if offset is not None:
        params.append(("PageToken", encode_page_token(offset)))
    return urlencode(params)


def _links(base: str, filters: Sequence[tuple[str, str]], window: PageSlice) -> tuple[str, str | None, str | None]:
    """First, next and previous page links; next and previous carry a PageToken, as Twilio's do."""
    size = window.page_size
    first = base + _page_query(filters, size, 0, None)
    following = base + _page_query(filters, size, window.page + 1, window.offset + size) if window.has_next else None
    previous = (
        base + _page_query(filters, size, window.page - 1, max(window.offset - size, 0))
        if window.has_previous
        else None
    )
    return first, following, previous


def v1_page_body(
    key: str,
    path: str,
    filters: Sequence[tuple[str, str]],
    window: PageSlice,
    items: list[dict[str, Any]],
    current_token: str | None,
    *,
    host: str = VOICE_BASE,
) -> dict[str, Any]:
    """A v1 list page (voice, monitor): records under ``key`` and a ``meta`` block of absolute URLs."""
    base = f"{host}{path}?"
    first, following, previous = _links(base, filters, window)
    current = [*filters, ("PageSize", str(window.page_size)), ("Page", str(window.page))]
    if current_token:
        current.append(("PageToken", current_token))
    return {
        key: items,
        "meta": {
            "first_page_url": first,
            "key": key,
            "next_page_url": following,
            "page": window.page,
            "page_size": window.page_size,
            "previous_page_url": previous,
            "url": base + urlencode(current),
        },
    }


def accounts_page_body(
    filters: Sequence[tuple[str, str]], window: PageSlice, accounts: list[dict[str, Any]]
) -> dict[str, Any]:
    """A 2010 list page: top-level paging keys with relative URIs and no ``meta`` block."""
    base = f"{API_2010_PREFIX}/Accounts.json?"
    first, following, previous = _links(base, filters, window)
    return {
        "accounts": accounts,
        "end": window.offset + max(len(accounts) - 1, 0),
        "first_page_uri": first,
        "next_page_uri": following,
        "page": window.page,
        "page_size": window.page_size,
        "previous_page_uri": previous,
        "start": window.offset,
        "uri": base + _page_query(filters, window.page_size, window.page, None),
    }


# ---------------------------------------------------------------------------------------------- records
def country_body(country: Country, flags: Flags) -> dict[str, Any]:
    url = f"{VOICE_BASE}/v1/DialingPermissions/Countries/{country.iso_code}"
    return {
        "iso_code": country.iso_code,
        "name": country.name,
        "continent": country.continent,
        "country_codes": list(country.country_codes),
        **flags.as_dict(),
        "url": url,
        "links": {"highrisk_special_prefixes": f"{url}/HighRiskSpecialPrefixes"},
    }


def settings_body(inheritance: bool) -> dict[str, Any]:
    return {"dialing_permissions_inheritance": inheritance, "url": f"{VOICE_BASE}/v1/Settings"}


def _rfc2822(account_or_key: Account | ApiKey, attribute: str) -> str:
    return format_datetime(getattr(account_or_key, attribute))


ACCOUNT_SUBRESOURCES = (
    "addresses",
    "applications",
    "authorized_connect_apps",
    "available_phone_numbers",
    "balance",
    "calls",
    "conferences",
    "connect_apps",
    "incoming_phone_numbers",
    "keys",
    "messages",
    "notifications",
    "outgoing_caller_ids",
    "queues",
    "recordings",
    "signing_keys",
    "sip",
    "short_codes",
    "tokens",
    "transcriptions",
    "usage",
)


def account_body(account: Account, *, include_auth_token: bool) -> dict[str, Any]:
    base = f"{API_2010_PREFIX}/Accounts/{account.sid}"
    return {
        # Twilio sends "" (not null) where it withholds the token (terraform-provider-twilio issue 52).
        "auth_token": account.auth_token if include_auth_token else "",
        "date_created": _rfc2822(account, "date_created"),
        "date_updated": _rfc2822(account, "date_updated"),
        "friendly_name": account.friendly_name,
        "owner_account_sid": account.owner_account_sid,
        "sid": account.sid,
        "status": account.status,
        "subresource_uris": {name: f"{base}/{_camel(name)}.json" for name in ACCOUNT_SUBRESOURCES},
        "type": account.type,
        "uri": f"{base}.json",
    }


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")).replace("Sip", "SIP")


def key_body(key: ApiKey) -> dict[str, Any]:
    stamp = _rfc2822(key, "date_created")
    return {
        "sid": key.sid,
        "friendly_name": key.friendly_name,
        "date_created": stamp,
        "date_updated": stamp,
        "secret": key.secret,
    }


def _iso8601(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def alert_body(alert: Alert) -> dict[str, Any]:
    """A Monitor alert as listed (the list omits the request/response details only a fetch returns)."""
    stamp = _iso8601(alert.date_generated)
    return {
        "account_sid": alert.account_sid,
        "alert_text": alert.alert_text,
        "api_version": "2010-04-01",
        "date_created": stamp,
        "date_generated": stamp,
        "date_updated": stamp,
        "error_code": alert.error_code,
        "log_level": alert.log_level,
        "more_info": f"https://www.twilio.com/docs/errors/{alert.error_code}",
        "request_method": alert.request_method,
        "request_url": alert.request_url,
        "resource_sid": alert.resource_sid,
        "sid": alert.sid,
        "url": f"{MONITOR_BASE}/v1/Alerts/{alert.sid}",
        "service_sid": None,
    }


CALL_SUBRESOURCES = (
    "notifications",
    "recordings",
    "payments",
    "events",
    "siprec",
    "streams",
    "transcriptions",
    "user_defined_message_subscriptions",
    "user_defined_messages",
)


def call_body(call: PlacedCall) -> dict[str, Any]:
    """A call just created: queued, outbound, nothing known yet about its progress or price."""
    base = f"{API_2010_PREFIX}/Accounts/{call.account_sid}/Calls/{call.sid}"
    stamp = format_datetime(call.date_created)
    return {
        "account_sid": call.account_sid,
        "answered_by": None,
        "api_version": "2010-04-01",
        "caller_name": None,
        "date_created": stamp,
        "date_updated": stamp,
        "direction": "outbound-api",
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from": call.from_,
        "from_formatted": call.from_,
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": call.sid,
        "start_time": None,
        "status": "queued",
        "subresource_uris": {name: f"{base}/{_camel(name)}.json" for name in CALL_SUBRESOURCES},
        "to": call.to,
        "to_formatted": call.to,
        "trunk_sid": None,
        "uri": f"{base}.json",
    }
