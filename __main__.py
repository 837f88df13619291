"""The root stack. Until the dialing-permission resources exist it only proves the toolchain end to end."""

import pulumi

config = pulumi.Config("twilio-dialing")
pulumi.export("apiUrl", config.get("apiUrl") or "https://voice.twilio.com")
