"""``DialingPermissionCountry``: one country's three dialing-permission flags on one Twilio account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult
from pydantic import BaseModel, ConfigDict, StrictBool

from ._claims import claim, identify
from ._exceptions import AccountClosedError, NotFoundError, UnknownCountryError
from ._models import DialingPermissionsCountry
from ._permissions import FLAG_NAMES, Flags, flags_of, write_and_verify
from ._provider import AccountSid, DialingProvider, IsoCode, check_inputs, has_unknowns

__all__ = ["DialingPermissionCountry", "DialingPermissionCountryArgs", "DialingPermissionCountryProvider"]

OnDelete = Literal["restore", "disable", "retain"]
REPLACE_KEYS = ("iso_code", "account_sid")
INPUT_KEYS = ("iso_code", *FLAG_NAMES, "account_sid", "on_delete")


class DialingPermissionCountryInputs(BaseModel):
    """The checked inputs; defaults are the safe choice (low-risk on, both high-risk ranges off)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iso_code: IsoCode
    low_risk_numbers_enabled: StrictBool = True
    high_risk_special_numbers_enabled: StrictBool = False
    high_risk_tollfraud_numbers_enabled: StrictBool = False
    account_sid: AccountSid | None = None
    on_delete: OnDelete = "restore"


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


class DialingPermissionCountryProvider(DialingProvider):
    """Maps the resource's lifecycle onto ``/v1/DialingPermissions`` of the target account."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = check_inputs(DialingPermissionCountryInputs, "DialingPermissionCountry", news)
        if result.failures or has_unknowns(result.inputs, ("iso_code", "account_sid")):
            return result
        iso = result.inputs["iso_code"]
        conflict = claim(
            self.account_key(result.inputs.get("account_sid")),
            [iso],
            f"DialingPermissionCountry (iso_code {iso})",
            identify("DialingPermissionCountry", result.inputs),
        )
        return CheckResult(result.inputs, [CheckFailure("iso_code", conflict)] if conflict else [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if has_unknowns(news, INPUT_KEYS):
            return DiffResult(changes=None)
        replaces = []
        if olds.get("iso_code") != news.get("iso_code"):
            replaces.append("iso_code")
        if self.account_changed(olds, news):
            replaces.append("account_sid")
        changed = replaces or [k for k in (*FLAG_NAMES, "on_delete", "__provider") if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    @staticmethod
    def _outputs(
        inputs: dict[str, Any], account_sid: str, live: DialingPermissionsCountry, before: Flags | None
    ) -> dict[str, Any]:
        return {
            **{k: inputs[k] for k in INPUT_KEYS if k in inputs},
            **flags_of(live),
            "account_sid": account_sid,
            "name": live.name,
            "continent": live.continent,
            "country_codes": list(live.country_codes),
            "flags_before_adoption": before,
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        gateway = self.session.gateway(props.get("account_sid"))
        account_sid = gateway.credentials.account_sid
        iso = props["iso_code"]
        try:
            current = gateway.fetch_country(iso)
        except NotFoundError:
            raise UnknownCountryError(
                f"iso_code {iso!r} is not in Twilio's Dialing Permissions country list for account "
                f"{account_sid}; use a code from pulumi_twilio_dialing.get_countries() (Canada is part of 'US')",
                [iso],
            ) from None
        before = flags_of(current)
        wanted = flags_of(props)
        live = current if before == wanted else write_and_verify(gateway, {iso: wanted})[iso]
        return CreateResult(f"{account_sid}/{iso}", self._outputs(props, account_sid, live, before))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        account_sid, _, iso = id_.partition("/")
        try:
            live = self.session.gateway(account_sid).fetch_country(iso)
        except (NotFoundError, AccountClosedError):
            return ReadResult("", {})  # the country, or the whole subaccount, is gone
        inputs = {k: props[k] for k in ("on_delete",) if k in props}
        outputs = self._outputs({**inputs, "iso_code": iso}, account_sid, live, props.get("flags_before_adoption"))
        return ReadResult(id_, outputs, {k: outputs[k] for k in INPUT_KEYS if k in outputs})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        account_sid, _, iso = id_.partition("/")
        wanted = flags_of(news)
        if wanted == flags_of(olds):
            # Only on_delete (or the provider code) changed: state only, no request.
            return UpdateResult({**olds, **{k: news[k] for k in INPUT_KEYS if k in news}, "account_sid": account_sid})
        live = write_and_verify(self.session.gateway(account_sid), {iso: wanted})[iso]
        return UpdateResult(self._outputs(news, account_sid, live, olds.get("flags_before_adoption")))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        account_sid, _, iso = id_.partition("/")
        on_delete = props.get("on_delete", "restore")
        if on_delete == "retain":
            return
        if on_delete == "disable":
            target = dict.fromkeys(FLAG_NAMES, False)
        else:
            before = props.get("flags_before_adoption")
            if not before:
                return  # no restore point recorded: nothing known to put back
            target = flags_of(before)
        try:
            write_and_verify(self.session.gateway(account_sid), {iso: target})
        except (NotFoundError, AccountClosedError):
            return  # the country or the subaccount is gone: nothing left to restore


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

    def __init__(
        self,
        resource_name: str,
        args: DialingPermissionCountryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "iso_code": args.iso_code,
            "low_risk_numbers_enabled": args.low_risk_numbers_enabled,
            "high_risk_special_numbers_enabled": args.high_risk_special_numbers_enabled,
            "high_risk_tollfraud_numbers_enabled": args.high_risk_tollfraud_numbers_enabled,
            "account_sid": args.account_sid,
            "on_delete": args.on_delete,
            "name": None,
            "continent": None,
            "country_codes": None,
            "flags_before_adoption": None,
        }
        super().__init__(DialingPermissionCountryProvider(), resource_name, props, opts)
