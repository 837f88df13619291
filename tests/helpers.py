"""Small helpers shared by the resource tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_twilio_dialing import (
    DialingPermissionCountry,
    DialingPermissionCountryArgs,
    SubaccountInheritance,
    SubaccountInheritanceArgs,
)
from pulumi_twilio_dialing._gateway import Credentials, Gateway
from pulumi_twilio_dialing.emulator import Emulator, Flags
from pulumi_twilio_dialing.emulator._backend import Principal


def country(name: str = "country", **args: Any) -> Callable[[], None]:
    """A program with one DialingPermissionCountry."""
    return lambda: DialingPermissionCountry(name, DialingPermissionCountryArgs(**args))


def inheritance(name: str = "inheritance", **args: Any) -> Callable[[], None]:
    return lambda: SubaccountInheritance(name, SubaccountInheritanceArgs(**args))


def main_gateway(emulator: Emulator, **kwargs: Any) -> Gateway:
    """A gateway to the emulator with its main account's auth token (``kwargs``: the Gateway's options)."""
    main = emulator.main_account
    return Gateway(Credentials.auth_token(main.sid, main.auth_token), api_url=emulator.url, **kwargs)


def make_subaccount(emulator: Emulator, name: str = "tenant") -> str:
    return emulator.backend.create_subaccount(Principal(emulator.main_account), name).sid


def flags(low: bool = False, special: bool = False, tollfraud: bool = False) -> Flags:
    return Flags(low, special, tollfraud)


def requests_made(emulator: Emulator, action: Callable[[], Any]) -> list[tuple[str, str]]:
    """Run ``action`` and return the (method, path) of every request the emulator received meanwhile."""
    emulator.backend.clear_request_log()
    action()
    return [(r.method, r.path) for r in emulator.backend.request_log()]
