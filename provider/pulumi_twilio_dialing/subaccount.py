"""``Subaccount``: a Twilio subaccount of the configured (main) account, through the 2010 Accounts API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, overload

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, Resource, UpdateResult
from pydantic import BaseModel, ConfigDict

from . import _claims
from ._args import look_up, props_of, resource_args
from ._exceptions import (
    ConfigurationError,
    TwilioApiError,
    TwilioConnectionError,
    TwilioDialingError,
    TwilioRequestError,
    WriteNotAppliedError,
)
from ._gateway import Gateway
from ._ids import AccountId
from ._lifecycle import ManagedProvider
from ._models import AccountRecord
from ._properties import Properties
from ._provider import AccountSid, SubaccountName
from ._redact import say
from ._session import fetch_subaccount

__all__ = ["Subaccount", "SubaccountArgs", "SubaccountProvider"]

INPUT_KEYS = ("friendly_name", "account_sid", "on_delete")
OUTPUT_KEYS = ("sid", "status", "friendly_name", "owner_account_sid")
OUTPUT_ONLY = ("sid", "status", "owner_account_sid")
# After a create without a usable answer: how often to look for what it made (apart as the retry backoff).
FIND_ATTEMPTS = 4


class SubaccountInputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # not blank, no control characters (a NUL would be stored at Twilio as given), at most 64 characters;
    # TenantDialingPolicy checks its friendly_name with the same validator
    friendly_name: SubaccountName
    account_sid: AccountSid | None = None
    on_delete: Literal["close", "suspend", "retain"] | None = None


def default_on_delete(account_sid: object) -> Literal["close", "retain"]:
    """What destroying does when the inputs do not say: an adopted subaccount (named by ``account_sid``) is
    someone else's, and closing it cannot be undone; one the resource created is its own to close."""
    return "retain" if account_sid else "close"


class SubaccountProperties(Properties):
    """What the handlers see: checked inputs, or the outputs in state (see :mod:`._properties`). The name is
    a plain string here: one renamed in the Console need not pass the input rules to be refreshed or
    destroyed."""

    # A value outside these is refused, not guessed: closing is irreversible.
    on_delete: Literal["close", "suspend", "retain"] | None = None
    friendly_name: str | None = None
    sid: str | None = None
    status: str | None = None
    owner_account_sid: str | None = None


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


def _outputs(record: AccountRecord, props: SubaccountProperties) -> dict[str, Any]:
    # Never the auth token: the record carries it, the outputs do not.
    given = props.wire()
    return {**{k: given[k] for k in INPUT_KEYS if k in given}, **{k: getattr(record, k) for k in OUTPUT_KEYS}}


class SubaccountProvider(ManagedProvider[SubaccountProperties]):
    """Maps the resource onto ``/2010-04-01/Accounts`` called with the parent's credentials."""

    KIND = "Subaccount"
    INPUTS = SubaccountInputs
    PROPERTIES = SubaccountProperties
    INPUT_KEYS = INPUT_KEYS
    UPDATE_KEYS = ("friendly_name", "on_delete")
    REPLACE_KEYS = ("account_sid",)
    ACCOUNT_REPLACES = False
    CLAIM_KEYS = ("account_sid", "on_delete")

    def _completed(self, inputs: SubaccountProperties) -> dict[str, Any]:
        return {} if inputs.on_delete else {"on_delete": default_on_delete(inputs.account_sid)}

    def _claim(self, inputs: SubaccountProperties, identity: str) -> list[CheckFailure]:
        adopted = inputs.account_sid
        if not adopted:
            return []
        conflict = _claims.claim(
            adopted,
            {"Account": frozenset({"status"})},
            "Subaccount",
            identity,
            topic="subaccount",
            advice="keep one Subaccount resource per subaccount",
        )
        return [CheckFailure("account_sid", conflict)] if conflict else []

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

    def _create(self, props: SubaccountProperties) -> CreateResult:
        gateway = self.session.main
        name = props.friendly_name or ""  # checked inputs always name it (it is required)
        adopt = props.account_sid
        if adopt:
            record = fetch_subaccount(gateway, adopt)
            if record.status == "closed":
                raise ConfigurationError(f"subaccount {adopt} is closed; Twilio never reopens a closed subaccount")
            if record.friendly_name != name:
                record = self._rename(gateway, adopt, name)
        else:
            created = self._create_once(gateway, name)
            try:
                record = fetch_subaccount(gateway, created.sid)  # read back what Twilio made
            except TwilioDialingError as error:
                # It exists (and bills) whatever the read says: record it from the create's own answer
                # rather than fail and leave it unmanaged.
                say(f"Subaccount {created.sid}: reading it back failed ({error}); recorded from the create's answer")
                record = created
        self.session.remember(record)
        return CreateResult(record.sid, _outputs(record, props))

    def _create_once(self, gateway: Gateway, name: str) -> AccountRecord:
        """Create the subaccount, never two. Creating is not idempotent: a retry after a lost answer would
        make a second subaccount that stays open (and billable) forever. So: refuse if an active subaccount
        already has the name (a previous attempt whose answer was lost, or another tenant's), and after a
        failure without a usable answer, look for the one this request may have made and adopt it."""
        existing = gateway.list_accounts(friendly_name=name, status="active")
        existing = [a for a in existing if a.is_subaccount]
        if existing:
            raise ConfigurationError(
                f"an active subaccount named {name!r} already exists ({', '.join(a.sid for a in existing)}): "
                "it may be one an earlier `pulumi up` created before its answer was lost. Adopt it with "
                "account_sid (TenantDialingPolicy: subaccount_sid), close it, or choose another friendly_name; "
                "nothing was created"
            )
        try:
            return gateway.create_subaccount(name)
        except TwilioRequestError as error:
            if not _answer_lost(error):
                raise
            return self._find_created(gateway, name, error)

    def _find_created(self, gateway: Gateway, name: str, error: TwilioRequestError) -> AccountRecord:
        def look() -> list[AccountRecord]:
            try:
                return [a for a in gateway.list_accounts(friendly_name=name, status="active") if a.is_subaccount]
            except TwilioDialingError:
                return []  # a failed look is no answer either: look again

        # The list may show a new account only after a moment: look like a read-back waits for a write.
        found = gateway.settle(look, bool, reads=FIND_ATTEMPTS)
        if len(found) == 1:
            say(
                f"Subaccount {name!r}: Twilio's answer to the create was lost ({error}); adopted {found[0].sid}, "
                "which that request made"
            )
            return found[0]
        if found:
            raise ConfigurationError(
                f"creating subaccount {name!r} got no usable answer ({error}), and {len(found)} active "
                f"subaccounts now have that name ({', '.join(a.sid for a in found)}); none was adopted. Keep one "
                "(adopt it with account_sid) and close the others"
            ) from None
        raise ConfigurationError(
            f"creating subaccount {name!r} got no usable answer ({error}) and no subaccount with that name "
            "has appeared, so nothing was recorded. Run `pulumi up` again: if Twilio did create it, that run "
            "refuses to create a second and names it so you can adopt it"
        ) from None

    def _read(self, id_: str, props: SubaccountProperties) -> ReadResult:
        record = fetch_subaccount(self.session.main, id_)
        if record.status == "closed":
            return ReadResult("", {})  # closed is final: the subaccount is gone for good
        self.session.remember(record)
        return self.refreshed(id_, _outputs(record, props))

    def _update(self, id_: str, olds: SubaccountProperties, news: SubaccountProperties) -> UpdateResult:
        if news.friendly_name and news.friendly_name != olds.friendly_name:
            record = self._rename(self.session.main, id_, news.friendly_name)
            return UpdateResult(_outputs(record, news))
        return UpdateResult({**olds.wire(), **news.wire()})

    def _delete(self, id_: str, props: SubaccountProperties) -> None:
        # 0.1.0 wrote it always; a state that lost it falls back as check does
        on_delete = props.on_delete or default_on_delete(props.account_sid)
        if on_delete == "retain":
            return
        users = _claims.account_users(id_)
        if users:
            say(
                f"Subaccount {id_}: not {'closed' if on_delete == 'close' else 'suspended'}, because "
                f"{', '.join(users)} of this deployment act on it now"
            )
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


