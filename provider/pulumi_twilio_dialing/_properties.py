"""A resource's properties as its handlers see them: one typed model per resource.

The engine hands a dynamic provider plain dicts: checked inputs (``news``) and the outputs Pulumi's state
keeps (``olds``, a refresh's or a delete's ``props``). Each resource turns them into its
:class:`Properties` model once, where the engine calls in (:mod:`._lifecycle`), and its handlers work on
that model.

The model is deliberately *lenient*, unlike the resource's ``Inputs`` model that ``check`` applies:

- every field has a default, because a read by ID (``Resource.get``) names only the account (and the
  country), and a partial state keeps only the small inputs;
- values are typed as this package writes them (booleans strictly: lax parsing would read the string
  "true" or the number 1 as a flag, and a restore point nobody recorded would be written back), but not
  held to the input rules: a subaccount renamed in the Console may carry a name no input would pass, and
  refusing it would block the destroy of a resource whose state is perfectly usable;
- outputs this version does not declare (written by a newer one) do not stop it: they are read without
  complaint and kept where a handler passes the state on (an update that writes nothing); a read rebuilds
  the outputs it knows.

Checked inputs have passed the strict rules already. What cannot be read at all (a value of the wrong
type, which this package never writes) is refused with :class:`StateUnreadableError` naming the property,
the type it holds (never the value: it may be a secret) and the fix, before any request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from ._exceptions import StateUnreadableError

__all__ = ["PROVIDER_KEY", "Properties", "read_properties"]

PROVIDER_KEY = "__provider"
"""The pickled provider, which the dynamic provider server adds to every resource's inputs and outputs."""

P = TypeVar("P", bound="Properties")


class Properties(BaseModel):
    """What every resource's properties hold besides its own fields."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    account_sid: str | None = None
    """The account acted on: given as an input, or (in outputs) the one resolved."""
    on_delete: str | None = None
    """What destroying the resource does; None where the inputs left it to the resource's default. Each
    resource narrows it to its own choices: a state holding another is refused, never guessed."""
    provider: str | None = Field(default=None, alias=PROVIDER_KEY)
    """The pickled provider (a partial state must carry it: the engine needs it to update or delete)."""
    unverified: StrictBool = False
    """Set on a partial state: Twilio may differ from the recorded values; re-read before trusting them."""
    partial_restore_points: dict[str, dict[str, str]] | None = None
    """A partial state's restore points, compact (see :func:`._lifecycle.encode_values`)."""

    def wire(self) -> dict[str, Any]:
        """The properties as the engine exchanges them: exactly the keys that were given, under their wire
        names (outputs this version does not know included)."""
        return self.model_dump(by_alias=True, exclude_unset=True)

    def replaced(self: P, **values: Any) -> P:
        """A copy with ``values`` set (validated like the rest: the result is as typed as the original)."""
        return type(self).model_validate({**self.wire(), **values})


_JSON_NAMES: dict[type, str] = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
}


def read_properties(model: type[P], kind: str, raw: Mapping[str, Any], *, where: str = "") -> P:
    """``raw`` (inputs or outputs as the engine sent them) as ``model``; a value this package could not have
    written is refused with the property, what it holds and what to do, before any request. The value itself
    is not quoted: a property may hold a secret, which the provider receives in plain text."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as error:
        first = error.errors()[0]
        # Follow the location through the data as given; it ends where pydantic adds steps of its own (the
        # member of a union it tried, such as ``bool``), which are no part of the property's path.
        value: Any = raw
        steps: list[str] = []
        for part in first["loc"]:
            in_list = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
            if not in_list and not (isinstance(value, Mapping) and part in value):
                break
            value = value[part]
            steps.append(str(part))
        path = ".".join(steps) or ".".join(str(p) for p in first["loc"])
        held = "null" if value is None else _JSON_NAMES.get(type(value), f"a {type(value).__name__}")
        place = f" {where}" if where else ""
        raise StateUnreadableError(
            f"{kind}{place}: property {path} holds {held}, which this package never writes there "
            f"({first['msg'].lower()}). The state was edited by hand or written by something else: put back "
            "what `pulumi stack export` showed before the edit (`pulumi stack import`), or forget the resource "
            "with `pulumi state delete` and adopt it again"
        ) from None
