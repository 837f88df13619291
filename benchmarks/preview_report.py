"""Size and time of ``twilio-dialing preview-report`` for a change of all 225 countries.

Run: .venv/bin/python benchmarks/preview_report.py

A DialingPermissions resource is created through the real provider server (test harness) on an account
whose every country allows low-risk calls; the preview of changing ``default`` to all-off (225 countries,
one flag each) is assembled into a ``pulumi preview --json`` document, and the report is rendered from it
(Markdown and JSON), best of several runs. Figures are printed, not asserted.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from harness.digest import preview_digest  # noqa: E402
from harness.engine import Engine  # noqa: E402
from pulumi_twilio_dialing import UNCHANGED, CountryPermissionsArgs, DialingPermissions, DialingPermissionsArgs  # noqa: E402
from pulumi_twilio_dialing._preview._digest import parse_digest  # noqa: E402
from pulumi_twilio_dialing._preview._report import build_report, render_json, render_markdown  # noqa: E402
from pulumi_twilio_dialing.emulator import Emulator  # noqa: E402

RUNS = 20
GITHUB_COMMENT_LIMIT = 65536  # characters of one issue or PR comment


def digest_of(flags: dict[str, bool], before: CountryPermissionsArgs, after: CountryPermissionsArgs) -> dict:
    """The preview document of changing ``default`` from ``before`` to ``after`` on an account whose every
    country has ``flags``."""
    with Emulator() as emulator:
        main_sid = emulator.main_account.sid
        for iso in list(emulator.backend.accounts[main_sid].flags):
            emulator.backend.set_flags(main_sid, iso, **flags)
        engine = Engine(
            cwd=REPO,
            project="benchmark",
            config={
                "twilio:accountSid": main_sid,
                "twilio:authToken": emulator.main_account.auth_token,
                "twilio-dialing:apiUrl": emulator.url,
            },
            secret_keys={"twilio:authToken"},
            env={"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_DIALING_API_URL": ""},
        )
        with engine:
            engine.up(lambda: DialingPermissions("hardening", DialingPermissionsArgs(default=before)))
            return preview_digest(
                engine, lambda: DialingPermissions("hardening", DialingPermissionsArgs(default=after))
            )


def measure(digest: dict) -> None:
    text = json.dumps(digest, indent=4)
    timings: dict[str, float] = {}
    outputs: dict[str, str] = {}
    for name, render in (("markdown", render_markdown), ("json", lambda r: json.dumps(render_json(r), indent=2))):
        best = float("inf")
        for _ in range(RUNS):
            start = time.perf_counter()
            report = build_report(parse_digest(text))
            outputs[name] = render(report)  # type: ignore[operator]
            best = min(best, time.perf_counter() - start)
        timings[name] = best
    [resource] = report.resources
    print(f"preview of a change of {len({c.item for c in resource.changes})} countries ({len(resource.changes)} flags)")
    print(f"  input (pulumi preview --json): {len(text):>7,} bytes")
    for name in ("markdown", "json"):
        size = len(outputs[name])
        print(
            f"  report --format {name:<8}: {size:>7,} characters, {outputs[name].count(chr(10)):>4} lines, "
            f"{timings[name] * 1000:6.1f} ms to parse and render (best of {RUNS})"
        )
    share = len(outputs["markdown"]) / GITHUB_COMMENT_LIMIT
    print(f"  the Markdown is {share:.0%} of GitHub's {GITHUB_COMMENT_LIMIT:,}-character comment limit")


def main() -> None:
    # every country's low-risk calls turned off
    measure(
        digest_of(
            {"low_risk_numbers_enabled": True},
            CountryPermissionsArgs(UNCHANGED, False, False),
            CountryPermissionsArgs(False, False, False),
        )
    )
    # the worst case: every flag of every country turned on (675 risk-raising flags)
    measure(
        digest_of(
            {},
            CountryPermissionsArgs(False, False, False),
            CountryPermissionsArgs(True, True, True),
        )
    )


if __name__ == "__main__":
    main()
