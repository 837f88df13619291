"""``twilio-dialing export``: write a Pulumi program that reproduces the live dialing permissions.

Dynamic resources cannot be ``pulumi import``ed; this is the way to bring an existing account under code.
It writes ``__main__.py`` and ``Pulumi.yaml`` into ``--out``: a ``DialingPermissions`` for the main account
(a default per flag, the value most countries have, plus the countries that differ) and, for each selected
subaccount, a ``SubaccountInheritance`` and, unless it inherits, its own ``DialingPermissions``.

Subaccounts are adopted by SID, never declared as ``Subaccount`` resources: such a resource creates an
account on its first ``up`` (and closes it on destroy), which is not what bringing an existing tenant under
code means. Every resource is written with ``on_delete="retain"``: destroying the exported stack hands the
accounts back as they are. Its first ``up`` writes nothing: the program says what Twilio already has.
No credential is ever written: the program reads them from stack config or the environment when it runs.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._models import CountryRecord
    from .._ops import AccountView, Output, Reader

__all__ = ["register", "render_program"]

FILES = ("__main__.py", "Pulumi.yaml")
_PROJECT = re.compile(r"\A[A-Za-z0-9_.-]{1,100}\Z")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "export",
        help="write a Pulumi program (and Pulumi.yaml) reproducing the live dialing permissions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", required=True, type=Path, help="directory to write __main__.py and Pulumi.yaml")
    parser.add_argument(
        "--subaccount",
        action="append",
        default=[],
        metavar="SID",
        help="also export this active subaccount (repeatable)",
    )
    parser.add_argument("--all-subaccounts", action="store_true", help="also export every active subaccount")
    parser.add_argument("--project", default="twilio-dialing-export", help="project name in Pulumi.yaml")
    parser.add_argument("--force", action="store_true", help="overwrite __main__.py and Pulumi.yaml if present")
    parser.add_argument("--json", action="store_true", help="print what was written as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .._exceptions import ConfigurationError, TwilioDialingError
    from .._ops import Output, Reader, fail, missing_extra

    missing = missing_extra()
    if missing is not None:
        return missing
    output = Output(as_json=args.json)
    try:
        # Bad input is refused before anything is read or written.
        if not _PROJECT.fullmatch(args.project):
            raise ConfigurationError(
                f"--project is {args.project!r}; a Pulumi project name uses letters, digits, '-', '_' and '.'"
            )
        if args.subaccount and args.all_subaccounts:
            raise ConfigurationError("give either --subaccount SID (repeatable) or --all-subaccounts, not both")
        existing = [name for name in FILES if (args.out / name).exists()]
        if existing and not args.force:
            raise ConfigurationError(
                f"{args.out} already holds {', '.join(existing)}; choose an empty directory or pass --force"
            )
        reader = Reader()
        views = read(reader, args.subaccount or None, args, output)
        program = render_program(views, exported_at=datetime.now(UTC))
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "__main__.py").write_text(program, encoding="utf-8")
        (args.out / "Pulumi.yaml").write_text(render_project(args.project, views[0].sid), encoding="utf-8")
    except (TwilioDialingError, ValueError, OSError) as error:
        return fail(error)
    summary = {
        "out": str(args.out),
        "files": list(FILES),
        "accounts": [{"account_sid": v.sid, "kind": v.kind, "inherits": v.inherits} for v in views],
    }
    if args.json:
        output.json(summary)
    else:
        output.console.print(
            f"wrote {args.out / '__main__.py'} and {args.out / 'Pulumi.yaml'} for {len(views)} account(s); "
            "its first `pulumi up` adopts them without writing to Twilio",
            markup=False,
        )
    return 0


def read(reader: Reader, only: list[str] | None, args: argparse.Namespace, output: Output) -> list[AccountView]:
    wanted = args.all_subaccounts or bool(args.subaccount)
    subs = reader.subaccounts(only) if wanted else []
    main_record = reader.main_record() if wanted else None
    with output.progress("reading accounts", 1 + len(subs)) as advance:
        main = reader.view(main_record)
        advance()
        return [main, *reader.each(subs, reader.view, advance)]


def compact(table: tuple[CountryRecord, ...]) -> tuple[dict[str, bool], dict[str, dict[str, bool]]]:
    """The default of each flag (the value most countries have; False on a tie, the safer reading) and, per
    country that differs, only the flags that differ from it."""
    from .._models import FLAG_NAMES  # here: the CLI's start-up (--help) imports no pydantic

    default = {}
    for name in FLAG_NAMES:
        votes = Counter(bool(getattr(c, name)) for c in table)
        default[name] = votes[True] > votes[False]
    exceptions: dict[str, dict[str, bool]] = {}
    for country in sorted(table, key=lambda c: c.iso_code):
        differs = {n: bool(getattr(country, n)) for n in FLAG_NAMES if bool(getattr(country, n)) != default[n]}
        if differs:
            exceptions[country.iso_code] = differs
    return default, exceptions


def _flags(values: dict[str, bool]) -> str:
    return ", ".join(f"{name}={value}" for name, value in values.items())


def _name(view: AccountView, used: set[str]) -> str:
    """A resource-name stem from the friendly name (stable and readable), unique within the program."""
    if not view.is_subaccount:
        stem = "main"
    else:
        stem = re.sub(r"[^a-z0-9]+", "-", view.friendly_name.lower()).strip("-")[:40] or "subaccount"
        if stem == "main" or stem in used:
            stem = f"{stem}-{view.sid[-8:].lower()}"
        # Another subaccount's friendly name may be exactly that suffixed stem (the order is the user's).
        base, count = stem, 2
        while stem in used:
            stem, count = f"{base}-{count}", count + 1
    used.add(stem)
    return stem


def _comment(text: str) -> str:
    """Text (a friendly name is anyone's) made safe for a one-line comment."""
    # Control characters too: a NUL makes the file no Python at all.
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:80]


