"""Reading the main account and its subaccounts for the operations commands, with the fewest requests.

The commands are not Pulumi programs: there is no stack config, so the settings come from the environment
(``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` or ``TWILIO_API_KEY``/``TWILIO_API_SECRET``,
``TWILIO_DIALING_SUBACCOUNT_CREDENTIALS``, ``TWILIO_DIALING_API_URL``) through the provider's own
:class:`~pulumi_twilio_dialing._session.Session`, which resolves them exactly as the provider does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from .._exceptions import ConfigurationError
from .._gateway import Gateway
from .._models import AccountRecord, CountryRecord
from .._session import Session

__all__ = ["AccountView", "Reader", "parse_since"]

T = TypeVar("T")
R = TypeVar("R")

# The provider server runs at most four calls at once; the commands keep to the same concurrency, well
# under Twilio's per-account concurrent-request limit.
WORKERS = 4
# Monitor: "Queries for alerts older than 30 days are not supported" (twilio_monitor_v1.json).
MAX_SINCE = timedelta(days=30)
_SINCE = re.compile(r"\A(\d+)([mhd])\Z")


def parse_since(text: str) -> timedelta:
    """``30m``, ``12h`` or ``7d`` as a duration of at most 30 days."""
    match = _SINCE.fullmatch(text.strip())
    if match is None:
        raise ConfigurationError(
            f"--since is {text!r}; give a number and a unit: m (minutes), h (hours) or d (days), e.g. 7d"
        )
    amount, unit = int(match.group(1)), match.group(2)
    since = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]
    if not timedelta(0) < since <= MAX_SINCE:
        raise ConfigurationError(
            f"--since is {text!r}; Twilio's Monitor API keeps alerts for 30 days: give from 1m up to 30d"
        )
    return since


@dataclass(frozen=True)
class AccountView:
    """One account as the commands see it: identity, inheritance and (when read) its own table."""

    sid: str
    friendly_name: str
    is_subaccount: bool
    inherits: bool | None = None  # None: a main account (inheritance is a subaccount setting)
    table: tuple[CountryRecord, ...] | None = None  # None: not read (it inherits)

    @property
    def kind(self) -> str:
        return "subaccount" if self.is_subaccount else "main"


class Reader:
    """The configured main account and its active subaccounts, read through one provider session."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.session = Session({}, os.environ if environ is None else environ)
        self._subaccounts: list[AccountRecord] | None = None

    @property
    def main(self) -> Gateway:
        return self.session.main

    @property
    def main_sid(self) -> str:
        return self.main.credentials.account_sid

    def gateway(self, account_sid: str) -> Gateway:
        return self.session.gateway(account_sid)

    def accounts(self) -> list[AccountRecord]:
        """The main account and its active subaccounts: one list request, once. Listed with the parent's
        auth token, each subaccount's token comes with it, so acting on it later costs no request."""
        if self._subaccounts is None:
            listed = self.main.list_accounts(status="active")
            for account in listed:
                self.session.remember(account)
            self._subaccounts = listed
        return self._subaccounts

    def main_record(self) -> AccountRecord | None:
        return next((a for a in self.accounts() if a.sid == self.main_sid), None)

    def subaccounts(self, only: Sequence[str] | None = None) -> list[AccountRecord]:
        """Active subaccounts of the main account (all, or those in ``only``, in that order). A SID that is
        not one of them is refused, before anything else is read."""
        mine = {a.sid: a for a in self.accounts() if a.is_subaccount and a.owner_account_sid == self.main_sid}
        if only is None:
            return sorted(mine.values(), key=lambda a: (a.friendly_name.lower(), a.sid))
        unknown = [sid for sid in only if sid not in mine]
        if unknown:
            raise ConfigurationError(
                f"--subaccount {', '.join(unknown)}: not an active subaccount of the configured account "
                f"{self.main_sid}; list them with `twilio-dialing audit --subaccounts`"
            )
        return [mine[sid] for sid in dict.fromkeys(only)]

    def view(self, account: AccountRecord | None, *, tables: bool = True) -> AccountView:
        """Read one account: a subaccount's inheritance (one request), then its table (one request) unless
        it inherits, when its own table has no effect on its calls. ``None`` is the main account."""
        if account is None or not account.is_subaccount:
            sid = self.main_sid
            name = account.friendly_name if account is not None else ""
            table = tuple(self.main.list_countries()) if tables else None
            return AccountView(sid, name, False, None, table)
        gateway = self.gateway(account.sid)
        inherits = gateway.fetch_dialing_permissions_inheritance()
        table = tuple(gateway.list_countries()) if tables and not inherits else None
        return AccountView(account.sid, account.friendly_name, True, inherits, table)

    @staticmethod
    def each(items: Iterable[T], work: Callable[[T], R], advance: Callable[[], None] | None = None) -> list[R]:
        """``work`` on every item, a few at a time, results in the items' order."""

        def run(item: T) -> R:
            try:
                return work(item)
            finally:
                if advance is not None:
                    advance()

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return list(pool.map(run, items))
