"""``DialingPermissions``: the permissions of every country of one account, in one resource, in bulk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, overload

import pulumi
from pulumi.dynamic import ReadResult, Resource
from pydantic import BaseModel, ConfigDict, StrictBool

from ._args import look_up, props_of, resource_args
from ._claims import ALL_COUNTRIES
from ._exceptions import TwilioDialingError, UnknownCountryError
from ._ids import AccountId
from ._lifecycle import SettingKey, SettingsProvider, SettingStore
from ._permissions import FLAG_NAMES, CountryFlagStore, Values, table_of, values_of
from ._preview._effect import changes_text, country_changes, planned_table
from ._properties import Properties
from ._provider import AccountSid, FlagSetting, IsoCode
from ._redact import say

__all__ = [
    "UNCHANGED",
    "CountryPermissionsArgs",
    "DialingPermissions",
    "DialingPermissionsArgs",
    "DialingPermissionsProvider",
]

UNCHANGED: Final = "unchanged"
INPUT_KEYS = ("account_sid", "default", "countries", "on_delete")
OUTPUT_ONLY = ("permissions", "permissions_before_adoption")
# How many per-country lines a diagnostic shows before summarising the rest.
SHOWN_CHANGES = 40


class FlagSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    low_risk_numbers_enabled: FlagSetting | None = None
    high_risk_special_numbers_enabled: FlagSetting | None = None
    high_risk_tollfraud_numbers_enabled: FlagSetting | None = None


class DialingPermissionsInputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account_sid: AccountSid | None = None
    default: FlagSettings = FlagSettings()
    countries: dict[IsoCode, FlagSettings] = {}
    on_delete: Literal["restore", "retain"] = "restore"


FlagWant = StrictBool | Literal["unchanged"]
"""A flag as checked inputs hold it: true, false or "unchanged" (any other string, which ``bool()`` would
read as true, is refused)."""


class DialingPermissionsProperties(Properties):
    """What the handlers see: checked inputs (``default`` and every listed country carry all three flags,
    see :func:`_normalise`), or the outputs in state (see :mod:`._properties`)."""

    on_delete: Literal["restore", "retain"] | None = None
    default: dict[str, FlagWant] | None = None
    countries: dict[str, dict[str, FlagWant]] | None = None
    permissions: dict[str, dict[str, StrictBool]] | None = None
    """The table as last read: ISO code to its three flags."""
    permissions_before_adoption: dict[str, dict[str, StrictBool]] | None = None
    """The restore points: ISO code to the flags this resource manages, as found before it managed them."""

    def wanted(self, iso: str, flag: str) -> FlagWant:
        """What the inputs say of one flag of one country (a flag not stated is left "unchanged")."""
        flags = (self.countries or {}).get(iso, self.default or {})
        return flags.get(flag, UNCHANGED)


@dataclass
class CountryPermissionsArgs:
    """Flags for the countries of a :class:`DialingPermissions`: each is ``True``, ``False`` or
    ``"unchanged"`` (leave it as Twilio has it); ``None`` means "as the default says"."""

    low_risk_numbers_enabled: bool | str | None = None
    """Calls to low-risk numbers."""

    high_risk_special_numbers_enabled: bool | str | None = None
    """Calls to high-risk special services (premium, shared cost, ...)."""

    high_risk_tollfraud_numbers_enabled: bool | str | None = None
    """Calls to ranges Twilio sees as toll-fraud risks."""

    def as_dict(self) -> dict[str, bool | str]:
        return {name: getattr(self, name) for name in FLAG_NAMES if getattr(self, name) is not None}


@dataclass
class DialingPermissionsArgs:
    """Inputs of :class:`DialingPermissions`."""

    default: pulumi.Input[CountryPermissionsArgs | dict[str, Any]] | None = None
    """What every country not listed in ``countries`` gets, per flag. A flag left ``None`` or
    ``"unchanged"`` is not managed. The seed's hardening is
    ``CountryPermissionsArgs("unchanged", False, False)``."""

    countries: pulumi.Input[dict[str, CountryPermissionsArgs | dict[str, Any]]] | None = None
    """Per ISO code, flags that override ``default``; a flag left ``None`` follows the default."""

    account_sid: pulumi.Input[str] | None = None
    """The account to act on (``AC...``): a subaccount of the configured account, or the configured
    account itself (the default). Changing it replaces the resource."""

    on_delete: pulumi.Input[str] | None = None
    """``"restore"`` (default): put back, for every flag this resource manages, the value found when it was
    created; ``"retain"``: leave everything as it is."""


def _flags(value: Any) -> Any:
    """One set of flags as the wire takes it: a CountryPermissionsArgs as its dict, anything else as given."""
    return value.as_dict() if isinstance(value, CountryPermissionsArgs) else value


def _normalise(inputs: DialingPermissionsProperties) -> dict[str, Any]:
    """Fill each country's missing flags from the default, so state (and the engine's own diff) holds the
    explicit setting of every listed country."""
    given = inputs.default or {}
    default = {name: given.get(name, UNCHANGED) for name in FLAG_NAMES}
    countries = {
        iso: {name: flags.get(name, default[name]) for name in FLAG_NAMES}
        for iso, flags in sorted((inputs.countries or {}).items())
    }
    return {"default": default, "countries": countries}


def _isos(live: Values) -> list[str]:
    return sorted({iso for iso, _ in live})


def _report(title: str, before: Values, after: Values) -> None:
    """Per-country lines on the provider's output, which the engine shows as diagnostics (no detailed
    diff reaches the engine from a dynamic provider); risk-raising countries first and marked."""
    text = changes_text(title, country_changes(before, after), SHOWN_CHANGES)
    if text:
        say(text)


class DialingPermissionsProvider(SettingsProvider[DialingPermissionsProperties]):
    """Maps the resource onto one list request, chunked BulkCountryUpdates and one verifying list request."""

    KIND = "DialingPermissions"
    INPUTS = DialingPermissionsInputs
    PROPERTIES = DialingPermissionsProperties
    INPUT_KEYS = INPUT_KEYS
    UPDATE_KEYS = ("default", "countries", "on_delete")
    CLAIM_KEYS = INPUT_KEYS
    WRITE_KEYS = ("default", "countries")
    READS_BEFORE_UPDATE = True

    def _completed(self, inputs: DialingPermissionsProperties) -> dict[str, Any]:
        return _normalise(inputs)

    def _store(self, account_sid: str | None) -> CountryFlagStore:
        return CountryFlagStore(
            self.session.gateway(account_sid), self.session.settings.bulk_chunk_size, whole_table=True
        )

    def _claim_items(self, inputs: DialingPermissionsProperties) -> dict[str, frozenset[str]]:
        items = {
            iso: frozenset(f for f in FLAG_NAMES if inputs.wanted(iso, f) != UNCHANGED)
            for iso in inputs.countries or {}
        }
        default = frozenset(f for f in FLAG_NAMES if (inputs.default or {}).get(f, UNCHANGED) != UNCHANGED)
        return {**items, ALL_COUNTRIES: default} if default else items

    def _claim_field(self, inputs: DialingPermissionsProperties) -> str:
        return "default" if any(v != UNCHANGED for v in (inputs.default or {}).values()) else "countries"

    def _check_new(self, inputs: DialingPermissionsProperties) -> None:
        """A new resource has no table in state to diff against: read it once (the create that follows in
        this process reuses the read) so the preview can say, per country, what the create would change."""
        try:
            store = self._store(self._account(inputs))
            live = store.read()
        except TwilioDialingError as error:
            say(f"DialingPermissions: cannot show the per-country changes of the create: {error}")
            return
        self.session.stash_table(store.account_sid, table_of(live))
        _report(f"DialingPermissions of {store.account_sid} would change", live, {**live, **self.desired(inputs, live)})

    def _initial(self, store: SettingStore, props: DialingPermissionsProperties) -> Values:
        stashed = self.session.take_table(store.account_sid)
        return values_of(stashed) if stashed is not None else store.read()

    def _check_live(self, props: DialingPermissionsProperties, store: SettingStore, live: Values) -> None:
        unknown = sorted(set(props.countries or {}) - set(_isos(live)))
        if unknown:
            raise UnknownCountryError(
                f"countries lists {', '.join(unknown)}, which Twilio's Dialing Permissions country list for "
                f"account {store.account_sid} does not have; remove them (Canada is part of 'US'; "
                "pulumi_twilio_dialing.get_countries() lists the codes). Nothing was written",
                unknown,
            )

    def _managed(self, props: DialingPermissionsProperties, live: Values) -> set[SettingKey]:
        return {(iso, f) for iso in _isos(live) for f in FLAG_NAMES if props.wanted(iso, f) != UNCHANGED}

    def desired(self, props: DialingPermissionsProperties, live: Values) -> Values:
        return {
            (iso, f): bool(want)
            for iso in _isos(live)
            for f in FLAG_NAMES
            if (want := props.wanted(iso, f)) != UNCHANGED
        }

    def _recorded(self, outputs: DialingPermissionsProperties) -> Values:
        return values_of(outputs.permissions or {})

    def _restore_points(self, outputs: DialingPermissionsProperties) -> Values:
        # Versions before per-flag ownership recorded the whole table found at creation: keep only the
        # flags the inputs manage (the rest was never this resource's to put back).
        recorded = values_of(outputs.permissions_before_adoption or {})
        if not recorded:
            return {}  # none recorded (a table read with `get` has none): nothing to filter
        managed = self._managed(outputs, self._recorded(outputs) or recorded)
        return {k: v for k, v in recorded.items() if k in managed}

    def _outputs(
        self, props: DialingPermissionsProperties, store: SettingStore, live: Values, restore: Values
    ) -> dict[str, Any]:
        given = props.wire()
        return {
            **{k: given[k] for k in INPUT_KEYS if k in given},
            "account_sid": store.account_sid,
            "permissions": table_of(live),
            "permissions_before_adoption": table_of(restore),
        }

    def _pending(self, id_: str, olds: DialingPermissionsProperties, news: DialingPermissionsProperties) -> bool:
        drifted = super()._pending(id_, olds, news)
        recorded, after = planned_table(self, olds, news)  # the preview report computes it the same way
        if olds.unverified:
            # No table in a partial state: silence would read as "no change", yet the update writes what differs.
            say(
                f"DialingPermissions of {id_}: the state is partial (an earlier operation failed part-way), so "
                "the update reads Twilio first and writes every country that differs from the inputs; the "
                "per-country changes show when it runs"
            )
        _report(f"DialingPermissions of {id_} would change", recorded, after)
        return drifted or after != recorded

    def _look_up(self, id_: str, named: DialingPermissionsProperties) -> ReadResult:
        # Nothing recorded to show drift against: the table as it is, without the per-country report.
        return super()._read(id_, named)

    def _read(self, id_: str, recorded: DialingPermissionsProperties) -> ReadResult:
        result = super()._read(id_, recorded)
        if result.id:
            now = self.properties(result.outs or {}, id_)
            _report(f"DialingPermissions of {id_} drifted", self._recorded(recorded), self._recorded(now))
        return result

    def _changed(self, store: SettingStore, before: Values, after: Values) -> None:
        _report(f"DialingPermissions of {store.account_sid} changed", before, after)


class DialingPermissions(Resource, module="twilio-dialing", name="DialingPermissions"):
    """The Voice dialing permissions of every country of one account, in one resource.

    Create reads the whole table in one request (the restore point), computes the table the inputs ask
    for, writes only the countries that differ in as few BulkCountryUpdates requests as
    ``twilio-dialing:bulkChunkSize`` allows, and verifies with one more list request. Preview prints, per
    country, what would change; an unchanged program makes no request. The ID is the account SID.
    """

    account_sid: pulumi.Output[str]
    default: pulumi.Output[dict[str, Any]]
    countries: pulumi.Output[dict[str, dict[str, Any]]]
    on_delete: pulumi.Output[str]
    permissions: pulumi.Output[dict[str, dict[str, bool]]]
    """The live table after the last write or refresh: ISO code to its three flags."""
    permissions_before_adoption: pulumi.Output[dict[str, dict[str, bool]]]
    """The table found when the resource was created (what ``restore`` puts back)."""

    @overload
    def __init__(
        self,
        resource_name: str,
        args: DialingPermissionsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Manage the dialing permissions of every country of one account.

        :param resource_name: The resource's name in the Pulumi program.
        :param args: The inputs (see :class:`DialingPermissionsArgs`).
        :param opts: Options of the resource (``parent``, ``depends_on``, ``aliases``, ...).
        """

    @overload
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        default: pulumi.Input[CountryPermissionsArgs | dict[str, Any]] | None = None,
        countries: pulumi.Input[dict[str, CountryPermissionsArgs | dict[str, Any]]] | None = None,
        account_sid: pulumi.Input[str] | None = None,
        on_delete: pulumi.Input[str] | None = None,
    ) -> None:
        """Manage the dialing permissions of every country of one account.

        :param resource_name: The resource's name in the Pulumi program.
        :param opts: Options of the resource (``parent``, ``depends_on``, ``aliases``, ...).
        :param default: What every country not in ``countries`` gets, per flag (``None`` or ``"unchanged"``:
            not managed).
        :param countries: Per ISO code, flags that override ``default``.
        :param account_sid: The account to act on (``AC...``); default the configured account.
        :param on_delete: ``"restore"`` (default) or ``"retain"``.
        """

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        inputs, opts = resource_args("DialingPermissions", DialingPermissionsArgs, resource_name, args, kwargs)
        props = props_of(inputs, OUTPUT_ONLY)
        # The wire takes plain objects: each CountryPermissionsArgs becomes its dict of flags (a dict, as
        # `countries` takes for each entry, goes as it is: the provider checks it like any input).
        if isinstance(inputs.default, CountryPermissionsArgs):
            props["default"] = inputs.default.as_dict()
        elif isinstance(inputs.default, pulumi.Output):
            props["default"] = inputs.default.apply(_flags)
        if inputs.countries is not None:
            props["countries"] = pulumi.Output.from_input(inputs.countries).apply(
                lambda value: {iso: _flags(flags) for iso, flags in (value or {}).items()}
            )
        super().__init__(DialingPermissionsProvider(), resource_name, props, opts)

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> DialingPermissions:
        """The dialing permissions of every country of one account as Twilio has them now (``permissions``), read by ID.

        The resource is read, never created, changed or deleted by this stack (``pulumi refresh`` reads it
        again). To manage it, declare it instead: creating the resource adopts what it finds.

        :param resource_name: The name the read resource gets in this program.
        :param id: The account SID (``AC…``).
        :param opts: Options of the read (``parent``, ``depends_on``, ...).
        """
        return look_up(
            DialingPermissions,
            DialingPermissionsProvider(),
            resource_name,
            id,
            opts,
            args_type=DialingPermissionsArgs,
            outputs=OUTPUT_ONLY,
            id_type=AccountId,
        )
