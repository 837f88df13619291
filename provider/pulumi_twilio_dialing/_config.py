"""Where the provider's settings come from: Pulumi stack config first, then the environment."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError

__all__ = ["API_URL_CONFIG_KEY", "API_URL_ENV", "resolve_api_url"]

API_URL_CONFIG_KEY = "twilio-dialing:apiUrl"
API_URL_ENV = "TWILIO_DIALING_API_URL"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_api_url(config: Any = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The base URL that replaces Twilio's hosts, or None to talk to Twilio itself (production).

    ``config`` is anything with ``get(key)`` (stack config or a dict). Read from ``twilio-dialing:apiUrl``,
    else env ``TWILIO_DIALING_API_URL``. Plain ``http`` is
    allowed only to a loopback address (the emulator), so credentials never cross a network unencrypted.
    """
    environ = os.environ if environ is None else environ
    source, value = API_URL_CONFIG_KEY, (config or {}).get(API_URL_CONFIG_KEY)
    if not value:
        source, value = API_URL_ENV, environ.get(API_URL_ENV)
    if not value:
        return None
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigurationError(
            f"{source} is {value!r}, which is not an http(s) URL with a host; "
            "set it to the emulator's URL, e.g. http://127.0.0.1:8080, or unset it to use Twilio"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{source} must be a plain base URL without credentials, query or fragment; "
            f"got {parts.scheme}://{host}{parts.path} with extra parts. Credentials go in twilio:* config"
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            f"{source} is {value!r}: plain http is only allowed to a loopback address, because credentials "
            "would cross the network unencrypted; use https:// or run the emulator on 127.0.0.1"
        )
    return value.rstrip("/")
