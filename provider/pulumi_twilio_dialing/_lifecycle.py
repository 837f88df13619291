"""The lifecycle every resource of this package goes through, written once.

:class:`ManagedProvider` is the engine-facing shape (check → diff → create / read / update / delete): inputs
validated by a pydantic model, claims of what the resource manages, unknowns in preview, replacement keys,
a changed provider pickle counted as a change, "gone" on refresh, and one boundary that scrubs credentials
from every error. :class:`SettingsProvider` adds what every resource that manages *settings* (country
flags, inheritance) needs, with the safety rules of the package:

1. **No delete undoes another resource.** Before restoring a setting (delete, or an update that stops
   managing it) it asks the claims of this deployment who manages it now; if another resource does, the
   setting is left alone, its restore point is handed over to that resource (same process), and one
   diagnostic line says so.
2. **Failure atomicity.** A create, update or delete that fails after writing puts back exactly what it
   wrote (it knows the values before) and then raises, so Twilio matches the state the engine keeps. If
   that fails too, the error lists every setting as live / state / restore point and says to refresh.
3. **Restore points survive.** A restore point is the value before this stack first managed the setting.
   A create or update that cannot put back what it wrote hands the engine a *partial state* carrying the
   restore points (see :mod:`._partial`); the engine keeps it and updates the resource on the next ``up``,
   which then re-reads Twilio instead of trusting the state (``unverified``).
4. **Per-setting ownership.** Settings first managed by an update get their restore point then; settings
   no longer managed are restored in that same update; destroy restores exactly what is managed then.

A resource supplies its :class:`~._properties.Properties` model and the hooks, which work on it: how to
open the account's :class:`SettingStore`, which items to read, which settings its inputs manage and want,
where its restore points live in state, and its outputs. The engine's dicts are read into the model in the
engine-facing methods (the state through :meth:`ManagedProvider.kept`, where the ID wins), and no hook
is handed a dict; the model's ``wire()`` form serves where keys are compared as the engine keeps them (a
key absent differs from a null: the diff, an update that writes nothing) and for the outputs handed back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import BaseModel

from . import _claims
from ._claims import SettingKey
from ._exceptions import (
    AccountClosedError,
    NotFoundError,
    PartialWriteError,
    StateDivergedError,
    TwilioApiError,
    TwilioDialingError,
    TwilioRequestError,
    WriteNotAppliedError,
)
from ._ids import AccountId, ResourceId
from ._partial import report_partial_state
from ._permissions import Values
from ._properties import PROVIDER_KEY, Properties, read_properties
from ._provider import DialingProvider, check_inputs, has_unknowns, holds_unknown
from ._redact import say, scrub_exception

__all__ = ["UNVERIFIED", "ManagedProvider", "SettingKey", "SettingStore", "SettingsProvider"]

UNVERIFIED = "unverified"
"""Output set on a partial state: Twilio may differ from the recorded values; re-read before trusting them."""
PARTIAL_RESTORE_POINTS = "partial_restore_points"
"""Output of a partial state: the restore points, compact (gRPC metadata, which carries a partial state,
is limited to a few KiB; a whole table of flags as a Struct is not)."""

F = TypeVar("F", bound=Callable[..., Any])
P = TypeVar("P", bound=Properties)
SHOWN = 12  # settings named in one diagnostic line before "... and N more"
# Lines of differences an error lists; all of them go to the diagnostics. An error travels back to the engine
# in gRPC status headers, which gRPC clients cap at 8 KiB (soft) to 16 KiB: keep it well within.
SHOWN_DIFFERENCES = 12
MAX_ERROR_TEXT = 3000  # characters of an error's message (its traceback and a partial state share the headers)


def _bounded(error: Exception) -> Exception:
    """An error reaches the engine in gRPC status headers, which clients cap (8 KiB soft, 16 KiB hard) and
    which a partial state shares: a longer message would arrive as "Stream removed" instead. The full
    text goes to the diagnostics, the error keeps its beginning."""
    text = str(error)
    if len(text) <= MAX_ERROR_TEXT:
        return error
    say(f"{type(error).__name__} in full: {text}")
    cut = f" ... [{len(text) - MAX_ERROR_TEXT} more characters in the diagnostics above]"
    if isinstance(error, TwilioRequestError):
        error.message = error.message[:MAX_ERROR_TEXT] + cut
    else:
        error.args = (text[:MAX_ERROR_TEXT] + cut,)
    return error


def _boundary(method: F) -> F:
    """Every engine-facing method: whatever fails, no credential leaves the process in its message, and the
    message fits what the engine can receive."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except Exception as error:
            raise _bounded(scrub_exception(error)) from None

    return wrapper  # type: ignore[return-value]


