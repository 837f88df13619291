"""The policy pack: ``pulumi preview --policy-pack DIR`` once ``twilio-dialing policy-pack DIR`` wrote it (the
policies live in twilio_dialing_policies.py, which tests import; constructing the PolicyPack serves it to the
engine and never returns)."""

from pulumi_policy import EnforcementLevel, PolicyPack
from twilio_dialing_policies import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
