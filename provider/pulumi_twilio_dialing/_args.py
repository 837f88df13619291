"""The Pulumi SDK calling convention, written once for every resource and the component.

Every Pulumi Python SDK (pulumi-random, pulumi-aws, ...) accepts a resource's inputs either as keyword
arguments or as its ``Args`` object::

    DialingPermissionCountry("gb", iso_code="GB")
    DialingPermissionCountry("gb", DialingPermissionCountryArgs(iso_code="GB"), opts)

:func:`resource_args` turns either form into the ``Args`` object (the one place that knows the form), and
refuses anything else (a dict, a wrong type, both forms at once, a misspelt keyword) with a ``TypeError``
naming the resource, what was given and what to pass. :func:`props_of` builds the property dict a resource
registers from that object, so no resource repeats its field list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import pulumi
from pulumi.dynamic import Resource, ResourceProvider

from ._ids import ResourceId

__all__ = ["look_up", "props_of", "resource_args"]

A = TypeVar("A")
R = TypeVar("R", bound=Resource)


def _fields(args_type: type[Any]) -> list[dataclasses.Field[Any]]:
    return list(dataclasses.fields(args_type))


def _required(args_type: type[Any]) -> list[str]:
    missing = dataclasses.MISSING
    return [f.name for f in _fields(args_type) if f.default is missing and f.default_factory is missing]


def _what(value: Any) -> str:
    """How a message names what was given: its type, and for a dict its keys (never the values, which
    may be secrets)."""
    if isinstance(value, Mapping):
        keys = ", ".join(repr(k) for k in list(value)[:6]) + (", ..." if len(value) > 6 else "")
        return f"a dict (keys {keys})" if value else "an empty dict"
    return f"a value of type {type(value).__name__}"


def resource_args(
    kind: str,
    args_type: type[A],
    resource_name: Any,
    positional: tuple[Any, ...],
    keywords: dict[str, Any],
) -> tuple[A, pulumi.ResourceOptions | None]:
    """The ``Args`` object and the options of a call ``kind(resource_name, *positional, **keywords)``.

    Accepted, as in every Pulumi SDK: ``(name, args, opts)``, ``(name, args=..., opts=...)``,
    ``(name, opts, field=...)`` and ``(name, field=..., opts=...)``. Anything else is a ``TypeError``
    saying what was given and what to pass, raised before anything is registered.
    """
    names = [f.name for f in _fields(args_type)]
    usage = (
        f"pass {args_type.__name__}(...) or keyword arguments ({', '.join(f'{n}=...' for n in names[:3])}"
        f"{', ...' if len(names) > 3 else ''})"
    )
    if not isinstance(resource_name, str):
        raise TypeError(f"{kind}: the resource name must be a string, got {_what(resource_name)}")
    call = f"{kind}({resource_name!r})"
    keywords = dict(keywords)
    given: Any = keywords.pop("args", None)
    opts: Any = keywords.pop("opts", None)
    rest = list(positional)
    if rest and not isinstance(rest[0], pulumi.ResourceOptions):
        if given is not None:
            raise TypeError(f"{call}: got the inputs twice, positionally and as args=; {usage}")
        given = rest.pop(0)
    if rest:
        if opts is not None or len(rest) > 1 or not isinstance(rest[0], pulumi.ResourceOptions):
            shown = ", ".join(_what(v) for v in positional)
            raise TypeError(
                f"{call}: takes the resource name, then {args_type.__name__} and pulumi.ResourceOptions "
                f"(got {shown}); {usage}"
            )
        opts = rest[0]
    if opts is not None and not isinstance(opts, pulumi.ResourceOptions):
        raise TypeError(f"{call}: opts must be a pulumi.ResourceOptions, got {_what(opts)}")
    unknown = [k for k in keywords if k not in names]
    if unknown:
        verb = "is not an input" if len(unknown) == 1 else "are not inputs"
        raise TypeError(
            f"{call}: {', '.join(repr(k) for k in unknown)} {verb} of {kind}; its inputs are: {', '.join(names)}"
        )
    if given is not None:
        if keywords:
            raise TypeError(
                f"{call}: got both {args_type.__name__} and the keyword arguments "
                f"{', '.join(keywords)}; pass the inputs one way"
            )
        if isinstance(given, Mapping):
            keys = ", ".join(f"{k}=..." for k in given if isinstance(k, str))
            raise TypeError(
                f"{call}: got {_what(given)} where {args_type.__name__} was expected; pass "
                f"{args_type.__name__}(**values) or the keyword arguments themselves ({keys or '...'})"
            )
        if not isinstance(given, args_type):
            raise TypeError(f"{call}: got {_what(given)} where {args_type.__name__} was expected; {usage}")
        return given, opts
    missing = [n for n in _required(args_type) if n not in keywords]
    if missing:
        raise TypeError(
            f"{call}: missing the required input{'s' if len(missing) > 1 else ''} {', '.join(missing)}; {usage}"
        )
    return args_type(**keywords), opts


def props_of(args: Any, outputs: Iterable[str] = ()) -> dict[str, Any]:
    """The properties a resource registers: every field of its ``Args`` object, then each output-only
    property as ``None`` (so the SDK resolves it from the engine's answer)."""
    props: dict[str, Any] = {f.name: getattr(args, f.name) for f in _fields(type(args))}
    props.update(dict.fromkeys(outputs))
    return props


def look_up(
    cls: type[R],
    provider: ResourceProvider,
    resource_name: str,
    id: pulumi.Input[str],
    opts: pulumi.ResourceOptions | None,
    *,
    args_type: type[Any],
    outputs: Iterable[str],
    id_type: type[ResourceId],
) -> R:
    """``cls.get(resource_name, id, opts)``: an existing resource read by its ID (the engine's ReadResource:
    the provider's ``read`` with the ID and no state), never created, updated or deleted by this stack.

    An ID the program holds is checked here, before anything is registered; an Output is checked by the
    provider when its value arrives."""
    kind = cls.__name__
    if not isinstance(resource_name, str):
        raise TypeError(f"{kind}.get: the resource name must be a string, got {_what(resource_name)}")
    if isinstance(id, str):
        id_type.check(id, kind)
    elif not isinstance(id, pulumi.Output):
        raise TypeError(f"{kind}.get({resource_name!r}): id must be a string or an Output, got {_what(id)}")
    if opts is not None and not isinstance(opts, pulumi.ResourceOptions):
        raise TypeError(f"{kind}.get({resource_name!r}): opts must be a pulumi.ResourceOptions, got {_what(opts)}")
    names = [f.name for f in _fields(args_type)]
    resource = cls.__new__(cls)
    # Every property None: the SDK sends none of them (only the pickled provider), and resolves each
    # attribute from what the provider's read returns.
    Resource.__init__(
        resource,
        provider,
        resource_name,
        dict.fromkeys([*names, *outputs]),
        pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)),
    )
    return resource