def _answer_lost(error: TwilioRequestError) -> bool:
    """No usable answer: the request may have been carried out."""
    return isinstance(error, TwilioConnectionError) or (isinstance(error, TwilioApiError) and error.status >= 500)


class Subaccount(Resource, module="twilio-dialing", name="Subaccount"):
    """A Twilio subaccount (one per tenant). Outputs its SID, status, name and parent, never its auth
    token. Destroying it closes it by default, which Twilio cannot undo (see ``on_delete``)."""

    sid: pulumi.Output[str]
    status: pulumi.Output[str]
    friendly_name: pulumi.Output[str]
    owner_account_sid: pulumi.Output[str]
    on_delete: pulumi.Output[str]

    @overload
    def __init__(self, resource_name: str, args: SubaccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Create (or adopt) a Twilio subaccount.

        :param resource_name: The resource's name in the Pulumi program.
        :param args: The inputs (see :class:`SubaccountArgs`).
        :param opts: Options of the resource (``parent``, ``depends_on``, ``protect``, ...).
        """

    @overload
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        friendly_name: pulumi.Input[str],
        account_sid: pulumi.Input[str] | None = None,
        on_delete: pulumi.Input[str] | None = None,
    ) -> None:
        """Create (or adopt) a Twilio subaccount.

        :param resource_name: The resource's name in the Pulumi program.
        :param opts: Options of the resource (``parent``, ``depends_on``, ``protect``, ...).
        :param friendly_name: The subaccount's name (1 to 64 characters); renaming updates it in place.
        :param account_sid: Adopt this existing subaccount (``AC...``) instead of creating one.
        :param on_delete: ``"close"`` (default for a created subaccount; irreversible), ``"suspend"`` or
            ``"retain"`` (default for an adopted one).
        """

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        inputs, opts = resource_args("Subaccount", SubaccountArgs, resource_name, args, kwargs)
        props = props_of(inputs, OUTPUT_ONLY)
        super().__init__(SubaccountProvider(), resource_name, props, opts)

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> Subaccount:
        """An existing subaccount of the configured account (SID, status, name, parent), read by ID.

        The resource is read, never created, changed or deleted by this stack (``pulumi refresh`` reads it
        again). To manage it, declare it instead: creating the resource adopts what it finds.

        :param resource_name: The name the read resource gets in this program.
        :param id: The subaccount SID (``AC…``).
        :param opts: Options of the read (``parent``, ``depends_on``, ...).
        """
        return look_up(
            Subaccount,
            SubaccountProvider(),
            resource_name,
            id,
            opts,
            args_type=SubaccountArgs,
            outputs=OUTPUT_ONLY,
            id_type=AccountId,
        )
