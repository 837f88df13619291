"""Credentials and provider settings: stack config first, then the environment; subaccount credentials
derived once per process and kept in memory."""

from __future__ import annotations

import pickle

import pytest
from helpers import make_subaccount
from pulumi_twilio_dialing import ConfigurationError
from pulumi_twilio_dialing._session import ProviderSettings, Session, resolve_credentials

SID = "AC" + "1" * 32
KEY = "SK" + "2" * 32


def test_auth_token_from_config_wins_over_the_environment():
    env = {"TWILIO_ACCOUNT_SID": "AC" + "9" * 32, "TWILIO_AUTH_TOKEN": "env-token"}
    credentials = resolve_credentials({"twilio:accountSid": SID, "twilio:authToken": "cfg-token"}, env)
    assert (credentials.account_sid, credentials.username, credentials.password) == (SID, SID, "cfg-token")
    from_env = resolve_credentials({}, env)
    assert from_env.password == "env-token"


def test_api_key_credentials():
    credentials = resolve_credentials({"twilio:accountSid": SID, "twilio:apiKey": KEY, "twilio:apiSecret": "s"}, {})
    assert (credentials.account_sid, credentials.username, credentials.password) == (SID, KEY, "s")
    from_env = resolve_credentials({}, {"TWILIO_ACCOUNT_SID": SID, "TWILIO_API_KEY": KEY, "TWILIO_API_SECRET": "s"})
    assert from_env.username == KEY


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({}, "Twilio credentials are missing"),
        ({"twilio:authToken": "t"}, "set twilio:accountSid"),
        ({"twilio:accountSid": SID}, "twilio:authToken"),
        ({"twilio:accountSid": SID, "twilio:apiKey": KEY}, "twilio:apiKey is set but twilio:apiSecret is not"),
        ({"twilio:accountSid": SID, "twilio:apiKey": "key", "twilio:apiSecret": "s3cr3t"}, "not an API key SID"),
        ({"twilio:accountSid": "1234", "twilio:authToken": "s3cr3t"}, "'1234', which is not an account SID"),
    ],
)
def test_credential_errors_name_the_keys_never_the_secrets(config, fragment):
    with pytest.raises(ConfigurationError) as error:
        resolve_credentials(config, {})
    assert fragment in str(error.value)
    assert "s3cr3t" not in str(error.value)


@pytest.mark.parametrize(
    "key", ["twilio-dialing:requestTimeout", "twilio-dialing:retryBaseDelay", "twilio-dialing:retryTimeout"]
)
@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_numeric_settings_must_be_positive(key, value):
    with pytest.raises(ConfigurationError, match=f"{key} is '{value}'; set it to a positive number of seconds"):
        ProviderSettings.from_config({key: value}, {})


def test_settings_defaults_and_overrides():
    settings = ProviderSettings.from_config({"twilio-dialing:retryTimeout": "5"}, {})
    assert settings.request_timeout == 30
    assert settings.retry.timeout == 5
    assert settings.api_url is None


def test_subaccount_credentials_are_derived_once_and_never_pickled(twilio_emulator):
    from conftest import stack_config

    sub = make_subaccount(twilio_emulator)
    session = Session(stack_config(twilio_emulator), {})
    twilio_emulator.backend.clear_request_log()
    first = session.gateway(sub)
    assert session.gateway(sub) is first
    assert first.credentials.account_sid == sub
    assert [(r.method, r.path) for r in twilio_emulator.backend.request_log()] == [
        ("GET", f"/2010-04-01/Accounts/{sub}.json")
    ]
    assert session.gateway(None) is session.main
    assert session.gateway(twilio_emulator.main_account.sid) is session.main
    with pytest.raises(TypeError, match="must never be pickled"):
        pickle.dumps(session)
    assert twilio_emulator.main_account.auth_token not in repr(session)
