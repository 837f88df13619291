"""``SubaccountInheritance``: whether a subaccount inherits its parent's dialing permissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult
from pydantic import BaseModel, ConfigDict, StrictBool

from ._claims import claim, identify
from ._exceptions import AccountClosedError, ConfigurationError, WriteNotAppliedError
from ._gateway import Gateway
from ._provider import AccountSid, DialingProvider, check_inputs, has_unknowns

__all__ = ["SubaccountInheritance", "SubaccountInheritanceArgs", "SubaccountInheritanceProvider"]

INPUT_KEYS = ("account_sid", "dialing_permissions_inheritance", "on_delete")


class SubaccountInheritanceInputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account_sid: AccountSid
    dialing_permissions_inheritance: StrictBool
    on_delete: Literal["restore", "retain"] = "restore"


@dataclass
class SubaccountInheritanceArgs:
    """Inputs of :class:`SubaccountInheritance`."""

    account_sid: pulumi.Input[str]
    """The subaccount (``AC...``), a subaccount of the configured account. Changing it replaces the
    resource. A main account's SID is refused: inheritance is a subaccount setting."""

    dialing_permissions_inheritance: pulumi.Input[bool]
    """``True``: the subaccount dials with its parent's permissions; ``False``: with its own (what a
    per-tenant policy needs)."""

    on_delete: pulumi.Input[str] | None = None
    """What destroying the resource does: ``"restore"`` (default) puts back the value found when the
    resource was created; ``"retain"`` leaves it."""


def _write_and_verify(gateway: Gateway, value: bool) -> None:
    gateway.update_dialing_permissions_inheritance(value)
    found = gateway.fetch_dialing_permissions_inheritance()
    if found != value:
        account = gateway.credentials.account_sid
        raise WriteNotAppliedError(
            f"Twilio accepted dialing_permissions_inheritance={str(value).lower()} for subaccount {account}, "
            f"but reading it back shows {str(found).lower()}. Nothing was recorded as changed; run the update "
            "again, and if it persists check the subaccount's settings in the Twilio Console",
            {f"{account}.dialing_permissions_inheritance": (value, found)},
        )


class SubaccountInheritanceProvider(DialingProvider):
    """Maps the resource's lifecycle onto ``/v1/Settings`` called as the subaccount."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = check_inputs(SubaccountInheritanceInputs, "SubaccountInheritance", news)
        if result.failures or has_unknowns(result.inputs, ("account_sid",)):
            return result
        conflict = claim(
            result.inputs["account_sid"],
            ["dialing_permissions_inheritance"],
            "SubaccountInheritance",
            identify("SubaccountInheritance", result.inputs),
            topic="inheritance",
            advice="keep one SubaccountInheritance per subaccount",
        )
        return CheckResult(result.inputs, [CheckFailure("account_sid", conflict)] if conflict else [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if has_unknowns(news, INPUT_KEYS):
            return DiffResult(changes=None)
        replaces = ["account_sid"] if olds.get("account_sid") != news.get("account_sid") else []
        changed = replaces or [
            k for k in ("dialing_permissions_inheritance", "on_delete", "__provider") if olds.get(k) != news.get(k)
        ]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def _subaccount_gateway(self, account_sid: str) -> Gateway:
        gateway = self.session.gateway(account_sid)
        # Acting with the account's own credentials: ask whether it is a subaccount at all.
        if gateway is self.session.main and not gateway.fetch_account(account_sid).is_subaccount:
            raise ConfigurationError(
                f"account_sid {account_sid} is a main account; dialing-permissions inheritance is a "
                "subaccount setting: use the SID of one of its subaccounts"
            )
        return gateway

    def create(self, props: dict[str, Any]) -> CreateResult:
        account_sid = props["account_sid"]
        gateway = self._subaccount_gateway(account_sid)
        before = gateway.fetch_dialing_permissions_inheritance()
        wanted = bool(props["dialing_permissions_inheritance"])
        if before != wanted:
            _write_and_verify(gateway, wanted)
        return CreateResult(account_sid, {**props, "inheritance_before_adoption": before})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            live = self.session.gateway(id_).fetch_dialing_permissions_inheritance()
        except AccountClosedError:
            return ReadResult("", {})
        outputs = {**props, "account_sid": id_, "dialing_permissions_inheritance": live}
        return ReadResult(id_, outputs, {k: outputs[k] for k in INPUT_KEYS if k in outputs})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        wanted = bool(news["dialing_permissions_inheritance"])
        if wanted != olds.get("dialing_permissions_inheritance"):
            _write_and_verify(self.session.gateway(id_), wanted)
        return UpdateResult({**news, "inheritance_before_adoption": olds.get("inheritance_before_adoption")})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        before = props.get("inheritance_before_adoption")
        if props.get("on_delete", "restore") == "retain" or before is None:
            return
        try:
            gateway = self.session.gateway(id_)
        except AccountClosedError:
            return  # nothing left to restore on a closed subaccount
        _write_and_verify(gateway, bool(before))


class SubaccountInheritance(Resource, module="twilio-dialing", name="SubaccountInheritance"):
    """Whether a Twilio subaccount inherits its parent's Voice dialing permissions.

    Creating the resource adopts the setting (the value found is kept as ``inheritance_before_adoption``),
    writes it through ``/v1/Settings`` as the subaccount and reads it back. The ID is the subaccount SID.
    """

    account_sid: pulumi.Output[str]
    dialing_permissions_inheritance: pulumi.Output[bool]
    on_delete: pulumi.Output[str]
    inheritance_before_adoption: pulumi.Output[bool]
    """The value found before this resource first managed the subaccount (what ``restore`` puts back)."""

    def __init__(
        self,
        resource_name: str,
        args: SubaccountInheritanceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "account_sid": args.account_sid,
            "dialing_permissions_inheritance": args.dialing_permissions_inheritance,
            "on_delete": args.on_delete,
            "inheritance_before_adoption": None,
        }
        super().__init__(SubaccountInheritanceProvider(), resource_name, props, opts)
