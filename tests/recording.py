"""A twilio HttpClient that goes to the emulator (through the gateway's rewrite) and records every
exchange with the URL the library meant, so tests can check requests and responses against Twilio's spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_twilio_dialing._gateway import RedirectingHttpClient
from twilio.http.response import Response
from twilio.rest import Client


@dataclass
class Exchange:
    method: str
    url: str
    params: dict[str, Any]
    data: dict[str, Any]
    headers: dict[str, str]
    auth: tuple[str, str] | None
    response: Response


class RecordingHttpClient(RedirectingHttpClient):
    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, timeout=10)
        self.exchanges: list[Exchange] = []

    def request(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        response = super().request(method, url, params, data, headers, auth, timeout, allow_redirects)
        self.exchanges.append(
            Exchange(method, url, dict(params or {}), dict(data or {}), dict(headers or {}), auth, response)
        )
        return response


def twilio_client(base_url: str, username: str, password: str, account_sid: str | None = None):
    """The unmodified twilio library, pointed at the emulator; returns (client, recorder)."""
    recorder = RecordingHttpClient(base_url)
    return Client(username, password, account_sid=account_sid, http_client=recorder), recorder