def _permissions_block(view: AccountView, stem: str) -> list[str]:
    default, exceptions = compact(view.table or ())
    lines = [
        "DialingPermissions(",
        f'    "{stem}-dialing-permissions",',
        "    DialingPermissionsArgs(",
        f'        account_sid="{view.sid}",',
        "        default=CountryPermissionsArgs(",
        *(f"            {name}={value}," for name, value in default.items()),
        "        ),",
    ]
    if exceptions:
        lines.append("        countries={")
        lines += [f'            "{iso}": CountryPermissionsArgs({_flags(flags)}),' for iso, flags in exceptions.items()]
        lines.append("        },")
    lines += ['        on_delete="retain",', "    ),", ")"]
    count = len(view.table or ())
    header = f"# {count} countries; {len(exceptions)} differ from the default."
    return [header, *lines]


def render_program(views: list[AccountView], *, exported_at: datetime) -> str:
    """The Pulumi program for the views (the main account first)."""
    main = views[0]
    uses_inheritance = any(v.is_subaccount for v in views)
    imports = ["CountryPermissionsArgs", "DialingPermissions", "DialingPermissionsArgs"]
    if uses_inheritance:
        imports += ["SubaccountInheritance", "SubaccountInheritanceArgs"]
    stamp = exported_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f'"""Voice dialing permissions of account {main.sid} and {len(views) - 1} subaccount(s), exported by',
        f"`twilio-dialing export` at {stamp}.",
        "",
        "Credentials come from stack config (twilio:accountSid, twilio:authToken or twilio:apiKey/apiSecret) or",
        "the TWILIO_* environment variables; none is written here. Every resource retains on delete: destroying",
        'this stack leaves Twilio as it is."""',
        "",
        "from pulumi_twilio_dialing import (",
        *(f"    {name}," for name in imports),
        ")",
    ]
    used: set[str] = set()
    for view in views:
        stem = _name(view, used)
        lines += ["", ""]
        if not view.is_subaccount:
            lines.append(f"# Main account {view.sid} ({_comment(view.friendly_name)}).")
            lines += _permissions_block(view, stem)
            continue
        lines += [
            f"# Subaccount {view.sid} ({_comment(view.friendly_name)}): adopted by SID, not a Subaccount resource",
            "# (which would create a new account).",
            "SubaccountInheritance(",
            f'    "{stem}-inheritance",',
            "    SubaccountInheritanceArgs(",
            f'        account_sid="{view.sid}",',
            f"        dialing_permissions_inheritance={bool(view.inherits)},",
            '        on_delete="retain",',
            "    ),",
            ")",
        ]
        if view.inherits:
            lines.append("# It inherits: its own table has no effect on its calls and is left unmanaged.")
        else:
            lines += _permissions_block(view, stem)
    return "\n".join(lines) + "\n"


def render_project(project: str, main_sid: str) -> str:
    return (
        f"name: {project}\n"
        "runtime:\n"
        "  name: python\n"
        f"description: Voice dialing permissions of {main_sid}, exported by twilio-dialing export\n"
    )
