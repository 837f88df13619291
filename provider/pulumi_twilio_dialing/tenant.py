"""``TenantDialingPolicy``: onboard one tenant in one line: a subaccount that dials only its allowed
countries' low-risk numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from .dialing_permissions import CountryPermissionsArgs, DialingPermissions, DialingPermissionsArgs
from .subaccount import Subaccount, SubaccountArgs
from .subaccount_inheritance import SubaccountInheritance, SubaccountInheritanceArgs

__all__ = ["HARDENED", "TenantDialingPolicy", "TenantDialingPolicyArgs"]

HARDENED = CountryPermissionsArgs(False, False, False)
"""Every other country: all three flags off (calls there fail with 13227 instead of costing money)."""

ALLOWED = CountryPermissionsArgs(True, False, False)
"""An allowed country: low-risk numbers only, both high-risk ranges off."""


@dataclass
class TenantDialingPolicyArgs:
    """Inputs of :class:`TenantDialingPolicy`. Give exactly one of ``friendly_name`` (create a subaccount)
    and ``subaccount_sid`` (use an existing one)."""

    allowed_countries: pulumi.Input[Sequence[str]]
    """ISO codes the tenant may call, low-risk numbers only (e.g. the country detected at sign-up)."""

    friendly_name: pulumi.Input[str] | None = None
    """Create a new subaccount with this name for the tenant."""

    subaccount_sid: pulumi.Input[str] | None = None
    """Use this existing subaccount of the configured account instead (it is never closed by this policy)."""

    offboarding: str = "close"
    """What destroying the policy does to a subaccount it created: ``"close"`` (default, irreversible),
    ``"suspend"`` or ``"retain"``. An existing subaccount gets its permissions and inheritance restored."""


class TenantDialingPolicy(pulumi.ComponentResource):
    """One tenant: a subaccount with inheritance off, its allowed countries low-risk only, and every other
    country of Twilio's list hardened (all flags off)."""

    subaccount_sid: pulumi.Output[str]
    allowed_countries: pulumi.Output[list[str]]
    summary: pulumi.Output[str]

    def __init__(self, name: str, args: TenantDialingPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("twilio-dialing:index:TenantDialingPolicy", name, None, opts)
        if (args.friendly_name is None) == (args.subaccount_sid is None):
            raise ValueError(
                f"TenantDialingPolicy {name!r} needs exactly one of friendly_name (create a subaccount) and "
                "subaccount_sid (use an existing one)"
            )
        child = pulumi.ResourceOptions(parent=self)
        created = args.friendly_name is not None
        if created:
            subaccount = Subaccount(
                f"{name}-subaccount",
                SubaccountArgs(friendly_name=args.friendly_name, on_delete=args.offboarding),  # type: ignore[arg-type]
                child,
            )
            sid: pulumi.Output[str] = subaccount.sid
        else:
            sid = pulumi.Output.from_input(args.subaccount_sid)  # type: ignore[arg-type]
        # A subaccount this policy closes needs nothing put back first; an existing one gets restored.
        on_delete = "retain" if created and args.offboarding == "close" else "restore"
        allowed = pulumi.Output.from_input(args.allowed_countries).apply(lambda isos: sorted({*isos}))
        SubaccountInheritance(
            f"{name}-inheritance",
            SubaccountInheritanceArgs(account_sid=sid, dialing_permissions_inheritance=False, on_delete=on_delete),
            child,
        )
        DialingPermissions(
            f"{name}-permissions",
            DialingPermissionsArgs(
                account_sid=sid,
                default=HARDENED,
                countries=allowed.apply(lambda isos: dict.fromkeys(isos, ALLOWED)),
                on_delete=on_delete,
            ),
            child,
        )
        self.subaccount_sid = sid
        self.allowed_countries = allowed
        self.summary = allowed.apply(
            lambda isos: (
                f"low-risk calls to {', '.join(isos) or 'no country'} only; every other country and "
                "every high-risk range off; inheritance off"
            )
        )
        self.register_outputs({"subaccount_sid": sid, "allowed_countries": allowed, "summary": self.summary})
