"""Many tenants from one YAML file in one stack: one TenantDialingPolicy per entry."""

from pathlib import Path

import pulumi
import yaml
from pulumi_twilio_dialing import TenantDialingPolicy, TenantDialingPolicyArgs

config = pulumi.Config()
source = Path(__file__).parent / (config.get("file") or "tenants.yaml")
document = yaml.safe_load(source.read_text())

summaries = {}
for entry in document.get("tenants", []):
    unknown = sorted(set(entry) - {"key", "name", "subaccount_sid", "allowed_countries"})
    if unknown:
        raise pulumi.RunError(f"{source.name}: tenant {entry.get('key')!r} has unknown keys {unknown}")
    policy = TenantDialingPolicy(
        entry["key"],
        TenantDialingPolicyArgs(
            friendly_name=entry.get("name") if not entry.get("subaccount_sid") else None,
            subaccount_sid=entry.get("subaccount_sid"),
            allowed_countries=entry.get("allowed_countries", []),
        ),
    )
    summaries[entry["key"]] = policy.summary

pulumi.export("tenants", summaries)
