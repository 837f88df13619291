"""What every dynamic provider of this package shares: configuration, input checking, unknowns, and the
guarantee that nothing of the provider instance is ever pickled into Pulumi state."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Annotated, Any, TypeVar

from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, ResourceProvider
from pulumi.output import Unknown
from pydantic import AfterValidator, BaseModel, BeforeValidator, StrictStr, ValidationError, ValidationInfo

from ._config import ACCOUNT_SID_PATTERN, SHOWN_CHARACTERS, shown
from ._exceptions import ConfigurationError
from ._iso3166 import ISO_3166_ALPHA_2, NOT_TWILIO_CODES
from ._permissions import FLAG_NAMES
from ._properties import PROVIDER_KEY
from ._session import Session

__all__ = [
    "AccountSid",
    "DialingProvider",
    "FlagSetting",
    "IsoCode",
    "SubaccountName",
    "argument_problems",
    "check_arguments",
    "check_inputs",
    "check_name",
    "has_unknowns",
    "is_unknown",
]

M = TypeVar("M", bound=BaseModel)


def is_unknown(value: Any) -> bool:
    """True for a value that is not known yet (only during preview, in check and diff)."""
    return isinstance(value, Unknown)


def holds_unknown(value: Any) -> bool:
    """True for a value that is, or holds somewhere inside, a value not known yet (a flag of ``default``
    that comes from another resource's output is unknown in preview while the object around it is not)."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(holds_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_unknown(v) for v in value)
    return False


def has_unknowns(props: dict[str, Any], keys: Iterable[str]) -> bool:
    return any(holds_unknown(props.get(k)) for k in keys)


# ------------------------------------------------------------------------------------------ input types
def _part(part: Any) -> str:
    """One step of an input's path (a key of ``countries`` is user data too): short and printable."""
    text = str(part)
    return text if text.isprintable() and len(text) <= SHOWN_CHARACTERS else shown(part, as_input=True)


def _iso_code(value: str) -> str:
    written = shown(value, as_input=True)
    upper = value.upper()
    if upper in NOT_TWILIO_CODES:
        use, why = NOT_TWILIO_CODES[upper]
        raise ValueError(f"iso_code {written} is not used by Twilio: {why}; use {use!r}")
    # fullmatch everywhere: `$` would let "GB\n" through
    if re.fullmatch(r"[A-Za-z]{2}", value) and value != upper:
        raise ValueError(f"iso_code {written} must be upper-case: use {upper!r}")
    stripped = value.strip()
    if stripped != value and re.fullmatch(r"[A-Za-z]{2}", stripped):
        raise ValueError(f"iso_code {written} has whitespace around it: use {stripped.upper()!r}")
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError(
            f"iso_code {written} is not a two-letter ISO 3166-1 alpha-2 country code; use one such as 'GB' or 'BR'"
        )
    if value not in ISO_3166_ALPHA_2:
        raise ValueError(
            f"iso_code {written} is not an ISO 3166-1 alpha-2 country code; see "
            "pulumi_twilio_dialing.get_countries() for the codes Twilio lists"
        )
    return value


def _account_sid(value: str, *, field: str = "account_sid") -> str:
    # fullmatch, not the pattern's `$`, which matches before a trailing newline
    if ACCOUNT_SID_PATTERN.fullmatch(value):
        return value
    stripped = value.strip()
    if stripped != value and ACCOUNT_SID_PATTERN.fullmatch(stripped):
        raise ValueError(f"{field} {shown(value, as_input=True)} has whitespace around it: use {stripped!r}")
    raise ValueError(
        f"{field} {shown(value, as_input=True)} is not an account SID: use 'AC' followed by 32 hexadecimal characters, "
        "as shown in the Twilio Console"
    )


def _flag_setting(value: Any) -> bool | str:
    if isinstance(value, bool) or value == "unchanged":
        return value  # type: ignore[no-any-return]
    raise ValueError('must be true, false or "unchanged"')


# Characters a name must not hold: control characters (NUL, tab, newline, DEL, C1), line and paragraph
# separators, and unpaired surrogates (not text at all: they cannot even be encoded to send).
_NOT_IN_NAMES = {"Cc": "the control character", "Zl": "the line separator", "Zp": "the paragraph separator"}


def check_name(value: str, *, field: str = "friendly_name", limit: int = 64) -> str:
    """A subaccount's name: not blank, printable on one line (Twilio shows it in the Console and on
    invoices, and would store a NUL as given), at most ``limit`` characters."""
    if not value.strip():
        raise ValueError(f"{field} must not be empty: name the subaccount after its tenant")
    for position, char in enumerate(value):
        category = unicodedata.category(char)
        if category in _NOT_IN_NAMES or category == "Cs":
            what = _NOT_IN_NAMES.get(category, "the unpaired surrogate")
            raise ValueError(
                f"{field} {shown(value, as_input=True)} contains {what} U+{ord(char):04X} at position {position}: "
                "a name must be printable text on one line; remove it"
            )
    if len(value) > limit:
        raise ValueError(f"{field} is {len(value)} characters long; Twilio allows at most {limit}")
    return value


def _named_account_sid(value: str, info: ValidationInfo) -> str:
    # named after its field: a resource's account_sid, TenantDialingPolicy's subaccount_sid
    return _account_sid(value, field=info.field_name or "account_sid")


IsoCode = Annotated[StrictStr, AfterValidator(_iso_code)]
AccountSid = Annotated[StrictStr, AfterValidator(_named_account_sid)]
FlagSetting = Annotated[bool | str, BeforeValidator(_flag_setting)]
"""true, false, or "unchanged" (leave the flag as Twilio has it)."""
SubaccountName = Annotated[StrictStr, AfterValidator(check_name)]
"""1 to 64 printable characters on one line."""


def _at(raw: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        in_list = isinstance(raw, (list, tuple)) and isinstance(part, int) and 0 <= part < len(raw)
        if not in_list and not (isinstance(raw, dict) and part in raw):
            return None
        raw = raw[part]
    return raw


def _reason(model: type[BaseModel], resource: str, error: Any, value: Any, loc: tuple[Any, ...], field: str) -> str:
    """What is wrong with the input at ``field``, its value and the fix, in one sentence."""
    kind = error["type"]
    if kind == "extra_forbidden":
        # the name itself is what the user got wrong: quote it like any value (and cut it if long)
        named = repr(field) if len(field) <= SHOWN_CHARACTERS and field.isprintable() else shown(field, as_input=True)
        if len(loc) == 1:
            return f"{named} is not an input of {resource}; its inputs are: {', '.join(model.model_fields)}"
        return f"{named} is not a known key; use {', '.join(repr(f) for f in FLAG_NAMES)}"
    if kind == "missing":
        return f"{field} is required"
    if kind in ("bool_type", "bool_parsing"):
        return f"{field} must be true or false, got {shown(value, as_input=True)}"
    if kind == "string_type":
        return f"{field} must be a string, got {shown(value, as_input=True)}"
    if kind in ("list_type", "tuple_type", "set_type"):
        return f"{field} must be a list, got {shown(value, as_input=True)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{field} must be an object, got {shown(value, as_input=True)}"
    if kind == "literal_error":
        return f"{field} must be one of {error['ctx']['expected']}, got {shown(value, as_input=True)}"
    if kind == "value_error":
        message = str(error["ctx"]["error"])
        # validators that cannot know where they are say only "must ...": give them their place and value
        return f"{field} {message}, got {shown(value, as_input=True)}" if message.startswith("must") else message
    return f"{field}: {error['msg']} (got {shown(value, as_input=True)})"


def _failure(model: type[BaseModel], resource: str, error: Any, raw: dict[str, Any]) -> CheckFailure:
    # pydantic marks an error in a dict key with "[key]" after the key itself
    loc = tuple(p for p in error["loc"] if p != "[key]")
    field = ".".join(_part(p) for p in loc)
    return CheckFailure(field, _reason(model, resource, error, _at(raw, loc), loc, field))


def check_inputs(model: type[M], resource: str, news: dict[str, Any]) -> CheckResult:
    """Validate inputs with ``model`` and fill in defaults, leaving unknown values (preview) unknown.

    Each failure names the input, the value and the fix; nothing is sent to Twilio.
    """
    raw = {k: v for k, v in news.items() if k != PROVIDER_KEY}
    # An input holding an unknown anywhere is checked when it is known (at apply), and passed on as it is.
    unknown = {k for k, v in raw.items() if holds_unknown(v)}
    known = {k: v for k, v in raw.items() if k not in unknown}
    try:
        validated: dict[str, Any] = model.model_validate(known).model_dump(exclude_none=True)
    except ValidationError as error:
        failures = [
            _failure(model, resource, e, raw)
            for e in error.errors()
            if not (e["type"] == "missing" and e["loc"] and e["loc"][0] in unknown)
        ]
        if failures:
            return CheckResult(raw, failures)
        validated = {
            name: field.default
            for name, field in model.model_fields.items()
            if not field.is_required() and field.default is not None and name not in raw
        } | known
    return CheckResult({**validated, **{k: raw[k] for k in unknown}}, [])


def argument_problems(model: type[BaseModel], owner: str, values: dict[str, Any]) -> list[str]:
    """What is wrong with a program's plain arguments (of a component or a function), with the messages the
    resources give at check, each led by the argument's Python path (``allowed_countries[1]``)."""
    try:
        model.model_validate(values)
    except ValidationError as error:
        problems = []
        for e in error.errors():
            loc = tuple(p for p in e["loc"] if p != "[key]")
            field = "".join(
                f"[{p}]" if isinstance(p, int) else (f".{_part(p)}" if i else _part(p)) for i, p in enumerate(loc)
            )
            reason = _reason(model, owner, e, _at(values, loc), loc, field)
            problems.append(reason if reason.startswith(field) else f"{field}: {reason}")
        return problems
    return []


def check_arguments(model: type[M], owner: str, values: dict[str, Any]) -> M:
    """``values`` validated by ``model``, or a ValueError naming ``owner`` and every problem at once
    (raised before anything is registered or requested)."""
    problems = argument_problems(model, owner, values)
    if problems:
        raise ValueError(f"{owner}: {'; '.join(problems)}")
    return model.model_validate(values)


# ------------------------------------------------------------------------------------------ provider base
class DialingProvider(ResourceProvider):
    """Base of this package's providers.

    The instance is pickled into every resource's state (``__provider``), so it must carry nothing:
    ``__getstate__`` returns an empty dict and the class is pickled by reference. Configuration, credentials
    and clients are built in ``configure()``, which runs in the provider server after unpickling.
    """

    _session: Session | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def configure(self, req: ConfigureRequest) -> None:
        self._session = Session.shared(req.config)

    def resolved_account(self, account_sid: str | None, fallback: str | None = None) -> str | None:
        """The account a resource acts on: its own ``account_sid``, else the configured account (read
        without credentials), else ``fallback``."""
        if account_sid:
            return account_sid
        try:
            configured = self.session.configured_account_sid
        except ConfigurationError:
            configured = None
        return configured or fallback

    def account_key(self, account_sid: str | None) -> str:
        """The account a resource acts on, for messages and claims."""
        return self.resolved_account(account_sid) or "the configured account"

    @property
    def session(self) -> Session:
        if self._session is None:  # used outside the provider server: environment only
            self._session = Session.shared({})
        return self._session
