"""Where the provider's settings come from: Pulumi stack config first, then the environment."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError

__all__ = ["API_URL_CONFIG_KEY", "API_URL_ENV", "ApiUrl", "resolve_api_url", "resolve_api_url_source", "shown"]

API_URL_CONFIG_KEY = "twilio-dialing:apiUrl"
API_URL_ENV = "TWILIO_DIALING_API_URL"
SHOWN_CHARACTERS = 60
# One DNS label (RFC 1123): letters, digits and inner hyphens, at most 63 characters.
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def shown(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """``repr(value)`` cut to ``limit`` characters and an ellipsis: messages travel in size-limited gRPC
    headers and terminals, and a 100,000-character value echoed in full helps nobody. Never pass a secret."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


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