def _listed(keys: Iterable[SettingKey], describe: Callable[[SettingKey], str]) -> str:
    """Settings named in one line of a message: the first ``SHOWN``, then how many more."""
    names = [describe(k) for k in sorted(keys)]
    return ", ".join(names[:SHOWN]) + (f" ... and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _lower(value: bool | None) -> str:
    return "unknown" if value is None else str(value).lower()


class ManagedProvider(DialingProvider, Generic[P]):
    """The lifecycle shape of every resource; subclasses implement the ``_hooks``.

    The engine calls in with plain dicts; each engine method reads them into the resource's
    :class:`~._properties.Properties` model (``PROPERTIES``) once, and every hook works on that model.
    """

    KIND: ClassVar[str]
    INPUTS: ClassVar[type[BaseModel]]
    """The strict model ``check`` applies to the program's inputs (its failures name field, value and fix)."""
    PROPERTIES: type[P]
    """What the handlers see: checked inputs and recorded outputs, typed (see :mod:`._properties`)."""
    INPUT_KEYS: ClassVar[tuple[str, ...]]
    """Inputs kept in the outputs and handed back on refresh."""
    UPDATE_KEYS: ClassVar[tuple[str, ...]]
    """Inputs whose change is applied in place."""
    REPLACE_KEYS: ClassVar[tuple[str, ...]] = ()
    """Inputs whose change replaces the resource (besides a change of the account acted on)."""
    ACCOUNT_REPLACES: ClassVar[bool] = True
    CLAIM_KEYS: ClassVar[tuple[str, ...]] = ("account_sid",)
    """Inputs that must be known (not preview unknowns) to claim what the resource manages."""
    ID: ClassVar[type[ResourceId]] = AccountId
    """How the resource's ID is written and read back."""

    def properties(self, raw: Mapping[str, Any], id_: str = "") -> P:
        """``raw`` (inputs or outputs as the engine sends them) as this resource's properties."""
        return read_properties(self.PROPERTIES, self.KIND, raw, where=id_)

    def kept(self, raw: Mapping[str, Any], id_: str) -> P:
        """What the state keeps for the resource ``id_`` names, as its properties (diff, read, update and
        delete all start from this)."""
        return self.properties(raw, id_)

    # ---------------------------------------------------------------------------------- hooks
    def _completed(self, inputs: P) -> dict[str, Any]:
        """Inputs whose defaults depend on other inputs, filled in at check (none by default)."""
        return {}

    def _claim(self, inputs: P, identity: str) -> list[CheckFailure]:
        """Claim what the resource manages in this deployment (``identity`` tells this resource from the
        others, see :func:`._claims.identify`); failures for conflicts."""
        return []

    def _check_new(self, inputs: P) -> None:
        """A resource about to be created was checked (preview diagnostics)."""

    def _pending(self, id_: str, olds: P, news: P) -> bool:
        """Changes the inputs do not show (e.g. drift recorded by a refresh). Runs during diff."""
        return False

    def _replacing(self, id_: str, olds: P, news: P) -> None:
        """The resource is about to be replaced (its original is deleted at the end of the run)."""

    def _create(self, inputs: P) -> CreateResult:
        raise NotImplementedError

    def _read(self, id_: str, recorded: P) -> ReadResult:
        raise NotImplementedError

    def _look_up(self, id_: str, named: P) -> ReadResult:
        """``Resource.get``: read what the ID names, with only the properties the ID itself names (nothing
        is managed, so there is no restore point)."""
        return self._read(id_, named)

    def _update(self, id_: str, olds: P, news: P) -> UpdateResult:
        raise NotImplementedError

    def _delete(self, id_: str, recorded: P) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------------------------- engine methods
    @_boundary
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = check_inputs(self.INPUTS, self.KIND, news)
        if result.failures or has_unknowns(result.inputs, self.CLAIM_KEYS):
            return result
        known = {k: v for k, v in result.inputs.items() if not holds_unknown(v)}
        completed = self._completed(self.properties(known))
        inputs = {**result.inputs, **completed}
        checked = self.properties({**known, **completed})
        failures = self._claim(checked, _claims.identify(self.KIND, inputs))
        if not failures and not olds and len(known) == len(result.inputs):
            self._check_new(checked)
        return CheckResult(inputs, failures)

    @_boundary
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if has_unknowns(news, self.INPUT_KEYS):
            return DiffResult(changes=None)
        recorded, wanted = self.kept(olds, id_), self.properties(news, id_)
        # Keys as the engine keeps them (a key absent differs from a value), the state's as kept() reads it.
        state = recorded.wire()
        replaces = [k for k in self.REPLACE_KEYS if state.get(k) != news.get(k)]
        if self.ACCOUNT_REPLACES and "account_sid" not in replaces and self._account_changed(recorded, wanted):
            replaces.append("account_sid")
        if replaces:
            self._replacing(id_, recorded, wanted)
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=False)
        changed = [k for k in (*self.UPDATE_KEYS, PROVIDER_KEY) if olds.get(k) != news.get(k)]
        pending = self._pending(id_, recorded, wanted)
        return DiffResult(
            changes=bool(changed or pending or recorded.unverified), replaces=[], delete_before_replace=False
        )

    @_boundary
    def create(self, props: dict[str, Any]) -> CreateResult:
        return self._create(self.properties(props))

    @_boundary
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not any(k != PROVIDER_KEY for k in props):
            # `Resource.get(name, id)`: the engine sends only what the program passed, the pickled provider
            # (a refresh always sends the state's outputs, which hold at least the account acted on).
            return self._look_up(id_, self.properties(self.ID.check(id_, self.KIND).inputs(), id_))
        return self._read(id_, self.kept(props, id_))

    @_boundary
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return self._update(id_, self.kept(olds, id_), self.properties(news, id_))

    @_boundary
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._delete(id_, self.kept(props, id_))

    # ---------------------------------------------------------------------------------- helpers
    def _account_changed(self, olds: P, news: P) -> bool:
        """Whether the account acted on changes (so the resource must be replaced). Without an explicit
        ``account_sid``, a change of the configured account counts too."""
        return self.resolved_account(news.account_sid, olds.account_sid) != olds.account_sid

    def refreshed(self, id_: str, outputs: Mapping[str, Any]) -> ReadResult:
        """A read's result: the live outputs, and the inputs they imply (so the next diff sees drift)."""
        return ReadResult(id_, dict(outputs), {k: outputs[k] for k in self.INPUT_KEYS if k in outputs})


