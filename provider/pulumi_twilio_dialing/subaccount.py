"""``Subaccount``: a Twilio subaccount of the configured (main) account, through the 2010 Accounts API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult
from pydantic import BaseModel, ConfigDict, StrictStr, field_validator

from ._exceptions import ConfigurationError, WriteNotAppliedError
from ._gateway import Gateway
from ._models import AccountRecord
from ._provider import AccountSid, DialingProvider, check_inputs, has_unknowns
from ._session import fetch_subaccount

__all__ = ["Subaccount", "SubaccountArgs", "SubaccountProvider"]

INPUT_KEYS = ("friendly_name", "account_sid", "on_delete")
OUTPUT_KEYS = ("sid", "status", "friendly_name", "owner_account_sid")


class SubaccountInputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    friendly_name: StrictStr
    account_sid: AccountSid | None = None
    on_delete: Literal["close", "suspend", "retain"] | None = None

    @field_validator("friendly_name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("friendly_name must not be empty: name the subaccount after its tenant")
        if len(value) > 64:
            raise ValueError(f"friendly_name is {len(value)} characters long; Twilio allows at most 64")
        return value


@dataclass
class SubaccountArgs:
    """Inputs of :class:`Subaccount`."""

    friendly_name: pulumi.Input[str]
    """The subaccount's name (1 to 64 characters). Renaming updates it in place."""

    account_sid: pulumi.Input[str] | None = None
    """Adopt this existing subaccount (``AC...``) instead of creating one. Changing it replaces."""

    on_delete: pulumi.Input[str] | None = None
    """What destroying the resource does: ``"close"`` (the default for a subaccount this resource created)
    closes it, **which is irreversible**: Twilio never reopens a closed subaccount and deletes it 30 days
    later; ``"suspend"`` suspends it (reversible); ``"retain"`` (the default for an adopted subaccount)
    leaves it as it is."""


def _outputs(record: AccountRecord, inputs: dict[str, Any]) -> dict[str, Any]:
    # Never the auth token: the record carries it, the outputs do not.
    return {**{k: inputs[k] for k in INPUT_KEYS if k in inputs}, **{k: getattr(record, k) for k in OUTPUT_KEYS}}


class SubaccountProvider(DialingProvider):
    """Maps the resource onto ``/2010-04-01/Accounts`` called with the parent's credentials."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = check_inputs(SubaccountInputs, "Subaccount", news)
        if result.failures or has_unknowns(result.inputs, ("account_sid", "on_delete")):
            return result
        inputs = dict(result.inputs)
        inputs.setdefault("on_delete", "retain" if inputs.get("account_sid") else "close")
        return CheckResult(inputs, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if has_unknowns(news, INPUT_KEYS):
            return DiffResult(changes=None)
        replaces = ["account_sid"] if olds.get("account_sid") != news.get("account_sid") else []
        changed = replaces or [k for k in ("friendly_name", "on_delete", "__provider") if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def _rename(self, gateway: Gateway, sid: str, name: str) -> AccountRecord:
        gateway.update_account(sid, friendly_name=name)
        record = gateway.fetch_account(sid)
        if record.friendly_name != name:
            raise WriteNotAppliedError(
                f"Twilio accepted the new name of subaccount {sid}, but reading it back shows "
                f"{record.friendly_name!r}; run the update again",
                {f"{sid}.friendly_name": (name, record.friendly_name)},
            )
        return record

    def create(self, props: dict[str, Any]) -> CreateResult:
        gateway = self.session.main
        name = props["friendly_name"]
        adopt = props.get("account_sid")
        if adopt:
            record = fetch_subaccount(gateway, adopt)
            if record.status == "closed":
                raise ConfigurationError(f"subaccount {adopt} is closed; Twilio never reopens a closed subaccount")
            if record.friendly_name != name:
                record = self._rename(gateway, adopt, name)
        else:
            created = gateway.create_subaccount(name)
            record = fetch_subaccount(gateway, created.sid)  # read back what Twilio made
        self.session.remember(record)
        return CreateResult(record.sid, _outputs(record, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        record = fetch_subaccount(self.session.main, id_)
        if record.status == "closed":
            return ReadResult("", {})  # closed is final: the subaccount is gone for good
        self.session.remember(record)
        outputs = _outputs(record, props)
        return ReadResult(id_, outputs, {k: outputs[k] for k in INPUT_KEYS if k in outputs})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if news["friendly_name"] != olds.get("friendly_name"):
            record = self._rename(self.session.main, id_, news["friendly_name"])
            return UpdateResult(_outputs(record, news))
        return UpdateResult({**olds, **news})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        on_delete = props.get("on_delete", "close")
        if on_delete == "retain":
            return
        status = "closed" if on_delete == "close" else "suspended"
        gateway = self.session.main
        if gateway.fetch_account(id_).status in (status, "closed"):
            return
        gateway.update_account(id_, status=status)
        found = gateway.fetch_account(id_).status
        if found != status:
            raise WriteNotAppliedError(
                f"Twilio accepted status={status} for subaccount {id_}, but reading it back shows {found}; "
                "run the destroy again",
                {f"{id_}.status": (status, found)},
            )


class Subaccount(Resource, module="twilio-dialing", name="Subaccount"):
    """A Twilio subaccount (one per tenant). Outputs its SID, status, name and parent, never its auth
    token. Destroying it closes it by default, which Twilio cannot undo (see ``on_delete``)."""

    sid: pulumi.Output[str]
    status: pulumi.Output[str]
    friendly_name: pulumi.Output[str]
    owner_account_sid: pulumi.Output[str]
    on_delete: pulumi.Output[str]

    def __init__(self, resource_name: str, args: SubaccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {
            "friendly_name": args.friendly_name,
            "account_sid": args.account_sid,
            "on_delete": args.on_delete,
            "sid": None,
            "status": None,
            "owner_account_sid": None,
        }
        super().__init__(SubaccountProvider(), resource_name, props, opts)
