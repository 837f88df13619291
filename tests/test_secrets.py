"""Secrets (auth tokens, API secrets, derived subaccount tokens) never reach Pulumi state, the pickled
provider, the provider's output or logs, or error messages."""

from __future__ import annotations

import base64
import json
import logging

import dill
import pytest
from conftest import stack_config
from harness.engine import ProviderError
from helpers import country, inheritance, make_subaccount
from pulumi.dynamic import Config, ConfigureRequest
from pulumi_twilio_dialing.dialing_permission_country import DialingPermissionCountryProvider
from pulumi_twilio_dialing.subaccount_inheritance import SubaccountInheritanceProvider


def _secrets(emulator, *extra: str) -> list[str]:
    backend = emulator.backend
    tokens = [a.auth_token for a in backend.accounts.values()]
    return [*tokens, *(k.secret for k in backend.api_keys.values()), *extra]


def _provider_blobs(engine) -> list[bytes]:
    blobs = []
    for state in engine.state.values():
        for props in (state.inputs, state.outputs):
            blobs.append(base64.b64decode(props["__provider"]))
    return blobs


def _lifecycle(engine, sub: str) -> None:
    def program(flag: bool, iso: str = "BR"):
        def run() -> None:
            inheritance(account_sid=sub, dialing_permissions_inheritance=flag)()
            country(iso_code=iso, account_sid=sub, high_risk_special_numbers_enabled=flag)()
            country("main-country", iso_code="GB")()

        return run

    engine.preview(program(False))
    engine.up(program(False))
    engine.refresh()
    engine.up(program(True))
    engine.up(program(True, "AR"))


def test_a_full_lifecycle_leaks_no_secret(twilio_emulator, stack):
    sub = make_subaccount(twilio_emulator)
    engine = stack()
    _lifecycle(engine, sub)
    exported = engine.export()
    blobs = _provider_blobs(engine)
    engine.destroy()
    output = engine.provider_output

    secrets = _secrets(twilio_emulator)
    assert len(secrets) == 2  # the main token and the subaccount's, which the provider derived
    for secret in secrets:
        assert secret not in exported
        assert secret not in output
        assert all(secret.encode() not in blob for blob in blobs)
    for blob in blobs:
        assert len(blob) < 200  # pickled by reference, carrying no state
        assert b"pulumi_twilio_dialing" in blob
        assert dill.loads(blob).__dict__ == {}  # noqa: S301 - our own blob, made by this test run


def test_api_key_credentials_leak_nothing_either(twilio_emulator, stack):
    # Twilio gives a main account's API key no subaccount token: the subaccount's own key is configured.
    key = twilio_emulator.backend.create_api_key(twilio_emulator.main_account.sid, kind="main")
    sub = make_subaccount(twilio_emulator)
    sub_key = twilio_emulator.backend.create_api_key(sub)
    config = stack_config(
        twilio_emulator,
        **{
            "twilio:authToken": None,
            "twilio:apiKey": key.sid,
            "twilio:apiSecret": key.secret,
            "twilio-dialing:subaccountCredentials": json.dumps(
                {sub: {"apiKey": sub_key.sid, "apiSecret": sub_key.secret}}
            ),
        },
    )
    engine = stack(config=config)
    _lifecycle(engine, sub)
    exported, blobs = engine.export(), _provider_blobs(engine)
    engine.destroy()
    for secret in _secrets(twilio_emulator):
        assert secret not in exported
        assert secret not in engine.provider_output
        assert all(secret.encode() not in blob for blob in blobs)
    requests = twilio_emulator.backend.request_log()
    assert {r.credential_sid for r in requests if r.account_sid == twilio_emulator.main_account.sid} == {key.sid}
    assert {r.credential_sid for r in requests if r.account_sid == sub} == {sub_key.sid}


def test_errors_leak_no_secret(twilio_emulator, stack):
    sub = make_subaccount(twilio_emulator)
    engine = stack()
    twilio_emulator.backend.accounts[sub].status = "suspended"
    with pytest.raises(ProviderError) as failed:
        engine.up(country(iso_code="BR", account_sid=sub))
    details = failed.value.details
    assert "is suspended" in details
    for secret in _secrets(twilio_emulator):
        assert secret not in details
        assert secret not in engine.provider_output


def test_in_process_lifecycle_logs_no_secret(twilio_emulator, caplog):
    """The same lifecycle called directly, with every logger (twilio's HTTP client, urllib3) at DEBUG."""
    sub = make_subaccount(twilio_emulator)
    config = Config(stack_config(twilio_emulator), "project")
    country_provider = DialingPermissionCountryProvider()
    country_provider.configure(ConfigureRequest(config))
    inheritance_provider = SubaccountInheritanceProvider()
    inheritance_provider.configure(ConfigureRequest(config))
    with caplog.at_level(logging.DEBUG):
        created = country_provider.create({"iso_code": "BR", "account_sid": sub, **_country_inputs(True)})
        country_provider.read(created.id, created.outs)
        updated = country_provider.update(created.id, created.outs, {**created.outs, **_country_inputs(False)})
        country_provider.delete(created.id, updated.outs)
        made = inheritance_provider.create({"account_sid": sub, "dialing_permissions_inheritance": False})
        inheritance_provider.delete(made.id, made.outs)
    assert "-- BEGIN Twilio API Request --" in caplog.text  # the HTTP client did log every request
    for secret in _secrets(twilio_emulator):
        assert secret not in caplog.text
        assert secret not in repr(country_provider.session)
        assert secret not in repr(created.outs) + repr(updated.outs) + repr(made.outs)


def _country_inputs(value: bool) -> dict[str, object]:
    return {
        "low_risk_numbers_enabled": True,
        "high_risk_special_numbers_enabled": value,
        "high_risk_tollfraud_numbers_enabled": False,
        "on_delete": "restore",
    }


def test_tenant_onboarding_leaks_no_secret(twilio_emulator, stack):
    from pulumi_twilio_dialing import TenantDialingPolicy, TenantDialingPolicyArgs

    engine = stack()

    def tenant() -> None:
        TenantDialingPolicy("acme", TenantDialingPolicyArgs(friendly_name="Acme", allowed_countries=["BR"]))

    engine.up(tenant)
    engine.refresh()
    exported, blobs = engine.export(), _provider_blobs(engine)
    engine.destroy()
    secrets = _secrets(twilio_emulator)
    assert len(secrets) == 2  # the main token and the new subaccount's, which the provider saw
    for secret in secrets:
        assert secret not in exported
        assert secret not in engine.provider_output
        assert all(secret.encode() not in blob for blob in blobs)
