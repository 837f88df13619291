"""The public API is what __all__ says, no more and no less (the httpx habit)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pulumi_twilio_dialing
import pulumi_twilio_dialing.emulator

PACKAGE_API = [
    "AccountClosedError",
    "API_URL_CONFIG_KEY",
    "API_URL_ENV",
    "UNCHANGED",
    "AccountRecord",
    "ApiKeyRecord",
    "AuthenticationError",
    "BulkCountryUpdateResult",
    "ConfigurationError",
    "CountryPermissionUpdate",
    "CountryPermissionsArgs",
    "CountryRecord",
    "Credentials",
    "DialingPermissionCountry",
    "DialingPermissionCountryArgs",
    "DialingPermissions",
    "DialingPermissionsArgs",
    "DialingPermissionsCountry",
    "Gateway",
    "NotFoundError",
    "PartialWriteError",
    "RateLimitedError",
    "StateDivergedError",
    "StateUnreadableError",
    "Subaccount",
    "SubaccountArgs",
    "SubaccountInheritance",
    "SubaccountInheritanceArgs",
    "TenantDialingPolicy",
    "TenantDialingPolicyArgs",
    "TwilioApiError",
    "TwilioConnectionError",
    "TwilioDialingError",
    "TwilioRequestError",
    "UnknownCountryError",
    "WriteNotAppliedError",
    "__version__",
    "get_countries",
    "get_country",
    "get_high_risk_special_prefixes",
    "get_subaccounts",
    "resolve_api_url",
]

EMULATOR_API = [
    "CONTROL_PREFIX",
    "FLAG_NAMES",
    "Account",
    "ApiKey",
    "Backend",
    "Emulator",
    "EmulatorSettings",
    "Fault",
    "Flags",
    "LoggedRequest",
    "TwilioError",
]


def test_package_api_is_pinned():
    assert sorted(pulumi_twilio_dialing.__all__) == sorted(PACKAGE_API)
    # (pytest adds "@py_builtins"-style names to modules it rewrites: not identifiers, not API)
    public = {n for n in dir(pulumi_twilio_dialing) if n.isidentifier() and not n.startswith("_")}
    exported = set(pulumi_twilio_dialing.__all__)
    modules = {
        "emulator",
        "pytest_plugin",
        "dialing_permission_country",
        "dialing_permissions",
        "subaccount",
        "subaccount_inheritance",
        "tenant",
    }
    assert public - exported <= modules, public - exported


def test_emulator_api_is_pinned():
    assert sorted(pulumi_twilio_dialing.emulator.__all__) == sorted(EMULATOR_API)
    for name in EMULATOR_API:
        assert getattr(pulumi_twilio_dialing.emulator, name) is not None


def test_one_exception_hierarchy():
    from pulumi_twilio_dialing import (
        AccountClosedError,
        AuthenticationError,
        ConfigurationError,
        NotFoundError,
        PartialWriteError,
        RateLimitedError,
        StateDivergedError,
        StateUnreadableError,
        TwilioApiError,
        TwilioConnectionError,
        TwilioDialingError,
        TwilioRequestError,
        UnknownCountryError,
        WriteNotAppliedError,
    )

    for error in (
        ConfigurationError,
        TwilioApiError,
        WriteNotAppliedError,
        PartialWriteError,
        StateDivergedError,
        StateUnreadableError,
        UnknownCountryError,
    ):
        assert issubclass(error, TwilioDialingError)
    assert issubclass(AccountClosedError, ConfigurationError)
    for error in (AuthenticationError, NotFoundError, RateLimitedError):
        assert issubclass(error, TwilioApiError)
    # "no answer" and "answered with an error" are siblings under one request error (httpx's split)
    assert issubclass(TwilioApiError, TwilioRequestError) and issubclass(TwilioConnectionError, TwilioRequestError)
    assert not issubclass(TwilioConnectionError, TwilioApiError)
    assert issubclass(TwilioRequestError, TwilioDialingError)
    lost = TwilioConnectionError("ReadTimeout: no answer", method="GET", path="/v1/Settings")
    assert (lost.status, lost.code, lost.more_info) == (0, None, None)  # still readable, as before the split
    assert str(lost) == "GET /v1/Settings got no answer: ReadTimeout: no answer"


def test_the_exception_tree_in_the_docstring_is_the_real_one():
    from pulumi_twilio_dialing import _exceptions

    entries: list[tuple[int, str]] = []  # (column of the name, name), in the drawing's order
    for line in (_exceptions.__doc__ or "").splitlines():
        if line.strip() == "TwilioDialingError":
            entries.append((line.index("T"), "TwilioDialingError"))
        elif found := re.search(r"[├└]── (\w+)", line):
            entries.append((found.start(1), found.group(1)))
    drawn = {}
    for i, (column, name) in enumerate(entries):
        parents = [n for c, n in entries[:i] if c == column - 4]
        drawn[name] = parents[-1] if parents else None
    assert set(drawn) == set(_exceptions.__all__)
    for name, parent in drawn.items():
        assert getattr(_exceptions, name).__mro__[1].__name__ == (parent or "Exception"), name


def test_typed_package_marker_ships():
    assert (Path(pulumi_twilio_dialing.__file__).parent / "py.typed").is_file()


def test_importing_the_package_does_not_import_the_emulator_stack():
    code = "import sys, pulumi_twilio_dialing; print('starlette' in sys.modules, 'uvicorn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"


def test_resource_args_document_every_input():
    import dataclasses
    import inspect

    from pulumi_twilio_dialing import (
        CountryPermissionsArgs,
        DialingPermissionCountryArgs,
        DialingPermissionsArgs,
        SubaccountArgs,
        SubaccountInheritanceArgs,
        TenantDialingPolicyArgs,
    )

    for args in (
        DialingPermissionCountryArgs,
        SubaccountInheritanceArgs,
        DialingPermissionsArgs,
        CountryPermissionsArgs,
        SubaccountArgs,
        TenantDialingPolicyArgs,
    ):
        # The class's text by hand, not inspect.getsource: on CPython 3.11 that parses the module with `ast`,
        # which can fail with "AST constructor recursion depth mismatch" while another thread of the test
        # process uses `ast` too (python/cpython#106905).
        module = Path(inspect.getfile(args)).read_text()
        start = module.index(f"\nclass {args.__name__}")
        end = re.search(r"\n(?=\S)", module[start + 1 :])
        source = module[start : start + 1 + end.start()] if end else module[start:]
        for field in dataclasses.fields(args):
            # an attribute docstring right after each field: what editors show on hover
            assert re.search(rf"\n    {field.name}: [^\n]+\n    \"\"\"", source), f"{args.__name__}.{field.name}"


def test_country_record_keeps_its_010_name_and_shares_the_flags_type():
    from pulumi_twilio_dialing import CountryRecord, DialingPermissionsCountry
    from pulumi_twilio_dialing._models import FLAG_NAMES, CountryFlags, CountryPermissionUpdate

    assert DialingPermissionsCountry is CountryRecord
    assert FLAG_NAMES == (
        "low_risk_numbers_enabled",
        "high_risk_special_numbers_enabled",
        "high_risk_tollfraud_numbers_enabled",
    )
    record = CountryRecord(
        iso_code="GB",
        name="United Kingdom",
        continent="EUROPE",
        country_codes=("+44",),
        low_risk_numbers_enabled=True,
        high_risk_special_numbers_enabled=False,
        high_risk_tollfraud_numbers_enabled=True,
    )
    assert record.flags == CountryFlags(
        low_risk_numbers_enabled=True, high_risk_special_numbers_enabled=False, high_risk_tollfraud_numbers_enabled=True
    )
    update = CountryPermissionUpdate.of("GB", record.flags)
    assert update.model_dump() == {"iso_code": "GB", **record.flags.as_dict()}


def test_the_package_and_pulumi_provider_load_in_one_process():
    # A program may import pulumi.provider (component providers) as well: two copies of google.rpc.Status
    # in protobuf's descriptor pool fail the import with "duplicate symbol", in either order.
    import subprocess
    import sys

    for order in ("pulumi.provider, pulumi_twilio_dialing", "pulumi_twilio_dialing, pulumi.provider"):
        done = subprocess.run([sys.executable, "-c", f"import {order}"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-500:]
