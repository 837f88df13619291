"""Keep the credentials in use out of every text this process hands out.

Twilio, or a proxy in front of it, may echo a request's ``Authorization`` header or its form body in an error
answer, and that text would reach exception messages, the provider's diagnostics (its stdout, which the
engine shows to the user and CI logs) and log lines. Every secret is registered here when it comes into
being (:class:`~pulumi_twilio_dialing._gateway.Credentials` does it for the credentials it holds), and
:func:`scrub` replaces every registered form of every registered secret with ``[redacted]``:

- the secret itself, percent-encoded (``%2F``/``%2f``) and form-encoded (``+`` for a space);
- with the username it is presented with, ``base64("username:secret")`` as HTTP Basic sends it, standard
  and URL-safe, padded and unpadded, and percent-encoded; preceded by ``Basic`` (any case), that goes too.

Values shorter than :data:`MIN_SECRET_LENGTH` are ignored: redacting them would mangle innocent text, and
no real Twilio secret is that short.
"""

from __future__ import annotations

import base64
import contextlib
import re
import threading
from typing import TypeVar
from urllib.parse import quote, quote_plus

__all__ = ["register_secret", "say", "scrub", "scrub_exception"]

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 8
E = TypeVar("E", bound=BaseException)
_BASIC = "basic "

_lock = threading.Lock()
# The first MIN_SECRET_LENGTH characters of every registered form -> the forms starting so, longest first.
# Every form is at least that long. Writers hold the lock; readers only ``get`` (atomic), so scrubbing never
# waits, and the cost of a scrub does not grow with the number of secrets (a parent may read a thousand
# subaccount tokens).
_index: dict[str, tuple[str, ...]] = {}


def _encoded(value: str) -> set[str]:
    """``value`` as it may appear percent- or form-encoded (either case of hex digits)."""
    forms = {value}
    for encoded in (quote(value, safe=""), quote_plus(value, safe="")):
        forms.add(encoded)
        forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded))
    return forms


def _basic_forms(username: str, password: str) -> set[str]:
    raw = f"{username}:{password}".encode()
    forms: set[str] = set()
    for encoded in (base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii")):
        for form in (encoded, encoded.rstrip("=")):
            forms |= _encoded(form)
    return forms


def register_secret(value: str, *, username: str | None = None) -> None:
    """Remember ``value`` as a secret of this process; with ``username``, also the HTTP Basic forms of
    ``username:value``. Thread-safe; values shorter than :data:`MIN_SECRET_LENGTH` are ignored."""
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
        return
    forms = _encoded(value)
    if username:
        forms |= _basic_forms(username, value)
    with _lock:
        for form in forms:
            key = form[:MIN_SECRET_LENGTH]
            known = _index.get(key, ())
            if form not in known:
                # Longest first: the longest form starting at a position wins ("Basic <b64>" over "<b64>").
                _index[key] = tuple(sorted((*known, form), key=lambda f: (-len(f), f)))


def scrub(text: str) -> str:
    """``text`` with every registered form of every registered secret replaced by ``[redacted]``.

    Longest first, and overlapping occurrences are redacted as one: no character of any occurrence of any
    form survives, even where two forms overlap.
    """
    if not _index or len(text) < MIN_SECRET_LENGTH:
        return text
    spans: list[tuple[int, int]] = []
    for at in range(len(text) - MIN_SECRET_LENGTH + 1):
        forms = _index.get(text[at : at + MIN_SECRET_LENGTH])
        found = next((form for form in forms if text.startswith(form, at)), None) if forms else None
        if found is not None:
            # "Basic <base64>" goes whole, as one form would.
            basic = at >= len(_BASIC) and text[at - len(_BASIC) : at].lower() == _BASIC
            spans.append((at - len(_BASIC) if basic else at, at + len(found)))
    if not spans:
        return text
    pieces: list[str] = []
    kept = 0  # text[kept:] is not written yet
    spans.sort()
    start, end = spans[0]
    for begin, until in spans[1:]:
        if begin < end:  # overlapping: one redaction
            end = max(end, until)
            continue
        pieces += [text[kept:start], REDACTED]
        kept, start, end = end, begin, until
    pieces += [text[kept:start], REDACTED, text[end:]]
    return "".join(pieces)


_PLAIN = (int, float, bool, type(None))


def _scrub_value(value: object) -> object:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, _PLAIN):
        return value
    # Anything else renders through str() or repr() in a traceback: keep it only if that shows no secret.
    try:
        shown = f"{value!s}{value!r}"
    except Exception:
        return "<unprintable>"
    return value if scrub(shown) == shown else scrub(str(value))


def _scrub_exception(error: BaseException, seen: set[int]) -> None:
    if id(error) in seen:
        return
    seen.add(id(error))
    error.args = tuple(_scrub_value(arg) for arg in error.args)
    notes = getattr(error, "__notes__", None)
    if isinstance(notes, list):
        notes[:] = [scrub(note) if isinstance(note, str) else note for note in notes]
    for name, value in list(getattr(error, "__dict__", {}).items()):
        if isinstance(value, BaseException):
            _scrub_exception(value, seen)
            continue
        if not isinstance(value, str):
            continue
        scrubbed = scrub(value)
        if scrubbed != value:
            with contextlib.suppress(AttributeError, TypeError):  # read-only: shown through args, if at all
                setattr(error, name, scrubbed)
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            _scrub_exception(inner, seen)
    # A chained cause or context is printed with the traceback; it may hold text that was never scrubbed.
    error.__cause__ = None
    error.__context__ = None
    error.__suppress_context__ = True


def scrub_exception(error: E) -> E:
    """Scrub ``error`` in place and return it (``raise scrub_exception(error)``).

    Its ``args`` and every string attribute (``message`` of ``TwilioApiError``, ``__notes__``, ...) are
    scrubbed, exceptions it holds as attributes (``PartialWriteError.cause``) too, and its
    ``__cause__``/``__context__`` chain is dropped, with ``__suppress_context__`` set so that raising it
    inside an ``except`` block does not show the handled exception either.
    """
    _scrub_exception(error, set())
    return error


def say(message: str) -> None:
    """Print one diagnostic line (or several) to stdout, scrubbed and flushed: the engine shows a dynamic
    provider's stdout as diagnostics."""
    print(scrub(message), flush=True)
