"""``DialingPermissions``: the permissions of every country of one account, in one resource, in bulk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult
from pydantic import BaseModel, ConfigDict

from ._claims import ALL_COUNTRIES, claim, identify
from ._exceptions import AccountClosedError, TwilioDialingError, UnknownCountryError
from ._gateway import Gateway
from ._permissions import FLAG_NAMES, Flags, changed_flags, flags_of, write_and_verify
from ._provider import AccountSid, DialingProvider, FlagSetting, IsoCode, check_inputs, has_unknowns

__all__ = [
    "UNCHANGED",
    "CountryPermissionsArgs",
    "DialingPermissions",
    "DialingPermissionsArgs",
    "DialingPermissionsProvider",
]

UNCHANGED = "unchanged"
INPUT_KEYS = ("account_sid", "default", "countries", "on_delete")
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

    default: CountryPermissionsArgs | None = None
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


def _normalise(inputs: dict[str, Any]) -> dict[str, Any]:
    """Fill each country's missing flags from the default, so state (and the engine's own diff) holds the
    explicit setting of every listed country."""
    default = {name: inputs.get("default", {}).get(name, UNCHANGED) for name in FLAG_NAMES}
    countries = {
        iso: {name: flags.get(name, default[name]) for name in FLAG_NAMES}
        for iso, flags in sorted(inputs.get("countries", {}).items())
    }
    return {**inputs, "default": default, "countries": countries}


def target_table(current: dict[str, Flags], default: dict[str, Any], countries: dict[str, Any]) -> dict[str, Flags]:
    """The table the inputs ask for, given the live one: "unchanged" keeps the live value."""
    target = {}
    for iso, flags in current.items():
        wanted = countries.get(iso, default)
        target[iso] = {name: flags[name] if wanted[name] == UNCHANGED else bool(wanted[name]) for name in FLAG_NAMES}
    return target


def _differences(before: dict[str, Flags], after: dict[str, Flags]) -> dict[str, Flags]:
    return {iso: flags for iso, flags in after.items() if before.get(iso) != flags}


def _report(title: str, before: dict[str, Flags], after: dict[str, Flags]) -> None:
    """Per-country lines on the provider's output, which the engine shows as diagnostics (no detailed
    diff reaches the engine from a dynamic provider)."""
    changed = _differences(before, after)
    if not changed:
        return
    lines = [f"{title}: {len(changed)} {'country' if len(changed) == 1 else 'countries'}"]
    for iso in list(changed)[:SHOWN_CHANGES]:
        lines.append(f"  {iso}: {', '.join(changed_flags(before[iso], after[iso]))}")
    if len(changed) > SHOWN_CHANGES:
        lines.append(f"  ... and {len(changed) - SHOWN_CHANGES} more")
    print("\n".join(lines), flush=True)


class DialingPermissionsProvider(DialingProvider):
    """Maps the resource onto one list request, chunked BulkCountryUpdates and one verifying list request."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = check_inputs(DialingPermissionsInputs, "DialingPermissions", news)
        if result.failures or has_unknowns(result.inputs, INPUT_KEYS):
            return result
        inputs = _normalise(result.inputs)
        manages_all = any(v != UNCHANGED for v in inputs["default"].values())
        conflict = claim(
            self.account_key(inputs.get("account_sid")),
            [ALL_COUNTRIES] if manages_all else list(inputs["countries"]),
            "DialingPermissions",
            identify("DialingPermissions", inputs),
        )
        if conflict:
            return CheckResult(inputs, [CheckFailure("countries" if not manages_all else "default", conflict)])
        if not olds:
            self._preview_new(inputs)
        return CheckResult(inputs, [])

    def _preview_new(self, inputs: dict[str, Any]) -> None:
        """A new resource has no table in state to diff against: read it once (the create that follows in
        this process reuses the read) so the preview can say, per country, what the create would change."""
        try:
            gateway = self.session.gateway(inputs.get("account_sid"))
            table = {c.iso_code: flags_of(c) for c in gateway.list_countries()}
        except TwilioDialingError as error:
            print(f"DialingPermissions: cannot show the per-country changes of the create: {error}", flush=True)
            return
        account = gateway.credentials.account_sid
        self.session.stash_table(account, table)
        _report(
            f"DialingPermissions of {account} would change",
            table,
            target_table(table, inputs["default"], inputs["countries"]),
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if has_unknowns(news, INPUT_KEYS):
            return DiffResult(changes=None)
        account = olds.get("account_sid")
        if self.account_changed(olds, news):
            return DiffResult(changes=True, replaces=["account_sid"], delete_before_replace=False)
        live = olds.get("permissions") or {}
        target = target_table(live, news["default"], news["countries"])
        _report(f"DialingPermissions of {account} would change", live, target)
        changed = target != live or any(
            olds.get(k) != news.get(k) for k in ("default", "countries", "on_delete", "__provider")
        )
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def _converge(
        self, gateway: Gateway, props: dict[str, Any], current: dict[str, Flags] | None = None
    ) -> tuple[dict[str, Flags], dict[str, Flags]]:
        """Read the table once (unless given), write what differs, verify with one more read. Returns
        (before, after)."""
        if current is None:
            current = {c.iso_code: flags_of(c) for c in gateway.list_countries()}
        unknown = sorted(set(props["countries"]) - set(current))
        if unknown:
            raise UnknownCountryError(
                f"countries lists {', '.join(unknown)}, which Twilio's Dialing Permissions country list for "
                f"account {gateway.credentials.account_sid} does not have; remove them (Canada is part of 'US'; "
                "pulumi_twilio_dialing.get_countries() lists the codes). Nothing was written",
                unknown,
            )
        target = target_table(current, props["default"], props["countries"])
        changes = _differences(current, target)
        found = write_and_verify(
            gateway, changes, chunk_size=self.session.settings.bulk_chunk_size, before=current, whole_table=True
        )
        after = {iso: flags_of(c) for iso, c in found.items()} if found else current
        _report(f"DialingPermissions of {gateway.credentials.account_sid} changed", current, after)
        return current, after

    def create(self, props: dict[str, Any]) -> CreateResult:
        gateway = self.session.gateway(props.get("account_sid"))
        before, after = self._converge(gateway, props, self.session.take_table(gateway.credentials.account_sid))
        account = gateway.credentials.account_sid
        return CreateResult(
            account,
            {**props, "account_sid": account, "permissions": after, "permissions_before_adoption": before},
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            gateway = self.session.gateway(id_)
        except AccountClosedError:
            return ReadResult("", {})
        live = {c.iso_code: flags_of(c) for c in gateway.list_countries()}
        _report(f"DialingPermissions of {id_} drifted", props.get("permissions") or {}, live)
        outputs = {**props, "account_sid": id_, "permissions": live}
        return ReadResult(id_, outputs, {k: outputs[k] for k in INPUT_KEYS if k in outputs})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        restore_point = olds.get("permissions_before_adoption")
        live = olds.get("permissions") or {}
        same_inputs = all(olds.get(k) == news.get(k) for k in ("default", "countries"))
        if same_inputs and target_table(live, news["default"], news["countries"]) == live:
            # on_delete (or the provider code) changed, nothing to write: state only, no request
            return UpdateResult({**olds, **news, "account_sid": id_})
        _, after = self._converge(self.session.gateway(id_), news)
        return UpdateResult(
            {**news, "account_sid": id_, "permissions": after, "permissions_before_adoption": restore_point}
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        before = props.get("permissions_before_adoption")
        if props.get("on_delete", "restore") == "retain" or not before:
            return
        try:
            gateway = self.session.gateway(id_)
        except AccountClosedError:
            return  # nothing left to restore on a closed subaccount
        current = {c.iso_code: flags_of(c) for c in gateway.list_countries()}
        # Put back only what this resource manages: flags it left "unchanged" may belong to someone else.
        target = {}
        for iso, flags in current.items():
            wanted = props["countries"].get(iso, props["default"])
            original = before.get(iso, flags)
            target[iso] = {name: flags[name] if wanted[name] == UNCHANGED else original[name] for name in FLAG_NAMES}
        write_and_verify(
            gateway,
            _differences(current, target),
            chunk_size=self.session.settings.bulk_chunk_size,
            before=current,
            whole_table=True,
        )


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

    def __init__(
        self,
        resource_name: str,
        args: DialingPermissionsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        countries = (
            pulumi.Output.from_input(args.countries).apply(
                lambda value: {
                    iso: flags.as_dict() if isinstance(flags, CountryPermissionsArgs) else flags
                    for iso, flags in (value or {}).items()
                }
            )
            if args.countries is not None
            else None
        )
        props: dict[str, Any] = {
            "account_sid": args.account_sid,
            "default": args.default.as_dict() if args.default is not None else None,
            "countries": countries,
            "on_delete": args.on_delete,
            "permissions": None,
            "permissions_before_adoption": None,
        }
        super().__init__(DialingPermissionsProvider(), resource_name, props, opts)
