"""Reduce your risk: turn off high-risk special services and toll-fraud ranges in every country of the
account, leaving low-risk calling as it is. One resource instead of a script that loops over ~218
countries; `pulumi preview` lists, per country, what it would change."""

import pulumi
from pulumi_twilio_dialing import UNCHANGED, CountryPermissionsArgs, DialingPermissions, DialingPermissionsArgs

hardening = DialingPermissions(
    "hardening",
    DialingPermissionsArgs(
        default=CountryPermissionsArgs(
            low_risk_numbers_enabled=UNCHANGED,
            high_risk_special_numbers_enabled=False,
            high_risk_tollfraud_numbers_enabled=False,
        ),
    ),
)

pulumi.export(
    "lowRiskCountries",
    hardening.permissions.apply(
        lambda table: sorted(iso for iso, flags in table.items() if flags["low_risk_numbers_enabled"])
    ),
)
