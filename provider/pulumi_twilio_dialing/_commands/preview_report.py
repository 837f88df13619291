"""``twilio-dialing preview-report``: what a ``pulumi preview --json`` changes on Twilio, for a pull request."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["EXIT_RISK", "register"]

EXIT_RISK = 3
"""Exit code with ``--fail-on-risk`` when a change raises risk (0 and 1 are taken by success and errors)."""
EXIT_BAD_INPUT = 2


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "preview-report",
        help="summarise a `pulumi preview --json` document per account, country and flag (Markdown or JSON)",
        description=(
            "Read the output of `pulumi preview --json` and print, per stack, account and country, each flag "
            "old -> new, risk-raising changes first. Makes no request to Twilio and never prints a secret."
        ),
    )
    parser.add_argument(
        "preview_json", metavar="PREVIEW_JSON", help="file written by `pulumi preview --json`; - for stdin"
    )
    parser.add_argument(
        "--format", choices=("markdown", "json"), default="markdown", help="output format (default markdown)"
    )
    parser.add_argument(
        "--fail-on-risk",
        action="store_true",
        help=f"exit with {EXIT_RISK} when a change raises risk (high-risk range on, inheritance on, subaccount closed)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .._preview._digest import DigestError, parse_digest
    from .._preview._report import build_report, render_json, render_markdown

    try:
        if args.preview_json == "-":
            text = sys.stdin.read()
        else:
            with open(args.preview_json, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as error:
        print(f"preview-report: cannot read {args.preview_json}: {error.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        report = build_report(parse_digest(text))
    except DigestError as error:
        print(f"preview-report: {args.preview_json}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(json.dumps(render_json(report), indent=2))
    else:
        print(render_markdown(report), end="")
    return EXIT_RISK if args.fail_on_risk and report.risks else 0
