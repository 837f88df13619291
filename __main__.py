"""The root stack, driven by stack config (the README demo runs it against the emulator).

- ``twilio-dialing:countries``: an object from ISO code to flags, e.g.
  ``{"BR": {"lowRisk": true}, "GB": {"lowRisk": true, "highRiskSpecial": false}}``; each flag defaults to
  the safe value (low-risk on, high-risk off). Default: ``{"US": {}}``.
- ``twilio-dialing:subaccountSid`` (optional): manage that subaccount instead of the configured account,
  with inheritance turned off so only the listed countries apply.
"""

import pulumi
from pulumi_twilio_dialing import (
    DialingPermissionCountry,
    DialingPermissionCountryArgs,
    SubaccountInheritance,
    SubaccountInheritanceArgs,
)

FLAG_KEYS = {
    "lowRisk": "low_risk_numbers_enabled",
    "highRiskSpecial": "high_risk_special_numbers_enabled",
    "highRiskTollfraud": "high_risk_tollfraud_numbers_enabled",
}

config = pulumi.Config()
subaccount_sid = config.get("subaccountSid")
countries = config.get_object("countries") or {"US": {}}
if not isinstance(countries, dict):
    raise pulumi.RunError("twilio-dialing:countries must be an object from ISO code to flags")

for iso_code, flags in countries.items():
    unknown = sorted(set(flags or {}) - set(FLAG_KEYS))
    if unknown:
        raise pulumi.RunError(
            f"twilio-dialing:countries.{iso_code} has unknown keys {unknown}; use {sorted(FLAG_KEYS)}"
        )
    DialingPermissionCountry(
        f"country-{iso_code}",
        DialingPermissionCountryArgs(
            iso_code=iso_code,
            account_sid=subaccount_sid,
            **{FLAG_KEYS[key]: value for key, value in (flags or {}).items()},
        ),
    )

if subaccount_sid:
    SubaccountInheritance(
        "inheritance",
        SubaccountInheritanceArgs(account_sid=subaccount_sid, dialing_permissions_inheritance=False),
    )

pulumi.export("account", subaccount_sid or "configured account")
pulumi.export("countries", sorted(countries))
