"""``DialingPermissionCountry``: one country's three dialing-permission flags on one Twilio account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, overload

import pulumi
from pulumi.dynamic import Resource
from pydantic import BaseModel, ConfigDict, StrictBool

from ._args import look_up, props_of, resource_args
from ._exceptions import TwilioDialingError, UnknownCountryError
from ._ids import CountryId
from ._lifecycle import SettingKey, SettingsProvider, SettingStore
from ._permissions import FLAG_NAMES, CountryFlagStore, Values
from ._properties import Properties
from ._provider import AccountSid, IsoCode

__all__ = ["DialingPermissionCountry", "DialingPermissionCountryArgs", "DialingPermissionCountryProvider"]

OnDelete = Literal["restore", "disable", "retain"]
INPUT_KEYS = ("iso_code", *FLAG_NAMES, "account_sid", "on_delete")
OUTPUT_ONLY = ("name", "continent", "country_codes", "flags_before_adoption")


class DialingPermissionCountryInputs(BaseModel):
    """The checked inputs; defaults are the safe choice (low-risk on, both high-risk ranges off)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iso_code: IsoCode
    low_risk_numbers_enabled: StrictBool = True
    high_risk_special_numbers_enabled: StrictBool = False
    high_risk_tollfraud_numbers_enabled: StrictBool = False
    account_sid: AccountSid | None = None
    on_delete: OnDelete = "restore"


class DialingPermissionCountryProperties(Properties):
    """What the handlers see: checked inputs, or the outputs in state (see :mod:`._properties`)."""

    iso_code: str = ""
    """Empty only in a state that lost it; the ID names the country too (and wins)."""
    low_risk_numbers_enabled: StrictBool | None = None
    high_risk_special_numbers_enabled: StrictBool | None = None
    high_risk_tollfraud_numbers_enabled: StrictBool | None = None
    on_delete: OnDelete | None = None
    # Display only (Twilio's description of the country, handed back when a read has no record): they
    # decide nothing, so whatever a state holds there must not block a refresh or a destroy.
    name: Any = None
    continent: Any = None
    country_codes: Any = None
    flags_before_adoption: dict[str, StrictBool] | None = None

    def flag(self, name: str) -> bool | None:
        """One of the three flags by its Twilio name (None: not recorded)."""
        value: bool | None = getattr(self, name)
        return value


@dataclass
class DialingPermissionCountryArgs:
    """Inputs of :class:`DialingPermissionCountry`."""

    iso_code: pulumi.Input[str]
    """ISO 3166-1 alpha-2 code of the country as Twilio lists it, upper-case (``"GB"``, ``"BR"``). Canada is
    part of ``"US"`` ("United States/Canada"). Changing it replaces the resource."""

    low_risk_numbers_enabled: pulumi.Input[bool] | None = None
    """Allow calls to the country's low-risk numbers. Default ``True``."""

    high_risk_special_numbers_enabled: pulumi.Input[bool] | None = None
    """Allow calls to high-risk special-services numbers (premium, shared cost, ...). Default ``False``."""

    high_risk_tollfraud_numbers_enabled: pulumi.Input[bool] | None = None
    """Allow calls to number ranges Twilio sees as toll-fraud risks. Default ``False``."""

    account_sid: pulumi.Input[str] | None = None
    """The account to act on (``AC...``): a subaccount of the configured account, or the configured
    account itself (the default). Changing it replaces the resource."""

    on_delete: pulumi.Input[str] | None = None
    """What destroying the resource does: ``"restore"`` (default) puts back the flags found when the
    resource first managed the country; ``"disable"`` turns all three off; ``"retain"`` leaves them."""


class DialingPermissionCountryProvider(SettingsProvider[DialingPermissionCountryProperties]):
    """Maps the resource's lifecycle onto ``/v1/DialingPermissions`` of the target account: one fetch to
    adopt, one BulkCountryUpdates entry with the full triple, one fetch to verify."""

    KIND = "DialingPermissionCountry"
    INPUTS = DialingPermissionCountryInputs
    PROPERTIES = DialingPermissionCountryProperties
    INPUT_KEYS = INPUT_KEYS
    UPDATE_KEYS = (*FLAG_NAMES, "on_delete")
    REPLACE_KEYS = ("iso_code",)
    CLAIM_KEYS = ("iso_code", "account_sid")
    WRITE_KEYS = FLAG_NAMES
    ID = CountryId

    def _store(self, account_sid: str | None) -> CountryFlagStore:
        return CountryFlagStore(self.session.gateway(account_sid), self.session.settings.bulk_chunk_size)

    def _resource_id(self, store: SettingStore, props: DialingPermissionCountryProperties) -> str:
        return CountryId(store.account_sid, props.iso_code).format()

    def _items(self, props: DialingPermissionCountryProperties) -> list[str]:
        return [props.iso_code]

    def _claim_items(self, inputs: DialingPermissionCountryProperties) -> dict[str, frozenset[str]]:
        return {inputs.iso_code: frozenset(FLAG_NAMES)}

    def _claimant(self, inputs: DialingPermissionCountryProperties) -> str:
        return f"DialingPermissionCountry (iso_code {inputs.iso_code})"

    def _claim_field(self, inputs: DialingPermissionCountryProperties) -> str:
        return "iso_code"

    def _managed(self, props: DialingPermissionCountryProperties, live: Values) -> set[SettingKey]:
        return {(props.iso_code, flag) for flag in FLAG_NAMES}

    def desired(self, props: DialingPermissionCountryProperties, live: Values) -> Values:
        # checked inputs always carry all three (the defaults are filled in)
        return {(props.iso_code, flag): bool(props.flag(flag)) for flag in FLAG_NAMES}

    def _recorded(self, outputs: DialingPermissionCountryProperties) -> Values:
        return {(outputs.iso_code, f): value for f in FLAG_NAMES if (value := outputs.flag(f)) is not None}

    def _restore_points(self, outputs: DialingPermissionCountryProperties) -> Values:
        before = outputs.flags_before_adoption or {}
        return {(outputs.iso_code, f): v for f, v in before.items() if f in FLAG_NAMES}

    def _not_found(self, props: DialingPermissionCountryProperties, store: SettingStore) -> TwilioDialingError:
        iso = props.iso_code
        return UnknownCountryError(
            f"iso_code {iso!r} is not in Twilio's Dialing Permissions country list for account "
            f"{store.account_sid}; use a code from pulumi_twilio_dialing.get_countries() (Canada is part of 'US')",
            [iso],
        )

    def _outputs(
        self, props: DialingPermissionCountryProperties, store: SettingStore, live: Values, restore: Values
    ) -> dict[str, Any]:
        iso = props.iso_code
        record = store.records.get(iso) if isinstance(store, CountryFlagStore) else None
        before = {f: restore[(iso, f)] for f in FLAG_NAMES if (iso, f) in restore}
        given = props.wire()
        return {
            **{k: given[k] for k in INPUT_KEYS if k in given},
            **{f: live[(iso, f)] for f in FLAG_NAMES if (iso, f) in live},
            "account_sid": store.account_sid,
            "name": record.name if record else props.name,
            "continent": record.continent if record else props.continent,
            "country_codes": list(record.country_codes) if record else props.country_codes,
            "flags_before_adoption": before if len(before) == len(FLAG_NAMES) else None,
        }


