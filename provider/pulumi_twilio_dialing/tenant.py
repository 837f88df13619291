"""``TenantDialingPolicy``: onboard one tenant in one line: a subaccount that dials only its allowed
countries' low-risk numbers."""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, overload

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict

from ._args import resource_args
from ._config import shown
from ._provider import AccountSid, IsoCode, SubaccountName, argument_problems
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
    and ``subaccount_sid`` (use an existing one).

    The policy checks them before it registers anything, with the messages the resources give, and raises
    ``ValueError`` naming the argument, the value and the fix: nothing is created for a policy with bad
    arguments. Arguments given as Outputs are checked when their value arrives, before a child gets it."""

    allowed_countries: pulumi.Input[Sequence[str]]
    """ISO codes the tenant may call, low-risk numbers only (e.g. the country detected at sign-up): a list
    (``["GB"]``, not ``"GB"``) of upper-case codes, each once."""

    friendly_name: pulumi.Input[str] | None = None
    """Create a new subaccount with this name for the tenant (1 to 64 printable characters on one line)."""

    subaccount_sid: pulumi.Input[str] | None = None
    """Use this existing subaccount of the configured account instead (it is never closed by this policy)."""

    offboarding: str = "close"
    """What destroying the policy does to a subaccount it created: ``"close"`` (default, irreversible),
    ``"suspend"`` or ``"retain"``. An existing subaccount gets its permissions and inheritance restored
    (the value is still checked). A plain string: it decides, when the program runs, what each child does."""


def _each_once(isos: list[str]) -> list[str]:
    seen: set[str] = set()
    for iso in isos:
        if iso in seen:
            raise ValueError(f"allowed_countries lists {iso!r} more than once: list each country once")
        seen.add(iso)
    return isos


class _PolicyArguments(BaseModel):
    """The component's arguments, checked with the validators (and so the messages) of the resources they
    become: ``allowed_countries`` the keys of ``DialingPermissions.countries``, ``friendly_name`` and
    ``offboarding`` those of ``Subaccount``, ``subaccount_sid`` an ``account_sid``. Arguments not known at
    program time are left out, and checked when their value arrives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_countries: Annotated[list[IsoCode], AfterValidator(_each_once)] | None = None
    friendly_name: SubaccountName | None = None
    subaccount_sid: AccountSid | None = None
    offboarding: Literal["close", "suspend", "retain"] = "close"


def _known_now(value: Any) -> bool:
    """Whether the program holds the value itself (not an Output or awaitable, nor a list holding one)."""
    if isinstance(value, pulumi.Output) or inspect.isawaitable(value):
        return False
    if isinstance(value, (list, tuple)):
        return all(_known_now(item) for item in value)
    return True


def _problems(owner: str, values: dict[str, Any]) -> list[str]:
    countries = values.get("allowed_countries")
    if isinstance(countries, (str, bytes)):
        # a str is a Sequence[str] too: "GB" would silently become the countries 'G' and 'B'
        values = {k: v for k, v in values.items() if k != "allowed_countries"}
        problem = f"allowed_countries must be a list of ISO codes, got the string {shown(countries, as_input=True)}"
        # "GB" or a config value such as "GB,FR": say how to write it as a list
        parts = re.split(r"[\s,;]+", countries.strip()) if isinstance(countries, str) else []
        short = 0 < len(parts) <= 10 and all(re.fullmatch(r"[A-Za-z]{2}", p) for p in parts)
        fix = f": write [{', '.join(repr(p.upper()) for p in parts)}]" if short else ""
        return [problem + fix, *argument_problems(_PolicyArguments, owner, values)]
    return argument_problems(_PolicyArguments, owner, values)


def _refuse(owner: str, problems: list[str]) -> None:
    if problems:
        raise ValueError(f"{owner}: {'; '.join(problems)}")


