"""The Pulumi SDK conventions every resource and the component follow: keyword arguments or the ``Args``
object (``@overload``ed, typed), a clear ``TypeError`` for anything else, typed ``Output`` properties."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Any

import pulumi
import pytest
from harness.engine import PROVIDER_KEY
from pulumi_twilio_dialing import (
    CountryPermissionsArgs,
    DialingPermissionCountry,
    DialingPermissionCountryArgs,
    DialingPermissions,
    DialingPermissionsArgs,
    Subaccount,
    SubaccountArgs,
    SubaccountInheritance,
    SubaccountInheritanceArgs,
    TenantDialingPolicy,
    TenantDialingPolicyArgs,
)

SID = "AC" + "1" * 32

# class, its Args, a complete set of inputs (every field given, so nothing is left to a default)
CASES: list[tuple[type[Any], type[Any], dict[str, Any]]] = [
    (
        DialingPermissionCountry,
        DialingPermissionCountryArgs,
        {
            "iso_code": "GB",
            "low_risk_numbers_enabled": True,
            "high_risk_special_numbers_enabled": False,
            "high_risk_tollfraud_numbers_enabled": False,
            "account_sid": SID,
            "on_delete": "disable",
        },
    ),
    (
        DialingPermissions,
        DialingPermissionsArgs,
        {
            "default": CountryPermissionsArgs("unchanged", False, False),
            "countries": {"GB": CountryPermissionsArgs(True), "FR": {"low_risk_numbers_enabled": False}},
            "account_sid": SID,
            "on_delete": "retain",
        },
    ),
    (Subaccount, SubaccountArgs, {"friendly_name": "tenant-a", "account_sid": SID, "on_delete": "suspend"}),
    (
        SubaccountInheritance,
        SubaccountInheritanceArgs,
        {"account_sid": SID, "dialing_permissions_inheritance": False, "on_delete": "retain"},
    ),
    (
        TenantDialingPolicy,
        TenantDialingPolicyArgs,
        {"allowed_countries": ["GB", "FR"], "subaccount_sid": SID, "offboarding": "retain"},
    ),
]
IDS = [case[0].__name__ for case in CASES]


def _registered(make_engine, program) -> list[tuple[str, str, dict[str, Any]]]:
    """What ``program`` registers, without the pickled provider (it is the same class either way)."""
    registrations = make_engine().registrations(program, preview=False)
    return [(r.type, r.name, {k: v for k, v in r.inputs.items() if k != PROVIDER_KEY}) for r in registrations]


@pytest.mark.parametrize(("cls", "args_type", "values"), CASES, ids=IDS)
def test_keyword_arguments_register_what_the_args_object_does(make_engine, cls, args_type, values):
    opts = pulumi.ResourceOptions(protect=False)
    by_args = _registered(make_engine, lambda: cls("x", args_type(**values), opts))
    by_keywords = _registered(make_engine, lambda: cls("x", opts, **values))
    by_names = _registered(make_engine, lambda: cls("x", args=args_type(**values), opts=opts))
    assert by_args, "the program registered nothing"
    assert by_keywords == by_args
    assert by_names == by_args
    # every input reaches the registration (only the component's offboarding becomes its children's on_delete)
    if cls is not TenantDialingPolicy:
        [(_, _, inputs)] = by_args
        assert set(values) <= set(inputs)


@pytest.mark.parametrize(("cls", "args_type", "values"), CASES, ids=IDS)
def test_constructor_is_overloaded_on_args_and_keywords(cls, args_type, values):
    overloads = typing.get_overloads(cls.__init__)
    assert len(overloads) == 2
    by_args, by_keywords = (inspect.signature(o) for o in overloads)
    assert list(by_args.parameters) == ["self", "resource_name", "args", "opts"]
    assert by_args.parameters["args"].annotation == args_type.__name__
    # the keyword overload lists exactly the Args fields, each keyword-only, required where the Args field is
    keywords = {n: p for n, p in by_keywords.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    fields = {f.name: f for f in dataclasses.fields(args_type)}
    assert list(keywords) == list(fields)
    for name, field in fields.items():
        required = field.default is dataclasses.MISSING
        assert (keywords[name].default is inspect.Parameter.empty) == required, name
    # documented: both overloads carry the same docstring's first line, and name every parameter
    docs = [inspect.getdoc(o) or "" for o in overloads]
    assert docs[0].splitlines()[0] == docs[1].splitlines()[0]
    for name in fields:
        assert f":param {name}:" in docs[1], name


@pytest.mark.parametrize(("cls", "args_type", "values"), CASES, ids=IDS)
def test_anything_else_is_a_clear_type_error(make_engine, cls, args_type, values):
    name = cls.__name__
    first = next(iter(values))

    def refused(*args: Any, **kwargs: Any) -> str:
        with pytest.raises(TypeError) as raised:
            make_engine().registrations(lambda: cls("x", *args, **kwargs), preview=True)
        message = str(raised.value)
        assert message.startswith(f"{name}('x'): "), message
        return message

    # a dict where the Args object goes: say so, and how to pass it
    message = refused(dict(values))
    assert "got a dict" in message and args_type.__name__ in message and f"{first}=..." in message
    assert "AC1111" not in message  # the keys are named, never the values (they may be secrets)
    # a wrong type
    message = refused(42)
    assert "got a value of type int" in message and args_type.__name__ in message
    # both forms at once
    message = refused(args_type(**values), **{first: values[first]})
    assert "pass the inputs one way" in message and first in message
    # a misspelt keyword: named, with the inputs there are
    message = refused(**values, not_an_input=1)
    assert "'not_an_input' is not an input" in message and first in message
    # options that are not options
    message = refused(args_type(**values), {"protect": True})
    assert "pulumi.ResourceOptions" in message
    # a required input missing
    required = [f.name for f in dataclasses.fields(args_type) if f.default is dataclasses.MISSING]
    if required:
        message = refused()
        assert f"missing the required input{'s' if len(required) > 1 else ''} {', '.join(required)}" in message


def test_type_errors_come_before_anything_is_registered(make_engine):
    engine = make_engine()

    def program() -> None:
        DialingPermissionCountry("ok", iso_code="GB")
        DialingPermissionCountry("bad", {"iso_code": "GB"})

    with pytest.raises(TypeError):
        engine.registrations(program, preview=True)
    with pytest.raises(TypeError):
        engine.registrations(lambda: TenantDialingPolicy("t", {"allowed_countries": ["GB"]}), preview=True)


@pytest.mark.parametrize("cls", [c[0] for c in CASES[:4]], ids=IDS[:4])
def test_outputs_stay_typed(cls):
    # the class's own annotations (strings: the modules use `from __future__ import annotations`)
    outputs = {name for name, hint in vars(cls)["__annotations__"].items() if str(hint).startswith("pulumi.Output[")}
    assert "account_sid" in outputs or "sid" in outputs, outputs


# ------------------------------------------------------------------------------------------------ get
# `Resource.get(name, id)` is the engine's ReadResource: no Check, no Create; the provider's Read gets the ID
# and, as properties and inputs, what the program passed. A dynamic resource passes its pickled provider
# (pulumi.dynamic.Resource puts `__provider` into every property set it sends), so the provider server finds
# the provider to read with; the provider then reads what the ID names, with no state.
COUNTRY = "/v1/DialingPermissions/Countries"


def test_get_reads_a_country_by_id_and_feeds_the_program(twilio_emulator, stack):
    from helpers import flags

    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "GB", low_risk_numbers_enabled=True, high_risk_special_numbers_enabled=True)
    engine = stack()
    seen: dict[str, Any] = {}

    def program() -> None:
        gb = DialingPermissionCountry.get("gb", f"{main}/GB")
        # the read values flow on like any output: FR gets GB's special-numbers flag
        DialingPermissionCountry(
            "fr", iso_code="FR", high_risk_special_numbers_enabled=gb.high_risk_special_numbers_enabled
        )
        gb.name.apply(lambda name: seen.setdefault("name", name))

    backend.clear_request_log()
    plan = engine.up(program)
    assert plan.kinds() == {"gb": "read", "fr": "create"}
    assert seen == {"name": "United Kingdom"}
    assert [r.path for r in backend.request_log()].count(f"{COUNTRY}/GB") == 1  # the read: one fetch
    read = engine.state["gb"]
    assert read.external and read.id == f"{main}/GB"
    assert read.outputs["high_risk_special_numbers_enabled"] is True
    assert read.outputs["country_codes"] == ["+44"]
    assert "flags_before_adoption" not in read.outputs  # nothing managed, nothing to restore
    assert backend.stored_flags(main, "FR").high_risk_special_numbers_enabled is True
    assert engine.calls_of("Check") == ["fr"]  # a read is never checked, created or diffed

    # refresh reads it again; destroy deletes FR and only drops GB (never a Delete, never a write)
    backend.set_flags(main, "GB", low_risk_numbers_enabled=False)
    assert engine.refresh().kinds()["gb"] == "refresh"
    assert engine.state["gb"].outputs["low_risk_numbers_enabled"] is False
    backend.clear_request_log()
    engine.destroy()
    assert engine.calls_of("Delete") == ["fr"]
    assert engine.resources() == []
    assert backend.stored_flags(main, "GB") == flags(special=True)


def test_get_reads_each_resource_by_id(twilio_emulator, stack):
    from helpers import make_subaccount

    main = twilio_emulator.main_account.sid
    sub = make_subaccount(twilio_emulator, "tenant-read")
    engine = stack()

    def program() -> None:
        DialingPermissions.get("table", main)
        Subaccount.get("sub", sub)
        SubaccountInheritance.get("inheritance", sub)

    # reads run in preview too (the engine's ReadStep does), and a preview keeps nothing
    assert engine.preview(program).kinds() == {"table": "read", "sub": "read", "inheritance": "read"}
    assert engine.resources() == []
    plan = engine.up(program)
    assert plan.kinds() == {"table": "read", "sub": "read", "inheritance": "read"}
    table = engine.state["table"].outputs
    assert table["account_sid"] == main and table["permissions"]["GB"] == {
        "low_risk_numbers_enabled": False,
        "high_risk_special_numbers_enabled": False,
        "high_risk_tollfraud_numbers_enabled": False,
    }
    assert table["permissions_before_adoption"] == {}
    assert "per-country" not in engine.provider_output and "drifted" not in engine.provider_output
    assert {k: engine.state["sub"].outputs[k] for k in ("sid", "status", "friendly_name", "owner_account_sid")} == {
        "sid": sub,
        "status": "active",
        "friendly_name": "tenant-read",
        "owner_account_sid": main,
    }
    assert engine.state["inheritance"].outputs["dialing_permissions_inheritance"] is True
    # a second up reads again, a refresh of a read table works, and nothing was ever written
    assert engine.up(program).kinds() == {"table": "read", "sub": "read", "inheritance": "read"}
    assert set(engine.refresh().kinds().values()) <= {"same", "refresh"}
    assert engine.calls_of("Create") == engine.calls_of("Update") == []


def test_get_of_something_twilio_does_not_have_says_so(twilio_emulator, stack):
    from harness.engine import DeploymentError, ProviderError
    from helpers import make_subaccount

    main = twilio_emulator.main_account.sid
    engine = stack()
    # a closed subaccount is gone for good: the engine reports that the resource does not exist
    closed = make_subaccount(twilio_emulator, "closed")
    twilio_emulator.backend.accounts[closed].status = "closed"
    with pytest.raises(DeploymentError, match=f"resource '{closed}' does not exist"):
        engine.up(lambda: Subaccount.get("gone", closed))
    # an account the configured one cannot see: the provider's own message
    stranger = "AC" + "f" * 32
    with pytest.raises(ProviderError, match="not visible to the configured account"):
        engine.up(lambda: SubaccountInheritance.get("stranger", stranger))
    assert twilio_emulator.backend.stored_flags(main, "GB") is not None


def test_get_refuses_a_malformed_id_before_anything_is_registered(make_engine):
    engine = make_engine()
    for cls, bad, shape in [
        (DialingPermissionCountry, "GB", "'<account SID>/<ISO code>'"),
        (DialingPermissionCountry, SID + "/gb", "'<account SID>/<ISO code>'"),
        (DialingPermissions, SID + "/GB", "<account SID>"),
        (Subaccount, "tenant-a", "<account SID>"),
        (SubaccountInheritance, "", "<account SID>"),
    ]:
        with pytest.raises(ValueError, match=r"ID .* is not ") as raised:
            engine.registrations(lambda cls=cls, bad=bad: cls.get("x", bad), preview=True)
        assert str(raised.value).startswith(f"{cls.__name__} ID {bad!r} is not {shape}: use, for example, 'AC")
    with pytest.raises(TypeError, match=r"DialingPermissions.get\('x'\): id must be a string or an Output"):
        engine.registrations(lambda: DialingPermissions.get("x", 42), preview=True)  # type: ignore[arg-type]
    assert engine.calls == []


def test_get_with_an_id_known_only_later_is_checked_by_the_provider(twilio_emulator, stack):
    from harness.engine import ProviderError

    engine = stack()
    with pytest.raises(ProviderError, match="DialingPermissionCountry ID 'not-an-id' is not"):
        engine.up(lambda: DialingPermissionCountry.get("x", pulumi.Output.from_input("not-an-id")))
    assert twilio_emulator.backend.request_log() == []


def test_the_read_needs_the_pickled_provider_the_sdk_sends(twilio_emulator, stack):
    """What makes `get` work, pinned: the SDK sends the pickled provider with the read, and the provider
    server cannot read without it (it unpickles the provider from the request's properties, else its
    inputs). A Read with the ID alone, as a bare `pulumi import`-style lookup would send it, fails."""
    from harness.engine import ProviderError
    from pulumi.runtime.proto import provider_pb2

    main = twilio_emulator.main_account.sid
    engine = stack()
    [registration] = engine.registrations(lambda: DialingPermissions.get("t", main), preview=True)
    assert set(registration.inputs) == {PROVIDER_KEY}  # nothing but the provider: every input was None
    urn = "urn:pulumi:test::twilio-dialing-tests::pulumi-python:dynamic/twilio-dialing:DialingPermissions::t"
    with pytest.raises(ProviderError) as raised:
        engine._rpc("Read", "t", provider_pb2.ReadRequest(id=main, urn=urn, name="t"))
    assert "__provider" in raised.value.details  # KeyError: the server has no provider to read with