class DialingPermissionCountry(Resource, module="twilio-dialing", name="DialingPermissionCountry"):
    """One country's Voice dialing permissions on one Twilio account.

    Creating the resource adopts the country: the flags found are recorded (``flags_before_adoption``) and
    the three flags are written together, then read back. ``pulumi refresh`` shows drift; destroying it
    follows ``on_delete``. The ID is ``<account_sid>/<iso_code>``.
    """

    iso_code: pulumi.Output[str]
    low_risk_numbers_enabled: pulumi.Output[bool]
    high_risk_special_numbers_enabled: pulumi.Output[bool]
    high_risk_tollfraud_numbers_enabled: pulumi.Output[bool]
    account_sid: pulumi.Output[str]
    """The account acted on (resolved to the configured account when not given)."""
    on_delete: pulumi.Output[str]
    name: pulumi.Output[str]
    """Twilio's name of the country (``"United States/Canada"`` for ``US``)."""
    continent: pulumi.Output[str]
    country_codes: pulumi.Output[list[str]]
    """E.164 calling codes of the entry, with ``+`` (``["+1809", "+1829", "+1849"]`` for ``DO``)."""
    flags_before_adoption: pulumi.Output[dict[str, bool]]
    """The three flags found before this resource first managed the country (what ``restore`` puts back)."""

    @overload
    def __init__(
        self,
        resource_name: str,
        args: DialingPermissionCountryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Manage one country's dialing permissions on one account.

        :param resource_name: The resource's name in the Pulumi program.
        :param args: The inputs (see :class:`DialingPermissionCountryArgs`).
        :param opts: Options of the resource (``parent``, ``depends_on``, ``aliases``, ...).
        """

    @overload
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        iso_code: pulumi.Input[str],
        low_risk_numbers_enabled: pulumi.Input[bool] | None = None,
        high_risk_special_numbers_enabled: pulumi.Input[bool] | None = None,
        high_risk_tollfraud_numbers_enabled: pulumi.Input[bool] | None = None,
        account_sid: pulumi.Input[str] | None = None,
        on_delete: pulumi.Input[str] | None = None,
    ) -> None:
        """Manage one country's dialing permissions on one account.

        :param resource_name: The resource's name in the Pulumi program.
        :param opts: Options of the resource (``parent``, ``depends_on``, ``aliases``, ...).
        :param iso_code: ISO 3166-1 alpha-2 code as Twilio lists it, upper-case (``"GB"``); Canada is part of
            ``"US"``. Changing it replaces the resource.
        :param low_risk_numbers_enabled: Calls to the country's low-risk numbers. Default ``True``.
        :param high_risk_special_numbers_enabled: Calls to high-risk special services. Default ``False``.
        :param high_risk_tollfraud_numbers_enabled: Calls to toll-fraud-risk ranges. Default ``False``.
        :param account_sid: The account to act on (``AC...``); default the configured account.
        :param on_delete: ``"restore"`` (default), ``"disable"`` or ``"retain"``.
        """

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        kind = "DialingPermissionCountry"
        inputs, opts = resource_args(kind, DialingPermissionCountryArgs, resource_name, args, kwargs)
        super().__init__(DialingPermissionCountryProvider(), resource_name, props_of(inputs, OUTPUT_ONLY), opts)

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> DialingPermissionCountry:
        """One country's dialing permissions on one account as Twilio has them now, read by ID.

        The resource is read, never created, changed or deleted by this stack (``pulumi refresh`` reads it
        again). To manage it, declare it instead: creating the resource adopts what it finds.

        :param resource_name: The name the read resource gets in this program.
        :param id: ``<account_sid>/<iso_code>`` (``"AC…/GB"``), as the resource's ``id`` output shows it.
        :param opts: Options of the read (``parent``, ``depends_on``, ...).
        """
        return look_up(
            DialingPermissionCountry,
            DialingPermissionCountryProvider(),
            resource_name,
            id,
            opts,
            args_type=DialingPermissionCountryArgs,
            outputs=OUTPUT_ONLY,
            id_type=CountryId,
        )
