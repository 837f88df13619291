"""``SubaccountInheritance``: whether a subaccount inherits its parent's dialing permissions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

import pulumi
from pulumi.dynamic import ReadResult, Resource
from pydantic import BaseModel, ConfigDict, StrictBool

from ._args import look_up, props_of, resource_args
from ._exceptions import ConfigurationError, TwilioDialingError, WriteNotAppliedError
from ._gateway import Gateway
from ._ids import AccountId
from ._lifecycle import SettingKey, SettingsProvider, SettingStore
from ._permissions import Values
from ._properties import Properties
from ._provider import AccountSid

__all__ = ["SubaccountInheritance", "SubaccountInheritanceArgs", "SubaccountInheritanceProvider"]

INPUT_KEYS = ("account_sid", "dialing_permissions_inheritance", "on_delete")
OUTPUT_ONLY = ("inheritance_before_adoption",)


class SubaccountInheritanceInputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account_sid: AccountSid
    dialing_permissions_inheritance: StrictBool
    on_delete: Literal["restore", "retain"] = "restore"


class SubaccountInheritanceProperties(Properties):
    """What the handlers see: checked inputs, or the outputs in state (see :mod:`._properties`)."""

    on_delete: Literal["restore", "retain"] | None = None
    dialing_permissions_inheritance: StrictBool | None = None
    inheritance_before_adoption: StrictBool | None = None
    """The restore point: the value found before this resource first managed the setting."""


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


SETTING = ("Settings", "dialing_permissions_inheritance")


class InheritanceStore:
    """``/v1/Settings`` of one subaccount as a setting store: one fetch to read, one update and one fetch
    to write and verify."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.account_sid = gateway.credentials.account_sid

    def read(self, items: Iterable[str] | None = None) -> Values:
        return {SETTING: self.gateway.fetch_dialing_permissions_inheritance()}

    def write(self, targets: Mapping[SettingKey, bool], live: Mapping[SettingKey, bool]) -> Values:
        value = targets[SETTING]
        self.gateway.update_dialing_permissions_inheritance(value)
        try:
            found = self.gateway.settle(self.gateway.fetch_dialing_permissions_inheritance, lambda seen: seen == value)
        except TwilioDialingError as error:
            # The update was accepted: only the read-back failed, so whether it took is unknown.
            raise WriteNotAppliedError(
                f"Twilio accepted dialing_permissions_inheritance={str(value).lower()} for subaccount "
                f"{self.account_sid}, but reading it back failed: {error}",
                {self.describe(SETTING): (value, None)},
            ) from None
        if found != value:
            raise WriteNotAppliedError(
                f"Twilio accepted dialing_permissions_inheritance={str(value).lower()} for subaccount "
                f"{self.account_sid}, but reading it back shows {str(found).lower()}",
                {self.describe(SETTING): (value, found)},
            )
        return {SETTING: found}

    def describe(self, key: SettingKey) -> str:
        return f"{key[0]}.{key[1]}"


