"""The package's one exception hierarchy.

Every error this package raises on purpose derives from :class:`TwilioDialingError`::

    TwilioDialingError
    ├── ConfigurationError      bad or missing configuration (credentials, API URL), found before any request
    │   └── AccountClosedError  the subaccount acted on is closed (for good)
    ├── WriteNotAppliedError    Twilio accepted a write but reading back shows it did not take
    ├── PartialWriteError       a change spread over several requests failed part-way (says what was applied)
    ├── StateDivergedError      a failed change could not be put back: Twilio differs from Pulumi's state
    ├── StateUnreadableError    a resource's state holds a value this package never writes (edited by hand)
    ├── UnknownCountryError     an ISO code that Twilio's country list for the account does not have
    └── TwilioRequestError      a request to Twilio failed (says which: ``method``, ``path``)
        ├── TwilioConnectionError   no usable answer: none at all (refused, reset, timed out) or one that
        │                           could not be read (a body cut short): it may or may not have been
        │                           carried out
        └── TwilioApiError          Twilio answered with an error status (carries Twilio's own code)
            ├── AuthenticationError     20003: credentials refused for the account named
            ├── NotFoundError           20404: the resource does not exist
            └── RateLimitedError        20429 / HTTP 429: too many concurrent requests

"No answer" and "answered with an error" are siblings, as httpx's ``TransportError`` and
``HTTPStatusError`` are: catch :class:`TwilioRequestError` for both. (Before 0.2, ``TwilioConnectionError``
derived from ``TwilioApiError``; it keeps ``status == 0`` and ``code is None`` for code that reads them.)
An answer that could not be read is a ``TwilioConnectionError`` too, never a ``TwilioApiError``: it says
nothing about whether the request was carried out, so a caller asking "did this write happen?" must read it
as it reads a lost answer (unknown), not as a refusal.

Messages never contain credentials: they name account SIDs, methods and paths only.
"""

from __future__ import annotations

__all__ = [
    "AccountClosedError",
    "AuthenticationError",
    "ConfigurationError",
    "NotFoundError",
    "PartialWriteError",
    "RateLimitedError",
    "StateDivergedError",
    "StateUnreadableError",
    "TwilioApiError",
    "TwilioConnectionError",
    "TwilioDialingError",
    "TwilioRequestError",
    "UnknownCountryError",
    "WriteNotAppliedError",
]


class TwilioDialingError(Exception):
    """Base class of every error raised by pulumi-twilio-dialing."""


class ConfigurationError(TwilioDialingError):
    """The provider's configuration is missing or malformed; nothing was sent to Twilio."""


class AccountClosedError(ConfigurationError):
    """The subaccount to act on is closed: Twilio never reopens it, so there is nothing left to manage."""

    def __init__(self, message: str, account_sid: str) -> None:
        super().__init__(message)
        self.account_sid = account_sid


class WriteNotAppliedError(TwilioDialingError):
    """A write was accepted, but the read-back differs: ``mismatches`` maps each thing that did not take
    (e.g. ``"GB.high_risk_special_numbers_enabled"``) to ``(wanted, found)``."""

    def __init__(self, message: str, mismatches: dict[str, tuple[object, object]]) -> None:
        super().__init__(message)
        self.mismatches = mismatches


class PartialWriteError(TwilioDialingError):
    """A change written in several BulkCountryUpdates requests failed part-way. ``applied`` lists the ISO
    codes whose request Twilio confirmed, ``uncertain`` those of the request that failed (its answer may
    have been lost after Twilio applied it), ``not_sent`` the rest; ``not_applied`` is ``uncertain`` plus
    ``not_sent``. ``cause`` is the error that stopped it."""

    def __init__(
        self,
        message: str,
        applied: list[str],
        not_applied: list[str],
        cause: TwilioDialingError,
        uncertain: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.applied = applied
        self.not_applied = not_applied
        self.uncertain = list(uncertain or [])
        self.not_sent = [iso for iso in not_applied if iso not in set(self.uncertain)]
        self.cause = cause


class StateDivergedError(TwilioDialingError):
    """A create, update or delete failed after writing, and putting back what it had written failed too.

    ``differences`` maps each setting (``"GB.high_risk_tollfraud_numbers_enabled"``) to
    ``(live, state, restore_point)``: the value Twilio has as far as known (``None``: unknown, the answer
    was lost), the value Pulumi's state keeps (``None``: nothing), and the value from before this stack
    managed it (``None``: none recorded). ``pulumi refresh`` reads the truth back into the state.
    """

    def __init__(self, message: str, differences: dict[str, tuple[bool | None, bool | None, bool | None]]) -> None:
        super().__init__(message)
        self.differences = differences


class StateUnreadableError(TwilioDialingError):
    """A resource's properties in Pulumi's state hold a value of a type this package never writes (the
    state was edited by hand, or written by something else). Nothing was sent to Twilio."""


class UnknownCountryError(TwilioDialingError):
    """ISO codes that Twilio's Dialing Permissions country list (for that account) does not have."""

    def __init__(self, message: str, iso_codes: list[str]) -> None:
        super().__init__(message)
        self.iso_codes = iso_codes


class TwilioRequestError(TwilioDialingError):
    """A request to Twilio (or the emulator) failed: ``method`` and ``path`` say which, ``message`` why."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path

    def __str__(self) -> str:
        return f"{self.method} {self.path} failed: {self.message}"


class TwilioConnectionError(TwilioRequestError):
    """No usable HTTP answer: none was received (connection refused or dropped, or the request timed out),
    or the one received could not be read (its body cut short or not JSON). Either way, whether the request
    was carried out is unknown."""

    status = 0
    """No HTTP status (kept for code written when this class derived from :class:`TwilioApiError`)."""
    code: int | None = None
    more_info: str | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path} got no answer: {self.message}"


class TwilioApiError(TwilioRequestError):
    """Twilio (or the emulator) answered a request with an error.

    Attributes mirror Twilio's error body: ``status`` is the HTTP status, ``code`` Twilio's error code
    (https://www.twilio.com/docs/errors/<code>), ``method`` and ``path`` say which request failed.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: int | None,
        method: str,
        path: str,
        more_info: str | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.status = status
        self.code = code
        self.more_info = more_info

    def __str__(self) -> str:
        code = f" (Twilio error {self.code})" if self.code is not None else ""
        return f"{self.method} {self.path} failed with HTTP {self.status}{code}: {self.message}"


class AuthenticationError(TwilioApiError):
    """Twilio refused the credentials (error 20003)."""


class NotFoundError(TwilioApiError):
    """The requested resource does not exist (error 20404)."""


class RateLimitedError(TwilioApiError):
    """Twilio's per-account concurrency limit was hit (error 20429); safe to retry."""
