"""New sign-up: the customer's subaccount may call its sign-up country's low-risk numbers, nothing
high-risk there, and no longer inherits the parent's permissions, so its own table applies from now on."""

import pulumi
from pulumi_twilio_dialing import (
    DialingPermissionCountry,
    DialingPermissionCountryArgs,
    SubaccountInheritance,
    SubaccountInheritanceArgs,
)

config = pulumi.Config()
subaccount_sid = config.require("subaccountSid")
signup_country = config.get("signupCountry") or "BR"

inheritance = SubaccountInheritance(
    "inheritance",
    SubaccountInheritanceArgs(account_sid=subaccount_sid, dialing_permissions_inheritance=False),
)
signup = DialingPermissionCountry(
    "signup-country",
    DialingPermissionCountryArgs(
        iso_code=signup_country,
        account_sid=subaccount_sid,
        low_risk_numbers_enabled=True,
        high_risk_special_numbers_enabled=False,
        high_risk_tollfraud_numbers_enabled=False,
    ),
)

pulumi.export("subaccountSid", inheritance.account_sid)
pulumi.export("allowedCountry", signup.name)
