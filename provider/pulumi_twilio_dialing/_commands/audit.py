"""``twilio-dialing audit``: where the main account (and its subaccounts) can call today, and the risk.

Read-only, with the fewest requests: one table list for the main account; with ``--subaccounts``, one
account list (which also brings each subaccount's token, so no request derives credentials), then per
subaccount its inheritance and, unless it inherits (its own table then has no effect), its table.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._models import CountryRecord
    from .._ops import AccountView, Output, Reader

__all__ = ["register"]

# Countries listed by ISO code before the rest are summarised as a count, in the human table.
SHOWN = 12


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "audit",
        help="show where the account and its subaccounts can call, and the risk (read-only)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--subaccounts", action="store_true", help="also audit every active subaccount")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--fail-on",
        choices=["high-risk"],
        help="exit 1 when an audited account can call high-risk numbers (for cron and CI)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .._exceptions import TwilioDialingError
    from .._ops import Output, Reader, fail, missing_extra

    missing = missing_extra()
    if missing is not None:
        return missing
    output = Output(as_json=args.json)
    try:
        reader = Reader()
        views = audit(reader, subaccounts=args.subaccounts, output=output)
    except (TwilioDialingError, ValueError) as error:
        return fail(error)
    report = [_entry(view, views[0]) for view in views]
    if args.json:
        output.json({"accounts": report, "summary": _summary(report)})
    else:
        _print(output, report)
    if args.fail_on == "high-risk" and any(entry["risk"] == "high-risk" for entry in report):
        if not args.json:
            print("high-risk dialing is enabled (--fail-on high-risk)", file=sys.stderr)
        return 1
    return 0


def audit(reader: Reader, *, subaccounts: bool, output: Output) -> list[AccountView]:
    """The main account's view first, then each active subaccount's (read a few at a time)."""
    main_record = reader.main_record() if subaccounts else None
    subs = reader.subaccounts() if subaccounts else []
    with output.progress("auditing accounts", 1 + len(subs)) as advance:
        main = reader.view(main_record)
        advance()
        return [main, *reader.each(subs, reader.view, advance)]


def _isos(table: tuple[CountryRecord, ...], flag: str) -> list[str]:
    return sorted(c.iso_code for c in table if getattr(c, flag))


def _entry(view: AccountView, main: AccountView) -> dict[str, Any]:
    """One account's line: its effective permissions (the parent's when it inherits)."""
    effective = view if view.table is not None else main
    table = effective.table or ()
    low = _isos(table, "low_risk_numbers_enabled")
    special = _isos(table, "high_risk_special_numbers_enabled")
    tollfraud = _isos(table, "high_risk_tollfraud_numbers_enabled")
    risk = "high-risk" if special or tollfraud else "low-risk" if low else "none"
    return {
        "account_sid": view.sid,
        "friendly_name": view.friendly_name,
        "kind": view.kind,
        "dialing_permissions_inheritance": view.inherits,
        "effective_from": effective.sid,
        "low_risk_countries": low,
        "high_risk_special_countries": special,
        "high_risk_tollfraud_countries": tollfraud,
        "high_risk_countries": sorted(set(special) | set(tollfraud)),
        "risk": risk,
    }


def _summary(report: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "accounts": len(report),
        "high_risk_accounts": [e["account_sid"] for e in report if e["risk"] == "high-risk"],
        "inheriting_subaccounts": [e["account_sid"] for e in report if e["dialing_permissions_inheritance"]],
    }


def _shorten(isos: list[str]) -> str:
    if not isos:
        return "-"
    shown = " ".join(isos[:SHOWN])
    return f"{len(isos)}: {shown}" + (f" +{len(isos) - SHOWN} more" if len(isos) > SHOWN else "")


def _print(output: Output, report: list[dict[str, Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Voice dialing permissions", show_lines=False)
    table.add_column("account", no_wrap=True, min_width=34)
    for column in ("name", "inheritance", "low-risk on", "high-risk on (special or toll fraud)", "risk"):
        table.add_column(column, overflow="fold")
    styles = {"high-risk": "bold red", "low-risk": "green", "none": "dim"}
    for e in report:
        inherits = e["dialing_permissions_inheritance"]
        inheritance = "- (main)" if inherits is None else "inherits" if inherits else "own"
        table.add_row(
            e["account_sid"],
            Text(e["friendly_name"]),  # anyone's text: never read as markup
            inheritance,
            _shorten(e["low_risk_countries"]),
            _shorten(e["high_risk_countries"]),
            f"[{styles[e['risk']]}]{e['risk']}[/]",
        )
    output.console.print(table)
    summary = _summary(report)
    output.console.print(
        f"{summary['accounts']} account(s) audited, {len(summary['high_risk_accounts'])} can call high-risk "
        f"numbers, {len(summary['inheriting_subaccounts'])} inherit their parent's permissions"
    )