class SettingStore(Protocol):
    """The settings of one account, as a resource reads and writes them."""

    account_sid: str

    def read(self, items: Iterable[str] | None = None) -> Values:
        """Live values of every flag of ``items`` (None: of everything)."""
        ...

    def write(self, targets: Mapping[SettingKey, bool], live: Mapping[SettingKey, bool]) -> Values:
        """Write ``targets`` (flags written together with them keep their ``live`` value) and verify;
        returns the verified values of every flag of the items written."""
        ...

    def describe(self, key: SettingKey) -> str:
        """``GB.high_risk_tollfraud_numbers_enabled``: how messages name a setting."""
        ...


def encode_values(values: Mapping[SettingKey, bool]) -> dict[str, dict[str, str]]:
    """``{flag: {"on": "GB,FR", "off": "AD,..."}}``: settings in a few bytes per item."""
    by_flag: dict[str, dict[str, list[str]]] = {}
    for (item, flag), value in values.items():
        by_flag.setdefault(flag, {"on": [], "off": []})["on" if value else "off"].append(item)
    return {flag: {k: ",".join(sorted(items)) for k, items in lists.items()} for flag, lists in by_flag.items()}


def decode_values(encoded: Mapping[str, Mapping[str, str]]) -> Values:
    return {
        (item, flag): state == "on"
        for flag, lists in encoded.items()
        for state, items in lists.items()
        for item in items.split(",")
        if item
    }


