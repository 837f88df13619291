"""One stack per tenant (``Pulumi.<tenant>.yaml``): a Twilio subaccount that may call only its allowed countries.

Stack config:

- ``twilio-dialing:tenantName``: the tenant, used as its subaccount's friendly name (required);
- ``twilio-dialing:allowedCountries``: ISO codes the tenant may call, low-risk numbers only
  (a list, or its JSON text; default none);
- ``twilio-dialing:subaccountSid`` (optional): adopt this existing subaccount instead of creating one.

Credentials come from ``twilio:*`` config or the ``TWILIO_*`` environment variables (see the README).
Every other country, and every high-risk range, is turned off on the tenant's subaccount.
"""

import pulumi
from pulumi_twilio_dialing import TenantDialingPolicy, TenantDialingPolicyArgs

# The namespace is explicit: `pulumi new` names the project after what the user types, and Config() would
# then read `<that name>:tenantName` instead of the keys below.
config = pulumi.Config("twilio-dialing")
tenant_name = config.require("tenantName")
allowed = config.get_object("allowedCountries") or []
if not isinstance(allowed, list) or not all(isinstance(iso, str) for iso in allowed):
    raise pulumi.RunError(
        f'twilio-dialing:allowedCountries must be a list of ISO codes such as ["BR"], got {allowed!r}'
    )
subaccount_sid = config.get("subaccountSid")

policy = TenantDialingPolicy(
    "tenant",
    TenantDialingPolicyArgs(
        friendly_name=None if subaccount_sid else tenant_name,
        subaccount_sid=subaccount_sid,
        allowed_countries=allowed,
    ),
)

pulumi.export("tenant", tenant_name)
pulumi.export("subaccountSid", policy.subaccount_sid)
pulumi.export("allowedCountries", policy.allowed_countries)
pulumi.export("summary", policy.summary)