class SubaccountInheritanceProvider(SettingsProvider[SubaccountInheritanceProperties]):
    """Maps the resource's lifecycle onto ``/v1/Settings`` called as the subaccount."""

    KIND = "SubaccountInheritance"
    INPUTS = SubaccountInheritanceInputs
    PROPERTIES = SubaccountInheritanceProperties
    INPUT_KEYS = INPUT_KEYS
    UPDATE_KEYS = ("dialing_permissions_inheritance", "on_delete")
    REPLACE_KEYS = ("account_sid",)
    ACCOUNT_REPLACES = False
    TOPIC = "inheritance"
    WRITE_KEYS = ("dialing_permissions_inheritance",)

    def _store(self, account_sid: str | None) -> InheritanceStore:
        return InheritanceStore(self.session.gateway(account_sid))

    def _refuse_main_account(self, account_sid: str) -> None:
        gateway = self.session.gateway(account_sid)
        # Acting with the account's own credentials: ask whether it is a subaccount at all.
        if gateway is self.session.main and not gateway.fetch_account(account_sid).is_subaccount:
            raise ConfigurationError(
                f"account_sid {account_sid} is a main account; dialing-permissions inheritance is a "
                "subaccount setting: use the SID of one of its subaccounts"
            )

    def _initial(self, store: SettingStore, props: SubaccountInheritanceProperties) -> Values:
        self._refuse_main_account(store.account_sid)
        return store.read()

    def _look_up(self, id_: str, named: SubaccountInheritanceProperties) -> ReadResult:
        # `get` by a main account's SID would read its /v1/Settings, which is no inheritance setting.
        try:
            self._refuse_main_account(self._account_of_id(id_))
        except TwilioDialingError as error:
            if not self._gone(error):
                raise  # a closed subaccount is left to the read, which says it does not exist
        return super()._look_up(id_, named)

    def _claim_items(self, inputs: SubaccountInheritanceProperties) -> dict[str, frozenset[str]]:
        return {SETTING[0]: frozenset({SETTING[1]})}

    def _claim_advice(self) -> dict[str, str]:
        return {"advice": "keep one SubaccountInheritance per subaccount"}

    def _managed(self, props: SubaccountInheritanceProperties, live: Values) -> set[SettingKey]:
        return {SETTING}

    def desired(self, props: SubaccountInheritanceProperties, live: Values) -> Values:
        value = props.dialing_permissions_inheritance
        # checked inputs always carry it (it is required); a state that lost it wants nothing
        return {} if value is None else {SETTING: value}

    def _recorded(self, outputs: SubaccountInheritanceProperties) -> Values:
        value = outputs.dialing_permissions_inheritance
        return {} if value is None else {SETTING: value}

    def _restore_points(self, outputs: SubaccountInheritanceProperties) -> Values:
        value = outputs.inheritance_before_adoption
        return {} if value is None else {SETTING: value}

    def _outputs(
        self, props: SubaccountInheritanceProperties, store: SettingStore, live: Values, restore: Values
    ) -> dict[str, Any]:
        given = props.wire()
        return {
            **{k: given[k] for k in INPUT_KEYS if k in given},
            "account_sid": store.account_sid,
            "dialing_permissions_inheritance": live.get(SETTING, props.dialing_permissions_inheritance),
            "inheritance_before_adoption": restore.get(SETTING),
        }


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

    @overload
    def __init__(
        self,
        resource_name: str,
        args: SubaccountInheritanceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Manage whether a subaccount inherits its parent's dialing permissions.

        :param resource_name: The resource's name in the Pulumi program.
        :param args: The inputs (see :class:`SubaccountInheritanceArgs`).
        :param opts: Options of the resource (``parent``, ``depends_on``, ``aliases``, ...).
        """

    @overload
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        account_sid: pulumi.Input[str],
        dialing_permissions_inheritance: pulumi.Input[bool],
        on_delete: pulumi.Input[str] | None = None,
    ) -> None:
        """Manage whether a subaccount inherits its parent's dialing permissions.

        :param resource_name: The resource's name in the Pulumi program.
        :param opts: Options of the resource (``parent``, ``depends_on``, ``aliases``, ...).
        :param account_sid: The subaccount (``AC...``); changing it replaces the resource.
        :param dialing_permissions_inheritance: ``True``: dial with the parent's permissions; ``False``: with
            its own.
        :param on_delete: ``"restore"`` (default) or ``"retain"``.
        """

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        inputs, opts = resource_args("SubaccountInheritance", SubaccountInheritanceArgs, resource_name, args, kwargs)
        props = props_of(inputs, OUTPUT_ONLY)
        super().__init__(SubaccountInheritanceProvider(), resource_name, props, opts)

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> SubaccountInheritance:
        """Whether a subaccount inherits its parent's dialing permissions now, read by ID.

        The resource is read, never created, changed or deleted by this stack (``pulumi refresh`` reads it
        again). To manage it, declare it instead: creating the resource adopts what it finds.

        :param resource_name: The name the read resource gets in this program.
        :param id: The subaccount SID (``AC…``).
        :param opts: Options of the read (``parent``, ``depends_on``, ...).
        """
        return look_up(
            SubaccountInheritance,
            SubaccountInheritanceProvider(),
            resource_name,
            id,
            opts,
            args_type=SubaccountInheritanceArgs,
            outputs=OUTPUT_ONLY,
            id_type=AccountId,
        )
