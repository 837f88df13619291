"""``twilio-dialing insights``: calls blocked by dialing permissions, per tenant and destination country.

Reads Monitor alerts (monitor.twilio.com ``/v1/Alerts``, since ``--since``) of the main account and, with
``--subaccounts``, of every active subaccount, and keeps those of the codes Twilio gives a call that the
dialing permissions refused: 21215 (REST API call), 13227 (TwiML ``<Dial>``), 32205 (SIP trunking).
The destination country of each number comes from ``phonenumbers``; whether it falls in a high-risk
special prefix range from Twilio's ``HighRiskSpecialPrefixes`` of that country (read once per country).
For each tenant it prints the change, as code for this package's resources, that would let the calls
through.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

if TYPE_CHECKING:
    from .._models import AlertRecord, CountryRecord
    from .._ops import Output, Reader

__all__ = ["BLOCKED_CODES", "register"]

BLOCKED_CODES = {
    "21215": "REST API call",
    "13227": "TwiML <Dial>",
    "32205": "SIP trunking",
}
# An E.164 number anywhere in an alert's text (Twilio's alert texts are form-encoded key=value pairs; which
# key carries the number differs between errors, so every value is searched).
_E164 = re.compile(r"\+[1-9]\d{6,14}")
DESTINATION_KEYS = ("phonenumber", "to", "called", "destination")
UNKNOWN = "??"
FLAGS = ("low_risk_numbers_enabled", "high_risk_special_numbers_enabled")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "insights",
        help="calls blocked by dialing permissions, per tenant and country, and the change to allow them",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--since", default="7d", help="how far back: 30m, 12h, 7d (at most 30d; default 7d)")
    parser.add_argument("--subaccounts", action="store_true", help="also read every active subaccount's alerts")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.set_defaults(run=run)


@dataclass
class CountryFinding:
    iso_code: str
    name: str
    blocked: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    numbers: set[str] = field(default_factory=set)
    special_numbers: set[str] = field(default_factory=set)  # those in a high-risk special prefix range
    enabled_now: set[str] = field(default_factory=set)  # flags already on (since changed): nothing to do

    @property
    def high_risk_special(self) -> bool:
        return bool(self.special_numbers)

    @property
    def flags(self) -> list[str]:
        """The flags that would let these numbers through (toll-fraud ranges are not published by Twilio,
        so a number in one cannot be recognised here)."""
        wanted = []
        if self.numbers - self.special_numbers:
            wanted.append("low_risk_numbers_enabled")
        if self.special_numbers:
            wanted.append("high_risk_special_numbers_enabled")
        return [flag for flag in wanted if flag not in self.enabled_now]


@dataclass
class TenantFinding:
    account_sid: str
    friendly_name: str
    is_subaccount: bool
    inherits: bool | None = None
    countries: dict[str, CountryFinding] = field(default_factory=dict)

    @property
    def blocked(self) -> int:
        return sum(c.blocked for c in self.countries.values())


def run(args: argparse.Namespace) -> int:
    from .._exceptions import TwilioDialingError
    from .._ops import Output, Reader, fail, missing_extra, parse_since

    missing = missing_extra()
    if missing is not None:
        return missing
    output = Output(as_json=args.json)
    try:
        since = datetime.now(UTC).replace(microsecond=0) - parse_since(args.since)
        reader = Reader()
        tenants = insights(reader, since=since, subaccounts=args.subaccounts, output=output)
        main_sid = reader.main_sid
    except (TwilioDialingError, ValueError) as error:
        return fail(error)
    if args.json:
        output.json(
            {
                "since": since.isoformat().replace("+00:00", "Z"),
                "codes": BLOCKED_CODES,
                "accounts": [_as_json(t, main_sid) for t in tenants],
            }
        )
    else:
        _print(output, tenants, main_sid, args.since)
    return 0


def insights(reader: Reader, *, since: datetime, subaccounts: bool, output: Output) -> list[TenantFinding]:
    """Blocked calls per account and country (accounts without any are kept, with no countries)."""
    main_record = reader.main_record() if subaccounts else None
    accounts: list[tuple[str, str, bool]] = [
        (reader.main_sid, main_record.friendly_name if main_record else "", False),
        *((a.sid, a.friendly_name, True) for a in (reader.subaccounts() if subaccounts else [])),
    ]
    with output.progress("reading alerts", len(accounts)) as advance:
        alerts = reader.each(
            accounts,
            lambda account: _blocked(reader.gateway(account[0]).list_alerts(start_date=since), account[0]),
            advance,
        )
    blocked_anywhere = [a for batch in alerts for a in batch]
    table: tuple[CountryRecord, ...] = tuple(reader.main.list_countries()) if blocked_anywhere else ()
    countries = {c.iso_code: c for c in table}
    tenants: list[TenantFinding] = []
    for (sid, name, is_sub), batch in zip(accounts, alerts, strict=True):
        tenant = TenantFinding(sid, name, is_sub)
        for alert in batch:
            number = _number(alert.alert_text)
            iso = _twilio_iso(number, table) if number else None
            finding = tenant.countries.setdefault(
                iso or UNKNOWN,
                CountryFinding(iso or UNKNOWN, countries[iso].name if iso else "number not found in the alert"),
            )
            finding.blocked += 1
            finding.codes[alert.error_code] = finding.codes.get(alert.error_code, 0) + 1
            if number:
                finding.numbers.add(number)
        tenants.append(tenant)
    # Only what a suggestion needs: a tenant's inheritance (it decides which account to change), and each
    # destination country's high-risk special prefixes, once per country.
    affected = [t for t in tenants if t.is_subaccount and t.countries]
    for tenant, inherits in zip(
        affected,
        reader.each(affected, lambda t: reader.gateway(t.account_sid).fetch_dialing_permissions_inheritance()),
        strict=True,
    ):
        tenant.inherits = inherits
    isos = sorted({iso for t in tenants for iso in t.countries if iso != UNKNOWN})
    prefixes = dict(zip(isos, reader.each(isos, reader.main.list_high_risk_special_prefixes), strict=True))
    # The current table of each account whose permissions decide (the main one is read already): a
    # country opened since the calls were blocked needs no change.
    main_sid = reader.main_sid
    targets = sorted({_target(t, main_sid) for t in tenants if t.countries} - {main_sid})
    tables = {main_sid: table, **dict(zip(targets, reader.each(targets, _table(reader)), strict=True))}
    for tenant in tenants:
        now = {c.iso_code: c for c in tables.get(_target(tenant, main_sid), ())}
        for iso, finding in tenant.countries.items():
            finding.special_numbers = {
                n for n in finding.numbers if any(n.startswith(p) for p in prefixes.get(iso, ()))
            }
            current = now.get(iso)
            finding.enabled_now = {f for f in FLAGS if current is not None and getattr(current, f)}
    return tenants


def _table(reader: Reader) -> Callable[[str], tuple[CountryRecord, ...]]:
    return lambda sid: tuple(reader.gateway(sid).list_countries())


def _blocked(alerts: Iterable[AlertRecord], account_sid: str) -> list[AlertRecord]:
    """The account's own blocked-call alerts: should a parent's list ever hold its subaccounts' alerts too,
    they are counted once, for the account that made the call (never suggesting a change to the parent)."""
    return [a for a in alerts if a.error_code in BLOCKED_CODES and a.account_sid in (account_sid, "")]


def _number(text: str) -> str | None:
    """The dialled number in an alert's text: a form-encoded value (``%2B44...``), the destination's keys
    first (a text may also name the caller's number), else anywhere in the text as it is, else in the
    percent-decoded text (never ``+`` decoded as a space: it starts E.164)."""
    pairs = parse_qsl(text, keep_blank_values=True) if "=" in text else []
    preferred = [value for key, value in pairs if key.lower() in DESTINATION_KEYS]
    candidates = [*preferred, *(value for _, value in pairs), text, unquote(text)]
    for candidate in candidates:
        match = _E164.search(candidate)
        if match:
            return match.group(0)
    return None


def _twilio_iso(number: str, table: tuple[CountryRecord, ...]) -> str | None:
    """The ISO code of the number's country in Twilio's Dialing Permissions list. ``phonenumbers`` names the
    country; Twilio's list does not always use the same entry (Canada is part of "United States/Canada",
    US, for instance), so a region missing from the list, or whose codes do not match the number, falls
    back to the entry with the longest matching country code."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return None
    # An invalid (unassigned, fictional) number still has a country code: fall back to its main region.
    region = phonenumbers.region_code_for_number(parsed) or (
        phonenumbers.region_code_for_country_code(parsed.country_code) if parsed.country_code else None
    )
    by_iso = {c.iso_code: c for c in table}
    entry = by_iso.get(region or "")
    if entry is not None and any(number.startswith(code) for code in entry.country_codes):
        return entry.iso_code
    best = max(
        ((len(code), c.iso_code) for c in table for code in c.country_codes if number.startswith(code)),
        default=None,
    )
    return best[1] if best else None


