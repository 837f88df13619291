"""Iterate through all your subaccounts: every active subaccount of the configured main account gets
high-risk special and toll-fraud ranges off in every country (low-risk left as it is), with the main
account's credentials only (the provider derives each subaccount's, in memory).

The list of subaccounts is read when the program runs (one request); a subaccount created later is
hardened by the next `pulumi up`."""

import pulumi
from pulumi_twilio_dialing import (
    UNCHANGED,
    CountryPermissionsArgs,
    DialingPermissions,
    DialingPermissionsArgs,
    get_subaccounts,
)

HARDENING = CountryPermissionsArgs(UNCHANGED, False, False)

subaccounts = get_subaccounts(status="active")
for account in subaccounts:
    DialingPermissions(
        f"hardening-{account.sid}",
        DialingPermissionsArgs(account_sid=account.sid, default=HARDENING),
    )

pulumi.export("hardenedSubaccounts", sorted(a.sid for a in subaccounts))
