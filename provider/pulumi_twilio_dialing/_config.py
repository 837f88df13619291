"""The provider's settings in one place: every config key and environment variable it reads (stack config
first, then the environment), the API URL, credential resolution for the main account and subaccounts,
and the numeric settings with their bounds (:class:`ProviderSettings`). Secrets are registered for
scrubbing as soon as they are read, and no message ever shows one."""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError
from ._gateway import DEFAULT_TIMEOUT_SECONDS, MAX_PAGE_SIZE, Credentials, RetryPolicy
from ._redact import register_secret

__all__ = [
    "ACCOUNT_SID",
    "ACCOUNT_SID_PATTERN",
    "API_KEY",
    "API_KEY_PATTERN",
    "API_SECRET",
    "API_URL_CONFIG_KEY",
    "API_URL_ENV",
    "AUTH_TOKEN",
    "BULK_CHUNK_SIZE",
    "DEFAULT_BULK_CHUNK_SIZE",
    "MISSING_CREDENTIALS",
    "NUMERIC_SETTINGS",
    "REQUEST_TIMEOUT",
    "RETRY_BASE_DELAY",
    "RETRY_TIMEOUT",
    "SHOWN_CHARACTERS",
    "SUBACCOUNT_CREDENTIALS",
    "SUBACCOUNT_CREDENTIALS_EXAMPLE",
    "ApiUrl",
    "ConfigSource",
    "NumberRange",
    "ProviderSettings",
    "configured_account_sid",
    "resolve_api_url",
    "resolve_api_url_source",
    "resolve_credentials",
    "resolve_subaccount_credentials",
    "shown",
    "subaccount_credentials_example",
]

API_URL_CONFIG_KEY = "twilio-dialing:apiUrl"
API_URL_ENV = "TWILIO_DIALING_API_URL"
SHOWN_CHARACTERS = 60
"""How much of a value a message shows: a 100,000-character value must not flood the terminal or the logs."""
# One DNS label (RFC 1123): letters, digits and inner hyphens, at most 63 characters.
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def shown(value: object, *, as_input: bool = False) -> str:
    """``repr(value)`` for a message, cut at about ``SHOWN_CHARACTERS`` with an ellipsis: messages travel in
    size-limited gRPC headers and terminals, and a 100,000-character value echoed in full helps nobody.
    Never pass a secret.

    A setting is cut inside its repr (``'AC1111…``). ``as_input`` shows an input of a resource or function as
    the program wrote it: Pulumi's wire makes every number a float (``1.0`` is shown as ``1``) and None is
    ``null``; a cut string keeps its closing quote and says its full length (``'GGGG'… (100000 characters)``);
    a list or object is cut only past twice the limit, also saying its length."""
    if as_input:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if value is None:
            return "null"
        if isinstance(value, str) and len(value) > SHOWN_CHARACTERS:
            return f"{value[:SHOWN_CHARACTERS]!r}… ({len(value)} characters)"
    text = repr(value)
    if len(text) <= (2 * SHOWN_CHARACTERS if as_input else SHOWN_CHARACTERS):
        return text
    return text[:SHOWN_CHARACTERS] + (f"… ({len(text)} characters)" if as_input else "…")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_host(host: str) -> bool:
    """An IP address or a well-formed DNS name. A malformed name never resolves: catching it here turns a
    DNS failure at request time (which looks transient) into a clear error before anything is sent."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    return 0 < len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split("."))


ApiUrl = tuple[str | None, str | None]
"""The resolved base URL (None: Twilio itself) and where it came from (the config key or the variable)."""


def resolve_api_url_source(config: Any = None, environ: Mapping[str, str] | None = None) -> ApiUrl:
    """:func:`resolve_api_url` and the name of the setting it came from, for messages about that host."""
    environ = os.environ if environ is None else environ
    source, value = API_URL_CONFIG_KEY, (config or {}).get(API_URL_CONFIG_KEY)
    if not value:
        source, value = API_URL_ENV, environ.get(API_URL_ENV)
    if not value:
        return None, None
    if not isinstance(value, str):
        raise ConfigurationError(f"{source} is {shown(value)}; set it to a URL such as http://127.0.0.1:8080")
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - reading it validates it (ValueError when out of range or not a number)
    except ValueError:
        raise ConfigurationError(
            f"{source} is {shown(value)}, which is not a valid URL (bad host or port); "
            "set it to the emulator's URL, e.g. http://127.0.0.1:8080, or unset it to use Twilio"
        ) from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigurationError(
            f"{source} is {shown(value)}, which is not an http(s) URL with a host; "
            "set it to the emulator's URL, e.g. http://127.0.0.1:8080, or unset it to use Twilio"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{source} must be a plain base URL without credentials, query or fragment; "
            f"got {parts.scheme}://{shown(host)[1:-1]}{shown(parts.path)[1:-1]} with extra parts. "
            "Credentials go in twilio:* config"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ConfigurationError(
            f"{source} is {shown(value)}, which contains white space or control characters (a pasted "
            "newline?); set it to the URL alone, e.g. http://127.0.0.1:8080"
        )
    if not _is_host(host):
        raise ConfigurationError(
            f"{source} is {shown(value)}: {shown(host)} is not a valid host name or IP address; "
            "set it to the emulator's URL, e.g. http://127.0.0.1:8080, or unset it to use Twilio"
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            f"{source} is {shown(value)}: plain http is only allowed to a loopback address, because "
            "credentials would cross the network unencrypted; use https:// or run the emulator on 127.0.0.1"
        )
    return value.rstrip("/"), source


def resolve_api_url(config: Any = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The base URL that replaces Twilio's hosts, or None to talk to Twilio itself (production).

    ``config`` is anything with ``get(key)`` (stack config or a dict). Read from ``twilio-dialing:apiUrl``,
    else env ``TWILIO_DIALING_API_URL``. Plain ``http`` is allowed only to a loopback address (the
    emulator), so credentials never cross a network unencrypted; the host must be an IP address or a
    well-formed DNS name, and the port a number from 0 to 65535.
    """
    return resolve_api_url_source(config, environ)[0]


# ------------------------------------------------------------------------------ credentials and settings
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