def _target(tenant: TenantFinding, main_sid: str) -> str:
    """The account whose table decides the tenant's calls: its parent's while it inherits."""
    return main_sid if tenant.is_subaccount and tenant.inherits else tenant.account_sid


def change_code(tenant: TenantFinding, main_sid: str) -> str | None:
    """Python for this package's resources that would let the tenant's blocked calls through."""
    known = [
        c for c in sorted(tenant.countries.values(), key=lambda c: c.iso_code) if c.iso_code != UNKNOWN and c.flags
    ]
    if not known:
        return None
    target = _target(tenant, main_sid)
    lines = []
    if target != tenant.account_sid:
        lines += [
            f"# {tenant.account_sid} inherits its parent's permissions: this opens the countries for the",
            "# parent and every inheriting subaccount. For this tenant alone, manage its own table instead:",
            f'# SubaccountInheritance("...", SubaccountInheritanceArgs(account_sid="{tenant.account_sid}",',
            "#     dialing_permissions_inheritance=False)) and a DialingPermissions on it.",
        ]
    lines += [
        "DialingPermissions(",
        f'    "{_slug(tenant)}-allow-blocked",',
        "    DialingPermissionsArgs(",
        f'        account_sid="{target}",',
        "        countries={",
        *(
            f'            "{c.iso_code}": CountryPermissionsArgs({", ".join(f"{flag}=True" for flag in c.flags)}),'
            for c in known
        ),
        "        },",
        "    ),",
        ")",
    ]
    return "\n".join(lines)