class TenantDialingPolicy(pulumi.ComponentResource):
    """One tenant: a subaccount with inheritance off, its allowed countries low-risk only, and every other
    country of Twilio's list hardened (all flags off)."""

    subaccount_sid: pulumi.Output[str]
    allowed_countries: pulumi.Output[list[str]]
    summary: pulumi.Output[str]

    @overload
    def __init__(
        self, resource_name: str, args: TenantDialingPolicyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Onboard one tenant: a subaccount dialing only its allowed countries' low-risk numbers.

        :param resource_name: The component's name; its children are named after it.
        :param args: The arguments (see :class:`TenantDialingPolicyArgs`).
        :param opts: Options of the component (``parent``, ``aliases``, ``providers``, ...).
        """

    @overload
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        allowed_countries: pulumi.Input[Sequence[str]],
        friendly_name: pulumi.Input[str] | None = None,
        subaccount_sid: pulumi.Input[str] | None = None,
        offboarding: str = "close",
    ) -> None:
        """Onboard one tenant: a subaccount dialing only its allowed countries' low-risk numbers.

        :param resource_name: The component's name; its children are named after it.
        :param opts: Options of the component (``parent``, ``aliases``, ``providers``, ...).
        :param allowed_countries: ISO codes the tenant may call, low-risk numbers only (a list: ``["GB"]``).
        :param friendly_name: Create a new subaccount with this name (exactly one of this and
            ``subaccount_sid``).
        :param subaccount_sid: Use this existing subaccount instead (never closed by the policy).
        :param offboarding: What destroying the policy does to a subaccount it created: ``"close"``
            (default, irreversible), ``"suspend"`` or ``"retain"``.
        """

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        args_, opts = resource_args("TenantDialingPolicy", TenantDialingPolicyArgs, resource_name, args, kwargs)
        self._build(resource_name, args_, opts)

    def _build(self, name: str, args: TenantDialingPolicyArgs, opts: pulumi.ResourceOptions | None) -> None:
        owner = f"TenantDialingPolicy {name!r}"
        # Everything the program holds is checked before anything is registered (not even this component):
        # a policy failing after its subaccount was created would leave a half-onboarded tenant.
        problems = []
        if (args.friendly_name is None) == (args.subaccount_sid is None):
            problems.append(
                "needs exactly one of friendly_name (create a subaccount) and subaccount_sid (use an existing one)"
            )
        offboarding = "close" if args.offboarding is None else args.offboarding  # None: the default
        if not _known_now(offboarding):
            problems.append(
                "offboarding must be written in the program as 'close', 'suspend' or 'retain', not an Output: "
                "it decides, when the program runs, what destroying each child does"
            )
        given = {
            "allowed_countries": args.allowed_countries,
            "friendly_name": args.friendly_name,
            "subaccount_sid": args.subaccount_sid,
            "offboarding": offboarding,
        }
        known = {k: v for k, v in given.items() if v is not None and _known_now(v)}
        _refuse(owner, problems + _problems(owner, known))

        super().__init__("twilio-dialing:index:TenantDialingPolicy", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def checked(key: str, value: Any) -> Any:
            """Check an argument that was an Output when its value arrives, before any child gets it."""
            _refuse(owner, _problems(owner, {key: value}))
            return value

        def later(key: str) -> pulumi.Input[Any]:
            # Known values were checked above and pass as they are. An Output (or a list holding Outputs) is
            # checked when its value arrives, before a child gets it. What cannot be checked early: a value
            # still unknown during a preview (the resources check it at `up`, before any request), and what
            # only Twilio knows (a country missing from its list, a subaccount it does not show the account,
            # a name already taken), found at create before anything of the tenant is written.
            value = given[key]
            if key in known:
                return value
            return pulumi.Output.from_input(value).apply(lambda v: checked(key, v))

        allowed: pulumi.Output[list[str]] = pulumi.Output.from_input(later("allowed_countries")).apply(sorted)
        created = args.friendly_name is not None
        if created:
            friendly_name = later("friendly_name")
            if "allowed_countries" not in known:
                # The subaccount waits for the countries to pass, so bad countries create nothing. Only the
                # fact that they passed reaches the name (never their value, so unsecret is safe), and a
                # secret name stays secret.
                passed = pulumi.Output.unsecret(allowed).apply(lambda _: True)
                friendly_name = pulumi.Output.all(passed, friendly_name).apply(lambda pair: pair[1])
            subaccount = Subaccount(
                f"{name}-subaccount",
                SubaccountArgs(friendly_name=friendly_name, on_delete=offboarding),
                child,
            )
            sid: pulumi.Output[str] = subaccount.sid
        else:
            sid = pulumi.Output.from_input(later("subaccount_sid"))
        # A subaccount this policy closes needs nothing put back first; an existing one gets restored.
        on_delete = "retain" if created and offboarding == "close" else "restore"
        permissions = DialingPermissions(
            f"{name}-permissions",
            DialingPermissionsArgs(
                account_sid=sid,
                default=HARDENED,
                countries=allowed.apply(lambda isos: dict.fromkeys(isos, ALLOWED)),
                on_delete=on_delete,
            ),
            child,
        )
        # Inheritance goes off only once the subaccount's own table is hardened: an existing subaccount's
        # own table may allow risky ranges, and it takes effect the moment inheritance is off. (On destroy
        # the order reverses: inheritance is put back first, then the table.)
        SubaccountInheritance(
            f"{name}-inheritance",
            SubaccountInheritanceArgs(account_sid=sid, dialing_permissions_inheritance=False, on_delete=on_delete),
            pulumi.ResourceOptions(parent=self, depends_on=[permissions]),
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
