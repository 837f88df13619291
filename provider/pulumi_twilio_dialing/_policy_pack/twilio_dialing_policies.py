"""CrossGuard policies for the resources of pulumi-twilio-dialing.

- ``no-high-risk-tollfraud`` (mandatory): no ``DialingPermissions`` default or country, no
  ``DialingPermissionCountry``, turns on ``high_risk_tollfraud_numbers_enabled``;
- ``no-high-risk-special-services`` (advisory): the same for ``high_risk_special_numbers_enabled``;
- ``tenant-subaccounts-do-not-inherit`` (mandatory): no ``SubaccountInheritance`` turns inheritance on.

Allow-lists (policy config): ``allowedCountries`` maps an account SID, a tenant name (the name of the
``TenantDialingPolicy`` a resource belongs to), ``"configured"`` (resources without ``account_sid``) or ``"*"``
to the ISO codes where the range may be on;
``allowedAccounts`` lists the subaccount SIDs or tenant names that may inherit.

``"unchanged"`` sets nothing (the resource leaves the flag as Twilio has it). What these policies cannot see: a
flag that *stops* being managed (set to ``"unchanged"``, a country dropped, a resource deleted) is put back to
its restore point, which lives in the old state, not in the inputs a policy gets - that can turn a range back
on. ``twilio-dialing preview-report --fail-on-risk`` reads the old state and flags it; run both.

A value not known during a preview (a subaccount created in the same run, an Output) never produces a violation:
an unknown account is judged against every allow-list (a violation only if no list allows the country), an
unknown flag or country list is skipped; ``pulumi up`` runs the policies again with the values known. The pack
is self-contained (it runs in its own virtualenv): the type tokens and flag names below are pinned against the
package by its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

__all__ = ["PACK_NAME", "POLICIES", "TYPES"]

PACK_NAME = "twilio-dialing"
PREFIX = "pulumi-python:dynamic/twilio-dialing:"
TYPES = {
    "DialingPermissions": PREFIX + "DialingPermissions",
    "DialingPermissionCountry": PREFIX + "DialingPermissionCountry",
    "SubaccountInheritance": PREFIX + "SubaccountInheritance",
    "Subaccount": PREFIX + "Subaccount",
}
TENANT_TYPE = "twilio-dialing:index:TenantDialingPolicy"
FLAG_NAMES = (
    "low_risk_numbers_enabled",
    "high_risk_special_numbers_enabled",
    "high_risk_tollfraud_numbers_enabled",
)
UNCHANGED = "unchanged"
# The placeholders Pulumi uses for values not known during a preview (pulumi_policy.proxy).
_UNKNOWNS = {
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
}


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


def _get(props: Mapping[str, Any] | Any, key: str) -> Any:
    """``props[key]``; ``UNKNOWN`` for a value not known in this preview; None when absent."""
    if props is UNKNOWN or not isinstance(props, Mapping):
        return UNKNOWN if props is UNKNOWN else None
    try:
        value = props.get(key)
    except UnknownValueError:
        return UNKNOWN
    return UNKNOWN if isinstance(value, str) and value in _UNKNOWNS else value


def _items(props: Mapping[str, Any] | Any) -> Iterator[tuple[str, Any]]:
    for key in list(props):
        yield key, _get(props, key)


def _tenant(args: ResourceValidationArgs) -> str | None:
    """The name of the TenantDialingPolicy the resource belongs to (its parent's URN names it)."""
    parent = getattr(args.opts, "parent", None) or ""
    parts = parent.split("::")
    return parts[-1] if len(parts) >= 4 and parts[2].rsplit("$", 1)[-1] == TENANT_TYPE else None


def _allowed(args: ResourceValidationArgs, account: Any, key: str) -> set[str] | None:
    """ISO codes where the config allows the flag for this account; None: every ISO code any list allows
    (the account is not known in this preview)."""
    lists = {str(k): {str(v) for v in values} for k, values in (args.get_config().get(key) or {}).items()}
    if account is UNKNOWN:
        return None
    names = {"*", str(account) if account else "configured", _tenant(args) or "*"}
    return set().union(*(lists.get(n, set()) for n in names))


def _any_allowed(args: ResourceValidationArgs, key: str) -> set[str]:
    return set().union(*({str(v) for v in values} for values in (args.get_config().get(key) or {}).values()))


def _who(args: ResourceValidationArgs, account: Any) -> str:
    tenant = _tenant(args)
    where = "a subaccount created in this run" if account is UNKNOWN else (account or "the configured account")
    return f"{args.name} (tenant {tenant}, {where})" if tenant else f"{args.name} ({where})"


def _flag_on(flag: str, label: str) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        props = args.props
        account = _get(props, "account_sid")
        allowed = _allowed(args, account, "allowedCountries")
        if allowed is None:
            allowed = _any_allowed(args, "allowedCountries")
        who = _who(args, account)
        fix = (
            "set it to False, or allow the country for this account in the policy config (allowedCountries: "
            '{"<account SID or tenant>": ["<ISO>"]})'
        )
        if args.resource_type == TYPES["DialingPermissionCountry"]:
            iso = _get(props, "iso_code")
            if _get(props, flag) is True and iso is not UNKNOWN and iso not in allowed:
                report_violation(f"{who} turns {label} on in {iso}: {fix}", None)
            return
        if args.resource_type != TYPES["DialingPermissions"]:
            return
        default = _get(props, "default")
        default_value = _get(default, flag) if isinstance(default, Mapping) else default
        if default_value is True and "*" not in allowed:
            report_violation(
                f"{who} turns {label} on for every country its countries do not list (default.{flag} is True): {fix}",
                None,
            )
        countries = _get(props, "countries")
        if countries is UNKNOWN or not isinstance(countries, Mapping):
            return
        on = []
        for iso, flags in _items(countries):
            value = _get(flags, flag) if isinstance(flags, Mapping) else flags
            if value is None:  # a flag a country leaves out follows the default
                value = default_value
            if value is True and iso not in allowed:
                on.append(iso)
        if on:
            report_violation(f"{who} turns {label} on in {', '.join(sorted(on))}: {fix}", None)

    return validate


def _no_inheritance(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != TYPES["SubaccountInheritance"]:
        return
    account = _get(args.props, "account_sid")
    if _get(args.props, "dialing_permissions_inheritance") is not True:
        return
    allowed = {str(a) for a in args.get_config().get("allowedAccounts") or []}
    if account is UNKNOWN and allowed:
        return  # may be an allowed one: decided at `pulumi up`, when the SID is known
    if {str(account), _tenant(args) or ""} & allowed:
        return
    report_violation(
        f"{_who(args, account)} makes the subaccount inherit its parent's dialing permissions, so the tenant "
        "dials with the main account's permissions and its own hardening has no effect: set "
        "dialing_permissions_inheritance=False, or list the subaccount in the policy config (allowedAccounts)",
        None,
    )


_COUNTRIES_SCHEMA = PolicyConfigSchema(
    properties={
        "allowedCountries": {
            "type": "object",
            "description": 'Account SID, tenant name or "*" -> ISO codes where the range may be on',
            "additionalProperties": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2}$"}},
        }
    }
)

POLICIES = [
    ResourceValidationPolicy(
        name="no-high-risk-tollfraud",
        description="No toll-fraud number ranges turned on (high_risk_tollfraud_numbers_enabled).",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=_flag_on("high_risk_tollfraud_numbers_enabled", "toll-fraud ranges"),
        config_schema=_COUNTRIES_SCHEMA,
    ),
    ResourceValidationPolicy(
        name="no-high-risk-special-services",
        description="No high-risk special services (premium, shared cost) turned on.",
        enforcement_level=EnforcementLevel.ADVISORY,
        validate=_flag_on("high_risk_special_numbers_enabled", "high-risk special services"),
        config_schema=_COUNTRIES_SCHEMA,
    ),
    ResourceValidationPolicy(
        name="tenant-subaccounts-do-not-inherit",
        description="Tenant subaccounts dial with their own permissions, not their parent's.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=_no_inheritance,
        config_schema=PolicyConfigSchema(
            properties={
                "allowedAccounts": {
                    "type": "array",
                    "description": "Subaccount SIDs or tenant names that may inherit",
                    "items": {"type": "string"},
                }
            }
        ),
    ),
]