def _slug(tenant: TenantFinding) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", tenant.friendly_name.lower()).strip("-")
    return name[:30] or tenant.account_sid


def _as_json(tenant: TenantFinding, main_sid: str) -> dict[str, Any]:
    return {
        "account_sid": tenant.account_sid,
        "friendly_name": tenant.friendly_name,
        "kind": "subaccount" if tenant.is_subaccount else "main",
        "dialing_permissions_inheritance": tenant.inherits,
        "permissions_of": _target(tenant, main_sid),
        "blocked": tenant.blocked,
        "countries": [
            {
                "iso_code": c.iso_code,
                "name": c.name,
                "blocked": c.blocked,
                "codes": dict(sorted(c.codes.items())),
                "numbers": sorted(c.numbers),
                "high_risk_special_prefix": c.high_risk_special,
                "flags_to_enable": [] if c.iso_code == UNKNOWN else c.flags,
                "enabled_now": sorted(c.enabled_now),
            }
            for c in sorted(tenant.countries.values(), key=lambda c: (-c.blocked, c.iso_code))
        ],
        "change": change_code(tenant, main_sid),
    }


def _to_allow(finding: CountryFinding) -> str:
    if finding.iso_code == UNKNOWN:
        return "-"
    if not finding.flags:
        return "allowed now"
    return ", ".join(finding.flags)


def _print(output: Output, tenants: list[TenantFinding], main_sid: str, since: str) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Calls blocked by dialing permissions (last {since})")
    table.add_column("account", no_wrap=True, min_width=34)
    for column in ("name", "country", "blocked", "codes", "high-risk special prefix", "numbers", "to allow"):
        table.add_column(column, overflow="fold")
    for tenant in tenants:
        for c in sorted(tenant.countries.values(), key=lambda c: (-c.blocked, c.iso_code)):
            table.add_row(
                tenant.account_sid,
                Text(tenant.friendly_name),  # anyone's text: never read as markup
                Text(f"{c.iso_code} {c.name}"),
                str(c.blocked),
                ", ".join(f"{code}: {n}" for code, n in sorted(c.codes.items())),
                "yes" if c.high_risk_special else "no",
                ", ".join(sorted(c.numbers)[:3]) + (" …" if len(c.numbers) > 3 else ""),
                _to_allow(c),
            )
    if not any(t.countries for t in tenants):
        output.console.print(
            f"No blocked calls (21215, 13227, 32205) in {len(tenants)} account(s) since {since}.", markup=False
        )
        return
    output.console.print(table)
    for tenant in tenants:
        code = change_code(tenant, main_sid)
        if code:
            who = tenant.friendly_name or tenant.account_sid
            output.console.print(f"\nTo allow the blocked calls of {who}:", markup=False)
            # Plain and never wrapped: the code is meant to be copied.
            output.console.print(code, markup=False, highlight=False, soft_wrap=True)
