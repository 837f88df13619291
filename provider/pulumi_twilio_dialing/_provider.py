"""What every dynamic provider of this package shares: configuration, input checking, unknowns, and the
guarantee that nothing of the provider instance is ever pickled into Pulumi state."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, TypeVar

from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, ResourceProvider
from pulumi.output import Unknown
from pydantic import AfterValidator, BaseModel, BeforeValidator, StrictStr, ValidationError

from ._exceptions import ConfigurationError
from ._iso3166 import ISO_3166_ALPHA_2, NOT_TWILIO_CODES
from ._permissions import FLAG_NAMES
from ._session import ACCOUNT_SID_PATTERN, Session

__all__ = [
    "AccountSid",
    "DialingProvider",
    "FlagSetting",
    "IsoCode",
    "check_inputs",
    "has_unknowns",
    "is_unknown",
]

PROVIDER_KEY = "__provider"
M = TypeVar("M", bound=BaseModel)


def is_unknown(value: Any) -> bool:
    """True for a value that is not known yet (only during preview, in check and diff)."""
    return isinstance(value, Unknown)


def has_unknowns(props: dict[str, Any], keys: Iterable[str]) -> bool:
    return any(is_unknown(props.get(k)) for k in keys)


# ------------------------------------------------------------------------------------------ input types
def _iso_code(value: str) -> str:
    shown = repr(value)
    upper = value.upper()
    if upper in NOT_TWILIO_CODES:
        use, why = NOT_TWILIO_CODES[upper]
        raise ValueError(f"iso_code {shown} is not used by Twilio: {why}; use {use!r}")
    if re.fullmatch(r"[A-Za-z]{2}", value) and value != upper:
        raise ValueError(f"iso_code {shown} must be upper-case: use {upper!r}")
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError(
            f"iso_code {shown} is not a two-letter ISO 3166-1 alpha-2 country code; use one such as 'GB' or 'BR'"
        )
    if value not in ISO_3166_ALPHA_2:
        raise ValueError(
            f"iso_code {shown} is not an ISO 3166-1 alpha-2 country code; see "
            "pulumi_twilio_dialing.get_countries() for the codes Twilio lists"
        )
    return value


def _account_sid(value: str) -> str:
    if not ACCOUNT_SID_PATTERN.match(value):
        raise ValueError(
            f"account_sid {value!r} is not an account SID: use 'AC' followed by 32 hexadecimal characters, "
            "as shown in the Twilio Console"
        )
    return value


def _flag_setting(value: Any) -> bool | str:
    if isinstance(value, bool) or value == "unchanged":
        return value  # type: ignore[no-any-return]
    raise ValueError('must be true, false or "unchanged"')


IsoCode = Annotated[StrictStr, AfterValidator(_iso_code)]
AccountSid = Annotated[StrictStr, AfterValidator(_account_sid)]
FlagSetting = Annotated[bool | str, BeforeValidator(_flag_setting)]
"""true, false, or "unchanged" (leave the flag as Twilio has it)."""


def _shown(value: Any) -> str:
    # The wire turns every number into a float: show 1.0 as the 1 the user wrote.
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    return "null" if value is None else repr(value)


def _at(raw: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if not isinstance(raw, dict) or part not in raw:
            return None
        raw = raw[part]
    return raw


def _failure(model: type[BaseModel], resource: str, error: Any, raw: dict[str, Any]) -> CheckFailure:
    # pydantic marks an error in a dict key with "[key]" after the key itself
    loc = tuple(p for p in error["loc"] if p != "[key]")
    field = ".".join(str(p) for p in loc)
    value = _at(raw, loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        if len(loc) == 1:
            reason = f"{field!r} is not an input of {resource}; its inputs are: {', '.join(model.model_fields)}"
        else:
            reason = f"{field!r} is not a known key; use {', '.join(repr(f) for f in FLAG_NAMES)}"
    elif kind == "missing":
        reason = f"{field} is required"
    elif kind in ("bool_type", "bool_parsing"):
        reason = f"{field} must be true or false, got {_shown(value)}"
    elif kind == "string_type":
        reason = f"{field} must be a string, got {_shown(value)}"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        reason = f"{field} must be an object, got {_shown(value)}"
    elif kind == "literal_error":
        reason = f"{field} must be one of {error['ctx']['expected']}, got {_shown(value)}"
    elif kind == "value_error":
        message = str(error["ctx"]["error"])
        # validators that cannot know where they are say only "must ...": give them their place and value
        reason = f"{field} {message}, got {_shown(value)}" if message.startswith("must") else message
    else:
        reason = f"{field}: {error['msg']} (got {_shown(value)})"
    return CheckFailure(field, reason)


def check_inputs(model: type[M], resource: str, news: dict[str, Any]) -> CheckResult:
    """Validate inputs with ``model`` and fill in defaults, leaving unknown values (preview) unknown.

    Each failure names the input, the value and the fix; nothing is sent to Twilio.
    """
    raw = {k: v for k, v in news.items() if k != PROVIDER_KEY}
    unknown = {k for k, v in raw.items() if is_unknown(v)}
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

    def account_changed(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """Whether the account acted on changes (so the resource must be replaced). Without an explicit
        ``account_sid``, a change of the configured account counts too."""
        old = olds.get("account_sid")
        return self.resolved_account(news.get("account_sid"), old) != old

    @property
    def session(self) -> Session:
        if self._session is None:  # used outside the provider server: environment only
            self._session = Session.shared({})
        return self._session
