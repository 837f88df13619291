"""Request counts (and wall time) of the common operations, against the local emulator.

Run: .venv/bin/python benchmarks/request_counts.py

It compares hardening one account (high-risk special and toll-fraud off in every country, low-risk as
it is) the way the seed's script does it, with the unmodified ``twilio`` client, against the
DialingPermissions resource driven through the real provider server by the test harness; then counts
onboarding, refreshing and offboarding one tenant. Figures are printed, not asserted: performance
targets live here, not in timed unit tests.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from harness.engine import Engine  # noqa: E402
from pulumi_twilio_dialing import (  # noqa: E402
    UNCHANGED,
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
from pulumi_twilio_dialing._gateway import RedirectingHttpClient  # noqa: E402
from pulumi_twilio_dialing.emulator import Emulator  # noqa: E402
from pulumi_twilio_dialing.emulator._backend import Principal  # noqa: E402
from twilio.rest import Client  # noqa: E402

HARDENING = CountryPermissionsArgs(UNCHANGED, False, False)


def risky_account(emulator: Emulator) -> str:
    """The main account with every country's high-risk ranges on (the worst case to harden)."""
    main = emulator.main_account.sid
    for iso in emulator.backend.accounts[main].flags:
        emulator.backend.set_flags(
            main, iso, high_risk_special_numbers_enabled=True, high_risk_tollfraud_numbers_enabled=True
        )
    return main


def measure(emulator: Emulator, action: Callable[[], Any]) -> tuple[int, float]:
    emulator.backend.clear_request_log()
    started = time.perf_counter()
    action()
    return len(emulator.backend.request_log()), time.perf_counter() - started


def seed_script(emulator: Emulator) -> None:
    """The seed's "reduce your risk" loop: list every country, then one BulkCountryUpdates per country,
    echoing its low-risk flag and turning both high-risk flags off (the unmodified twilio client)."""
    main = emulator.main_account
    client = Client(main.sid, main.auth_token, http_client=RedirectingHttpClient(emulator.url, 30))
    permissions = client.voice.v1.dialing_permissions
    for country in permissions.countries.list():
        entry = {
            "iso_code": country.iso_code,
            "low_risk_numbers_enabled": country.low_risk_numbers_enabled,
            "high_risk_special_numbers_enabled": False,
            "high_risk_tollfraud_numbers_enabled": False,
        }
        permissions.bulk_country_updates.create(update_request=json.dumps([entry]))


def engine_for(emulator: Emulator, **config: str) -> Engine:
    main = emulator.main_account
    return Engine(
        cwd=REPO,
        project="benchmark",
        config={
            "twilio:accountSid": main.sid,
            "twilio:authToken": main.auth_token,
            "twilio-dialing:apiUrl": emulator.url,
            **config,
        },
        secret_keys={"twilio:authToken"},
        env={"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_DIALING_API_URL": ""},
    )


def lifecycles() -> list[tuple[str, int, float]]:
    """Create, no-op preview, change, refresh and destroy of each resource on its own."""
    rows: list[tuple[str, int, float]] = []
    with Emulator() as emulator:
        main_sid = emulator.main_account.sid
        sub = emulator.backend.create_subaccount(Principal(emulator.main_account), "bench").sid
        for iso in ("GB", "LV"):
            emulator.backend.set_flags(main_sid, iso, high_risk_tollfraud_numbers_enabled=True)
        programs: list[tuple[str, Callable[[bool], Callable[[], Any]]]] = [
            (
                "DialingPermissionCountry",
                lambda on: (
                    lambda: DialingPermissionCountry(
                        "gb", DialingPermissionCountryArgs(iso_code="GB", high_risk_special_numbers_enabled=on)
                    )
                ),
            ),
            (
                "SubaccountInheritance",
                lambda on: (
                    lambda: SubaccountInheritance(
                        "inheritance", SubaccountInheritanceArgs(account_sid=sub, dialing_permissions_inheritance=on)
                    )
                ),
            ),
            (
                "DialingPermissions",
                lambda on: (
                    lambda: DialingPermissions(
                        "p", DialingPermissionsArgs(default=CountryPermissionsArgs(UNCHANGED, on, False))
                    )
                ),
            ),
            ("Subaccount", lambda on: lambda: Subaccount("s", SubaccountArgs(friendly_name=f"Bench {on}"))),
        ]
        for name, program in programs:
            before, after = program(False), program(True)
            with engine_for(emulator) as engine:
                for label, action in (
                    (f"{name} create", lambda: engine.up(before)),  # noqa: B023 (run in this iteration)
                    ("  preview, unchanged", lambda: engine.preview(before)),  # noqa: B023
                    ("  update (change)", lambda: engine.up(after)),  # noqa: B023
                    ("  refresh", engine.refresh),
                    ("  destroy", engine.destroy),
                ):
                    count, seconds = measure(emulator, action)
                    rows.append((label, count, seconds))
    return rows


def main() -> None:
    rows: list[tuple[str, int, float]] = []

    with Emulator() as emulator:
        risky_account(emulator)
        count, seconds = measure(emulator, lambda: seed_script(emulator))
        rows.append(("seed script: harden one account (225 countries)", count, seconds))

    hardening = lambda: DialingPermissions("hardening", DialingPermissionsArgs(default=HARDENING))  # noqa: E731
    for chunk in ("100", "250"):
        with Emulator() as emulator:
            risky_account(emulator)
            with engine_for(emulator, **{"twilio-dialing:bulkChunkSize": chunk}) as engine:
                count, seconds = measure(emulator, lambda: engine.up(hardening))
                rows.append((f"DialingPermissions create, bulkChunkSize {chunk}", count, seconds))
                count, seconds = measure(emulator, lambda: engine.preview(hardening))
                rows.append(("  preview of the unchanged program", count, seconds))
                count, seconds = measure(emulator, engine.refresh)
                rows.append(("  refresh", count, seconds))
                count, seconds = measure(emulator, lambda: engine.up(hardening))
                rows.append(("  up again (already hardened)", count, seconds))

    with Emulator() as emulator:
        tenant = lambda: TenantDialingPolicy(  # noqa: E731
            "acme", TenantDialingPolicyArgs(friendly_name="Acme", allowed_countries=["BR"])
        )
        with engine_for(emulator) as engine:
            for label, action in (
                ("onboard one tenant (TenantDialingPolicy up)", lambda: engine.up(tenant)),
                ("  preview of the unchanged tenant", lambda: engine.preview(tenant)),
                ("  refresh one tenant", engine.refresh),
                ("  offboard one tenant (destroy)", engine.destroy),
            ):
                count, seconds = measure(emulator, action)
                rows.append((label, count, seconds))

    rows += lifecycles()

    width = max(len(label) for label, _, _ in rows)
    print(f"{'operation':<{width}}  requests  seconds")
    for label, count, seconds in rows:
        print(f"{label:<{width}}  {count:>8}  {seconds:>7.2f}")
    print(f"(seed script: {math.ceil(225 / 50)} list pages of 50 + one write per country)")


if __name__ == "__main__":
    main()