def _outcome(error: BaseException, targets: Mapping[SettingKey, bool], before: Values) -> dict[SettingKey, bool | None]:
    """What a failed write left, as far as known: per target, the live value (None: unknown)."""
    if isinstance(error, PartialWriteError):
        applied, uncertain = set(error.applied), set(error.uncertain)
        return {
            key: value if key[0] in applied else None if key[0] in uncertain else before.get(key)
            for key, value in targets.items()
        }
    if isinstance(error, WriteNotAppliedError):
        # What did not show may still show later (a write can take a moment to propagate): unknown.
        mismatched = set(error.mismatches)
        return {key: None if f"{key[0]}.{key[1]}" in mismatched else value for key, value in targets.items()}
    # (a TwilioConnectionError is no TwilioApiError: it got no answer at all)
    rejected = isinstance(error, TwilioApiError) and 400 <= error.status < 500 and error.status != 429
    # A refused request changed nothing; a lost answer or a server error may have changed everything.
    return {key: before.get(key) if rejected else None for key in targets}


class SettingsProvider(ManagedProvider[P]):
    """A resource that manages settings of one account, with restore points (see the module docstring)."""

    TOPIC: ClassVar[str] = "countries"
    READS_BEFORE_UPDATE: ClassVar[bool] = False
    """Read Twilio before an update (else the state's values are the values before, as the engine has them)."""
    WRITE_KEYS: ClassVar[tuple[str, ...]] = ()
    """Inputs that decide what is written; a change of anything else (on_delete) costs no request."""

    # ---------------------------------------------------------------------------------- hooks
    def _store(self, account_sid: str | None) -> SettingStore:
        raise NotImplementedError

    def _account(self, props: P) -> str | None:
        """The account named by the inputs (None: the configured account)."""
        return props.account_sid or None

    def _account_of_id(self, id_: str) -> str:
        return self.ID.parse(id_).account_sid

    def _resource_id(self, store: SettingStore, props: P) -> str:
        return AccountId(store.account_sid).format()

    def _parse_id(self, id_: str) -> dict[str, Any]:
        """The inputs the ID names (the ID wins over the state when they disagree)."""
        return self.ID.parse(id_).inputs()

    def kept(self, raw: Mapping[str, Any], id_: str) -> P:
        # The ID names the account and the item acted on, whatever the state says: a state that lost
        # iso_code (an edited export) read as country "" would replace the resource and lose its restore
        # points, or make a delete list every country.
        return super().kept(raw, id_).replaced(**self._parse_id(id_))

    def _items(self, props: P) -> list[str] | None:
        """Items to read (None: the whole table)."""
        return None

    def _claim_items(self, inputs: P) -> dict[str, frozenset[str]]:
        raise NotImplementedError

    def _managed(self, props: P, live: Values) -> set[SettingKey]:
        """The settings ``props`` manage, given the live table (for "every country")."""
        raise NotImplementedError

    def desired(self, props: P, live: Values) -> Values:
        """The value ``props`` want for each managed setting."""
        raise NotImplementedError

    def _recorded(self, outputs: P) -> Values:
        """The live values the state keeps."""
        raise NotImplementedError

    def _restore_points(self, outputs: P) -> Values:
        """The restore points the state keeps (for state written by older versions: as they kept them)."""
        raise NotImplementedError

    def _outputs(self, props: P, store: SettingStore, live: Values, restore: Values) -> dict[str, Any]:
        """The outputs to record: the inputs, the account acted on, the live values and the restore points."""
        raise NotImplementedError

    def _partial_outputs(self, props: P, store: SettingStore, restore: Values) -> dict[str, Any]:
        """What a partial state keeps: the account, the small inputs, the restore points, and the pickled
        provider (which the engine needs to update or delete it later). Live values are not kept: the next
        operation reads them."""
        given = props.wire()
        small = {k: given[k] for k in self.INPUT_KEYS if isinstance(given.get(k), (str, bool))}
        return {
            **small,
            "account_sid": store.account_sid,
            UNVERIFIED: True,
            PARTIAL_RESTORE_POINTS: encode_values(restore),
            PROVIDER_KEY: props.provider,
        }

    def kept_values(self, outputs: P) -> Values:
        """The live values the state keeps (none for a partial state)."""
        return {} if outputs.partial_restore_points is not None else self._recorded(outputs)

    def kept_restore_points(self, outputs: P) -> Values:
        """The restore points the state keeps (a partial state keeps them compact)."""
        encoded = outputs.partial_restore_points
        return decode_values(encoded) if encoded is not None else self._restore_points(outputs)

    def kept_managed(self, outputs: P, live: Values) -> set[SettingKey]:
        """What the state says the resource manages (a partial state: what it has restore points for)."""
        if outputs.partial_restore_points is not None:
            return set(self.kept_restore_points(outputs))
        return self._managed(outputs, live)

    def release_targets(self, props: P, keys: Iterable[SettingKey], restore: Values) -> Values:
        """What releasing ``keys`` would write, by ``props``' ``on_delete``: the restore point (``restore``),
        ``False`` for "disable", nothing for "retain" or for a setting without a restore point. Delete, the
        update that stops managing a setting, and the preview report all start from this; the lifecycle then
        leaves out what another resource manages now or someone else changed (:meth:`_releases`)."""
        on_delete = props.on_delete or "restore"
        if on_delete == "retain":
            return {}
        if on_delete == "disable":
            return dict.fromkeys(keys, False)
        return {key: restore[key] for key in keys if key in restore}

    def _initial(self, store: SettingStore, props: P) -> Values:
        """The live values a create starts from (read once)."""
        return store.read(self._items(props))

    def _check_live(self, props: P, store: SettingStore, live: Values) -> None:
        """Refuse inputs the live table cannot satisfy (before anything is written)."""

    def _gone(self, error: TwilioDialingError) -> bool:
        """Whether ``error`` means there is nothing left to manage (closed subaccount, vanished item)."""
        return isinstance(error, (AccountClosedError, NotFoundError))

    def _not_found(self, props: P, store: SettingStore) -> TwilioDialingError | None:
        """A clearer error for an item Twilio does not have, at create."""
        return None

    # ---------------------------------------------------------------------------------- claims
    def _claim(self, inputs: P, identity: str) -> list[CheckFailure]:
        account = self.account_key(self._account(inputs))
        conflict = _claims.claim(
            account,
            self._claim_items(inputs),
            self._claimant(inputs),
            identity,
            topic=self.TOPIC,
            **self._claim_advice(),
        )
        return [CheckFailure(self._claim_field(inputs), conflict)] if conflict else []

    def _claimant(self, inputs: P) -> str:
        return self.KIND

    def _claim_field(self, inputs: P) -> str:
        return "account_sid"

    def _claim_advice(self) -> dict[str, str]:
        return {}

    # ---------------------------------------------------------------------------------- diff
    def _pending(self, id_: str, olds: P, news: P) -> bool:
        self._hand_over(id_, olds, news)
        return self._drifted(olds, news, self.kept_values(olds))

    def _replacing(self, id_: str, olds: P, news: P) -> None:
        if self._account_of_id(id_) == self.resolved_account(self._account(news), self._account_of_id(id_)):
            self._hand_over(id_, olds, news)

    def _hand_over(self, id_: str, olds: P, news: P) -> None:
        # What this resource stops managing goes to whichever resource adopts it in this deployment, even
        # one created before this one is updated or replaced (the engine's order follows the program).
        _claims.hand_over(self._account_of_id(id_), self.released(olds, news))

    def released(self, olds: P, news: P) -> Values:
        """The restore points of what ``news`` stop managing, judged on the state's table (none for a partial
        state: without the live table the release cannot be told yet, and the update keeps them all)."""
        if olds.partial_restore_points is not None:
            return {}
        recorded = self._recorded(olds)
        released = self._managed(olds, recorded) - self._managed(news, recorded)
        restore = self._restore_points(olds)
        return {k: restore[k] for k in released if k in restore}

    def _drifted(self, olds: P, news: P, recorded: Values) -> bool:
        """Whether the recorded live values differ from what ``news`` want (a refresh recorded drift)."""
        wanted = self.desired(news, recorded)
        return any(recorded.get(k) != v for k, v in wanted.items())

    # ---------------------------------------------------------------------------------- lifecycle
    def _create(self, props: P) -> CreateResult:
        store = self._store(self._account(props))
        try:
            before = self._initial(store, props)
        except NotFoundError:
            better = self._not_found(props, store)
            if better is None:
                raise
            raise better from None
        self._check_live(props, store, before)
        managed = self._managed(props, before)
        wanted = {k: v for k, v in self.desired(props, before).items() if k in managed}
        handed = _claims.take_over(store.account_sid, managed)
        restore = {k: handed.get(k, before[k]) for k in managed if k in before}
        id_ = self._resource_id(store, props)
        after = self._converge(
            store,
            before,
            wanted,
            state={},  # a failed create leaves nothing in state: Twilio must be as before
            restore=restore,
            partial=lambda: (id_, self._partial_outputs(props, store, restore)),
        )
        return CreateResult(id_, self._outputs(props, store, after, restore))

    def _read(self, id_: str, props: P) -> ReadResult:
        try:
            store = self._store(self._account_of_id(id_))
            live = store.read(self._items(props))  # props name the ID's item (see kept())
        except TwilioDialingError as error:
            if self._gone(error):
                return ReadResult("", {})
            raise
        if props.partial_restore_points is not None:  # still partial: the next update finishes it
            return self.refreshed(id_, {**props.wire(), "account_sid": store.account_sid})
        return self.refreshed(id_, self._outputs(props, store, live, self._restore_points(props)))

    def _update(self, id_: str, olds: P, news: P) -> UpdateResult:
        account = self._account_of_id(id_)
        unverified = olds.unverified
        recorded = self.kept_values(olds)
        old_restore = self.kept_restore_points(olds)
        kept, given = olds.wire(), news.wire()
        same_writes = all(kept.get(k) == given.get(k) for k in self.WRITE_KEYS)
        if not unverified and same_writes and not self._drifted(olds, news, recorded):
            # Only on_delete (or the provider's code) changed: state only, no request.
            return UpdateResult(
                {**kept, **{k: given[k] for k in self.INPUT_KEYS if k in given}, "account_sid": account}
            )
        store = self._store(account)
        before = store.read(self._items(news)) if (self.READS_BEFORE_UPDATE or unverified) else dict(recorded)
        self._check_live(news, store, before)
        old_managed = self.kept_managed(olds, before)
        new_managed = self._managed(news, before)
        wanted = {k: v for k, v in self.desired(news, before).items() if k in new_managed}
        adopted = new_managed - old_managed
        handed = _claims.take_over(account, adopted)
        restore = {k: old_restore[k] for k in new_managed & old_managed if k in old_restore}
        restore |= {k: handed.get(k, before[k]) for k in adopted if k in before}
        releases = self._releases(store, news, old_managed - new_managed, old_restore, before, recorded)
        targets = {**releases, **wanted}
        after = self._converge(
            store,
            before,
            targets,
            state=recorded if not unverified else before,
            restore={**old_restore, **restore},
            partial=lambda: (id_, self._partial_outputs(news, store, {**old_restore, **restore})),
            # what the state says differs is written even if a read says otherwise (it may lag)
            force={k for k, v in targets.items() if k in recorded and recorded[k] != v},
        )
        return UpdateResult(self._outputs(news, store, after, restore))

    def _delete(self, id_: str, props: P) -> None:
        recorded = self.kept_values(props)
        managed = self.kept_managed(props, recorded)
        restore = self.kept_restore_points(props)
        if not self.release_targets(props, managed, restore):
            return  # on_delete="retain", or no restore point recorded: nothing to write, no request
        try:
            store = self._store(self._account_of_id(id_))
        except AccountClosedError:
            return  # nothing is left to restore on a closed subaccount
        try:
            # Read first: a setting whose live value is no longer what this resource set has been changed
            # by someone else since, and putting back the restore point would undo their work.
            live = store.read(self._items(props))
            releases = self._releases(store, props, managed, restore, live, recorded)
            force = {k for k in releases if k in recorded}  # see _releases: ours to put back, whatever a read says
            self._converge(store, live, releases, state=recorded, restore=restore, partial=None, force=force)
        except TwilioDialingError as error:
            if self._gone(error):
                return  # the item or the whole subaccount is gone: nothing left to restore
            raise

    def _releases(
        self,
        store: SettingStore,
        props: P,
        keys: set[SettingKey],
        restore: Values,
        live: Values,
        recorded: Values,
    ) -> Values:
        """What to write for settings this resource stops managing: their release value, except those
        another resource of this deployment manages now, and those changed outside the stack since this
        resource last set them (``live`` differs from ``recorded``). One diagnostic line names each kind."""
        taken: dict[SettingKey, str] = {}
        changed: set[SettingKey] = set()
        targets: Values = {}
        for key, value in self.release_targets(props, keys, restore).items():
            other = _claims.manager(store.account_sid, key, topic=self.TOPIC)
            if other is not None:
                taken[key] = other
                if key in restore:
                    _claims.hand_over(store.account_sid, {key: restore[key]})
                continue
            if recorded.get(key) == value:
                # This resource never moved it away from its restore point: nothing of ours to undo. If
                # it reads otherwise now, someone changed it since, and writing would undo their work.
                if key in live and live[key] != value:
                    changed.add(key)
                continue
            # It differs from the restore point by our doing: write it back, even if a read already
            # shows the restore point (a read may lag behind a write that has not propagated yet).
            targets[key] = value
        if changed:
            say(
                f"{self.KIND} of {store.account_sid}: left {len(changed)} setting(s) as they are, because they "
                "were changed outside this stack after it last set them and putting back the restore point "
                "would undo that change ("
                + _listed(changed, lambda k: f"{store.describe(k)} set {_lower(recorded[k])}, now {_lower(live[k])}")
                + ")"
            )
        if taken:
            others = ", ".join(sorted(set(taken.values())))
            # The restore points that matter are those that differ from the value now: name them first.
            differ = {k for k in taken if k in restore and restore[k] != live.get(k)}
            points = (
                f"{len(differ)} of them differ from the value now: "
                + _listed(differ, lambda k: f"{store.describe(k)}={_lower(restore[k])}")
                if differ
                else "none differs from the value now"
            )
            say(
                f"{self.KIND} of {store.account_sid}: left {len(taken)} setting(s) as they are, because "
                f"{others} of this deployment manages them now. Their restore points ({points}) go to it if "
                "it adopts them later in this run; otherwise it has recorded the values it found. Rename or "
                "move resources with `aliases` so that restore points move with them"
            )
        return targets

    def _converge(
        self,
        store: SettingStore,
        before: Values,
        targets: Mapping[SettingKey, bool],
        *,
        state: Values,
        restore: Values,
        partial: Callable[[], tuple[str, dict[str, Any]]] | None,
        force: Iterable[SettingKey] = (),
    ) -> Values:
        """Write what differs from ``before`` (and ``force``: what the state says differs, whatever a read
        says) and verify. On failure put back what was written; if that fails too, hand the engine a partial
        state (``partial`` builds it) and raise :class:`StateDivergedError`. Returns the live values after
        (``before`` updated)."""
        forced = set(force)
        writes = {k: v for k, v in targets.items() if before.get(k) != v or k in forced}
        if not writes:
            return dict(before)
        try:
            after = {**before, **store.write(writes, before)}
        except TwilioDialingError as error:
            outcome = _outcome(error, writes, before)
            # Put back what the engine keeps: the state's value where it has one (a read may lag behind an
            # earlier write), else the value read before this operation wrote.
            previous = {**before, **state}
            undo = {k: previous[k] for k, seen in outcome.items() if seen != previous.get(k) and k in previous}
            if not undo:
                raise self._explained(error, "Nothing had changed on Twilio.") from None
            known = {**before, **{k: v for k, v in outcome.items() if v is not None}}
            try:
                store.write(undo, known)
            except TwilioDialingError as second:
                raise self._diverged(store, error, second, before, outcome, state, restore, partial) from None
            raise self._explained(
                error,
                f"Put back the {len(undo)} setting(s) it had changed ({_listed(undo, store.describe)}), so "
                "Twilio matches Pulumi's state again.",
            ) from None
        self._changed(store, before, after)
        return after

    def _changed(self, store: SettingStore, before: Values, after: Values) -> None:
        """A write succeeded (diagnostics)."""

    def _explained(self, error: TwilioDialingError, what: str) -> TwilioDialingError:
        error.args = (f"{error.args[0] if error.args else error} {what}", *error.args[1:])
        if isinstance(error, TwilioRequestError):
            error.message = f"{error.message}. {what}"
        return error

    def _diverged(
        self,
        store: SettingStore,
        error: TwilioDialingError,
        second: TwilioDialingError,
        before: Values,
        outcome: Mapping[SettingKey, bool | None],
        state: Values,
        restore: Values,
        partial: Callable[[], tuple[str, dict[str, Any]]] | None,
    ) -> StateDivergedError:
        # Only what this operation wrote can differ from what Pulumi keeps (for a create: nothing, so
        # Twilio should be as it was before).
        differences = {
            store.describe(k): (seen, state.get(k), restore.get(k))
            for k, seen in sorted(outcome.items())
            if seen is None or seen != state.get(k, before.get(k))
        }
        lines = [
            f"  {where}: live {_lower(now)}, state {'none' if kept is None else _lower(kept)}, restore point "
            f"{'none' if point is None else _lower(point)}"
            for where, (now, kept, point) in differences.items()
        ]
        kept_partial = False
        if partial is not None:
            id_, outputs = partial()
            kept_partial = report_partial_state(id_, outputs, f"{self.KIND} {id_}: Twilio differs from the state")
        kept = (
            " Pulumi keeps this resource as a partial state with its restore points; the next `pulumi up` "
            "reads Twilio again and finishes the change."
            if kept_partial
            else ""
        )
        legend = (
            f"Twilio now differs from Pulumi's state in {len(differences)} setting(s) of account "
            f"{store.account_sid} (live = Twilio as far as known, state = what Pulumi keeps, restore point = "
            "before this stack managed it)"
        )
        shown = lines
        if len(lines) > SHOWN_DIFFERENCES:
            # The whole list goes to the diagnostics (no size limit there); the error, which travels in a
            # gRPC status of limited size, names the first ones.
            say(f"{self.KIND}: {legend}:\n" + "\n".join(lines))
            shown = [*lines[:SHOWN_DIFFERENCES], f"  ... and {len(lines) - SHOWN_DIFFERENCES} more, listed above"]
        return StateDivergedError(
            f"{self.KIND} on account {store.account_sid} failed: {error}. Putting back what it had written "
            f"failed too: {second}. {legend}:\n" + "\n".join(shown) + f"\n{kept} Run `pulumi refresh` to read "
            "Twilio back into the state, then `pulumi up`.",
            differences,
        )
