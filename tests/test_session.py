"""Credentials and provider settings: stack config first, then the environment; subaccount credentials
derived once per process and kept in memory."""

from __future__ import annotations

import base64
import json
import pickle

import pytest
from helpers import make_subaccount
from pulumi_twilio_dialing import ConfigurationError, Credentials
from pulumi_twilio_dialing._config import (
    ACCOUNT_SID_PATTERN,
    ProviderSettings,
    resolve_credentials,
    resolve_subaccount_credentials,
    shown,
)
from pulumi_twilio_dialing._redact import scrub
from pulumi_twilio_dialing._session import SESSION_KEYS, Session
from pydantic import SecretStr

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
    ("key", "described"),
    [
        ("twilio-dialing:requestTimeout", "a number from 0.1 to 600 seconds (default 30)"),
        ("twilio-dialing:retryBaseDelay", "a number from 0.01 to 8 seconds (default 0.5)"),
        ("twilio-dialing:retryTimeout", "a number above 0 and up to 3600 seconds (default 60)"),
        (
            "twilio-dialing:bulkChunkSize",
            "a whole number from 1 to 1000 countries per BulkCountryUpdates request (default 100)",
        ),
    ],
)
@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "NaN", "inf", "-inf", "1e308", "1e999", "99999", "true"])
def test_numeric_settings_are_finite_and_in_range(key, described, value):
    """nan used to crash, inf to overflow, and retryTimeout=nan to retry forever."""
    with pytest.raises(ConfigurationError) as bad:
        ProviderSettings.from_config({key: value}, {})
    assert str(bad.value) == f"{key} is {value!r}; set it to {described}"


@pytest.mark.parametrize("key", ["twilio-dialing:retryTimeout", "twilio-dialing:bulkChunkSize"])
def test_long_values_are_cut_in_messages(key):
    with pytest.raises(ConfigurationError) as bad:
        ProviderSettings.from_config({key: "9" * 100_000}, {})
    assert len(str(bad.value)) < 250
    assert "'" + "9" * 59 + "…" in str(bad.value)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("twilio-dialing:requestTimeout", "0.1", 0.1),
        ("twilio-dialing:requestTimeout", "600", 600),
        ("twilio-dialing:retryBaseDelay", "0.01", 0.01),
        ("twilio-dialing:retryBaseDelay", "8", 8),
        ("twilio-dialing:retryTimeout", "0.001", 0.001),
        ("twilio-dialing:retryTimeout", "3600", 3600),
        ("twilio-dialing:bulkChunkSize", "1", 1),
        ("twilio-dialing:bulkChunkSize", " 1000 ", 1000),
    ],
)
def test_numeric_settings_accept_their_whole_range(key, value, expected):
    settings = ProviderSettings.from_config({key: value}, {})
    found = {
        "twilio-dialing:requestTimeout": settings.request_timeout,
        "twilio-dialing:retryBaseDelay": settings.retry.base_delay,
        "twilio-dialing:retryTimeout": settings.retry.timeout,
        "twilio-dialing:bulkChunkSize": settings.bulk_chunk_size,
    }[key]
    assert found == expected


def test_bulk_chunk_size_must_be_whole():
    for value in ("1.5", "1e3", "0x10"):
        with pytest.raises(ConfigurationError, match="twilio-dialing:bulkChunkSize is"):
            ProviderSettings.from_config({"twilio-dialing:bulkChunkSize": value}, {})


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"twilio:accountSid": SID + "\n", "twilio:authToken": "s3cr3t"}, "not an account SID"),
        ({"twilio:accountSid": " " + SID, "twilio:authToken": "s3cr3t"}, "not an account SID"),
        ({"twilio:accountSid": SID, "twilio:apiKey": KEY + "\n", "twilio:apiSecret": "s3cr3t"}, "not an API key"),
        ({"twilio:accountSid": "AC" + "1" * 100_000, "twilio:authToken": "s3cr3t"}, "1111…"),
    ],
)
def test_sids_must_match_in_full_and_are_shown_cut(config, fragment):
    """A trailing newline used to pass (regex $) and reach Twilio."""
    with pytest.raises(ConfigurationError) as bad:
        resolve_credentials(config, {})
    assert fragment in str(bad.value)
    assert len(str(bad.value)) < 400 and "s3cr3t" not in str(bad.value)


def test_the_account_sid_pattern_refuses_a_trailing_newline_even_with_match():
    # _provider validates resource inputs with .match: the pattern itself must end at the end.
    assert ACCOUNT_SID_PATTERN.match(SID)
    assert not ACCOUNT_SID_PATTERN.match(SID + "\n")


def test_credentials_say_where_they_came_from():
    env = {"TWILIO_AUTH_TOKEN": "env-token", "TWILIO_API_SECRET": "env-secret"}
    assert resolve_credentials({"twilio:accountSid": SID, "twilio:authToken": "t"}, env).source == (
        "stack config twilio:authToken"
    )
    assert resolve_credentials({"twilio:accountSid": SID}, env).source == "environment variable TWILIO_AUTH_TOKEN"
    keyed = resolve_credentials({"twilio:accountSid": SID, "twilio:apiKey": KEY, "twilio:apiSecret": "s"}, {})
    assert keyed.source == "stack config twilio:apiKey and twilio:apiSecret"
    mixed = resolve_credentials({"twilio:accountSid": SID, "twilio:apiKey": KEY}, {"TWILIO_API_SECRET": "s"})
    assert mixed.source == "environment variable TWILIO_API_SECRET (the key SID from stack config twilio:apiKey)"


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


# ------------------------------------------------------------------------------ subaccount credentials
SUB = "AC" + "3" * 32
SUB_KEY = "SK" + "4" * 32
SECRET = "s3cr3t-value-never-shown"


def _credentials(value: object, *, env: bool = False) -> dict[str, object]:
    raw = value if isinstance(value, str) else json.dumps(value)
    if env:
        return resolve_subaccount_credentials({}, {"TWILIO_DIALING_SUBACCOUNT_CREDENTIALS": raw})
    return resolve_subaccount_credentials({"twilio-dialing:subaccountCredentials": raw}, {})


def test_subaccount_credentials_from_config_or_environment():
    other = "AC" + "5" * 32
    found = _credentials({SUB: {"apiKey": SUB_KEY, "apiSecret": SECRET}, other: {"authToken": SECRET + "2"}})
    assert (found[SUB].account_sid, found[SUB].username, found[SUB].password) == (SUB, SUB_KEY, SECRET)
    assert found[SUB].source == f"the {SUB} entry of stack config twilio-dialing:subaccountCredentials"
    assert (found[other].username, found[other].password) == (other, SECRET + "2")
    from_env = _credentials({SUB: {"authToken": SECRET}}, env=True)
    assert from_env[SUB].source == f"the {SUB} entry of environment variable TWILIO_DIALING_SUBACCOUNT_CREDENTIALS"
    # structured config (a dict rather than JSON text) works too
    assert resolve_subaccount_credentials({"twilio-dialing:subaccountCredentials": {SUB: {"authToken": SECRET}}}, {})
    assert resolve_subaccount_credentials({}, {}) == {}
    # config wins over the environment, as for every other setting
    both = resolve_subaccount_credentials(
        {"twilio-dialing:subaccountCredentials": json.dumps({SUB: {"authToken": SECRET}})},
        {"TWILIO_DIALING_SUBACCOUNT_CREDENTIALS": json.dumps({SUB: {"authToken": "other-token-value"}})},
    )
    assert both[SUB].password == SECRET


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ('{"' + SUB + '": {"authToken": "' + SECRET + '"', ["is not valid JSON (line 1, column", "pulumi config set"]),
        ("[]", ["must be a JSON object mapping subaccount SIDs", "not a JSON list"]),
        ({SUB + "\n": {"authToken": SECRET}}, ["'" + SUB + "\\n' is not a subaccount SID"]),
        ({"AC" + "1" * 5000: {"authToken": SECRET}}, ["'AC111", "… is not a subaccount SID"]),
        ({SUB: SECRET}, [f"the entry for {SUB} must be an object"]),
        ({SUB: {"authToken": SECRET, "apikey": SUB_KEY}}, [f"the entry for {SUB} has unknown field(s) 'apikey'"]),
        ({SUB: {"authToken": SECRET, "apiKey": SUB_KEY, "apiSecret": SECRET}}, ["give either apiKey with apiSecret"]),
        ({SUB: {"apiKey": SUB_KEY}}, [f"the entry for {SUB} has apiKey; give either"]),
        ({SUB: {}}, ["has no fields"]),
        ({SUB: {"authToken": ""}}, [f"in the entry for {SUB}, authToken must be a non-empty string"]),
        ({SUB: {"apiKey": SUB_KEY, "apiSecret": 12345678}}, ["apiSecret must be a non-empty string"]),
        ({SUB: {"apiKey": SUB_KEY + "\n", "apiSecret": SECRET}}, ["apiKey is", "which is not an API key SID"]),
    ],
)
@pytest.mark.parametrize("env", [False, True])
def test_bad_subaccount_credentials_name_the_setting_and_the_sid_never_the_secret(value, fragments, env):
    with pytest.raises(ConfigurationError) as bad:
        _credentials(value, env=env)
    message = str(bad.value)
    setting = "TWILIO_DIALING_SUBACCOUNT_CREDENTIALS" if env else "twilio-dialing:subaccountCredentials"
    assert message.startswith(setting)
    for fragment in fragments:
        assert fragment in message
    assert SECRET not in message
    assert len(message) < 600


def test_every_secret_of_the_map_is_registered_even_next_to_a_mistake():
    first, second = "first-secret-" + "a" * 20, "second-secret-" + "b" * 20
    with pytest.raises(ConfigurationError):
        _credentials({SUB: {"apiKey": SUB_KEY, "apiSecret": first}, "AC" + "6" * 32: {"authToken": second}, "x": {}})
    assert scrub(f"<{first}> <{second}>") == "<[redacted]> <[redacted]>"
    basic = base64.b64encode(f"{SUB_KEY}:{first}".encode()).decode()
    assert scrub(f"Authorization: Basic {basic}") == "Authorization: [redacted]"


def test_the_session_key_includes_the_subaccount_credentials():
    assert "twilio-dialing:subaccountCredentials" in SESSION_KEYS
    one = Session.shared({"twilio-dialing:subaccountCredentials": json.dumps({SUB: {"authToken": SECRET}})})
    two = Session.shared({"twilio-dialing:subaccountCredentials": json.dumps({SUB: {"authToken": SECRET + "x"}})})
    assert one is not two
    structured = {"twilio-dialing:subaccountCredentials": {SUB: {"authToken": SECRET}}}  # a dict: hashable too
    assert Session.shared(structured) is Session.shared(dict(structured))


def test_a_session_is_shared_only_between_equal_values_of_every_setting_it_reads():
    # ProviderSettings reads these; a shared session built from other values would use the wrong ones.
    settings = {
        "twilio-dialing:apiUrl": "http://127.0.0.1:9",
        "twilio-dialing:requestTimeout": 5,
        "twilio-dialing:retryBaseDelay": 0.25,
        "twilio-dialing:retryTimeout": 7,
        "twilio-dialing:bulkChunkSize": 50,
    }
    assert set(settings) <= set(SESSION_KEYS)
    base = Session.shared({})
    for key, value in settings.items():
        session = Session.shared({key: value})
        assert session is not base and session.settings != base.settings, key
        assert session is Session.shared({key: value}), key


def _api_key_parent(emulator) -> dict[str, str | None]:
    from conftest import stack_config

    key = emulator.backend.create_api_key(emulator.main_account.sid, kind="main")
    return stack_config(
        emulator, **{"twilio:authToken": None, "twilio:apiKey": key.sid, "twilio:apiSecret": key.secret}
    )


def test_configured_subaccount_credentials_are_used_before_any_derivation(twilio_emulator):
    from conftest import stack_config

    sub = make_subaccount(twilio_emulator)
    key = twilio_emulator.backend.create_api_key(sub)
    entry = json.dumps({sub: {"apiKey": key.sid, "apiSecret": key.secret}})
    for config in (_api_key_parent(twilio_emulator), stack_config(twilio_emulator)):  # key or token parent
        session = Session({**config, "twilio-dialing:subaccountCredentials": entry}, {})
        twilio_emulator.backend.clear_request_log()
        gateway = session.gateway(sub)
        assert twilio_emulator.backend.request_log() == []  # nothing derived
        assert (gateway.credentials.username, gateway.credentials.account_sid) == (key.sid, sub)
        assert gateway.update_dialing_permissions_inheritance(False) is False
        assert [(r.account_sid, r.credential_sid) for r in twilio_emulator.backend.request_log()] == [(sub, key.sid)]
        # a subaccount just read by the parent does not displace the configured credentials
        session.remember(session.main.fetch_account(sub))
        assert session.gateway(sub) is gateway


def test_an_api_key_parent_without_an_entry_is_told_both_ways_out(twilio_emulator):
    sub = make_subaccount(twilio_emulator)
    session = Session(_api_key_parent(twilio_emulator), {})
    twilio_emulator.backend.clear_request_log()
    with pytest.raises(ConfigurationError) as refused:
        session.gateway(sub)
    message = str(refused.value)
    assert f"subaccount {sub} has no credentials" in message
    assert "stack config twilio:apiKey and twilio:apiSecret" in message
    assert f"""pulumi config set --secret twilio-dialing:subaccountCredentials '{{"{sub}": {{"apiKey": """ in message
    assert "TWILIO_DIALING_SUBACCOUNT_CREDENTIALS" in message
    assert "the parent's auth token (twilio:authToken)" in message
    assert twilio_emulator.backend.request_log() == []  # refused before asking Twilio anything
    # the parent itself works, and may create subaccounts (Twilio gives the key no token: nothing remembered)
    created = session.main.create_subaccount("by key")
    assert created.auth_token is None
    session.remember(session.main.fetch_account(created.sid))
    with pytest.raises(ConfigurationError, match=f"subaccount {created.sid} has no credentials"):
        session.gateway(created.sid)


def test_an_empty_token_from_twilio_is_never_used(twilio_emulator):
    from conftest import stack_config

    sub = make_subaccount(twilio_emulator)
    session = Session(stack_config(twilio_emulator), {})
    main = session.main
    real = main.fetch_account(sub)
    main.fetch_account = lambda sid: real.model_copy(update={"auth_token": SecretStr("")})  # type: ignore[method-assign]
    with pytest.raises(ConfigurationError, match=f"Twilio did not return the auth token of subaccount {sub}"):
        session.gateway(sub)
    session.remember(real.model_copy(update={"auth_token": SecretStr("")}))
    assert sub not in session._gateways
    with pytest.raises(ValueError, match="empty secret"):
        Credentials.auth_token(sub, "")


def test_an_entry_for_the_configured_account_itself_is_refused(twilio_emulator):
    from conftest import stack_config

    sub = make_subaccount(twilio_emulator)
    main_sid = twilio_emulator.main_account.sid
    entry = json.dumps({main_sid: {"authToken": SECRET}})
    session = Session({**stack_config(twilio_emulator), "twilio-dialing:subaccountCredentials": entry}, {})
    assert session.gateway(None) is session.main  # the main account never needs the map
    with pytest.raises(ConfigurationError, match=f"has an entry for {main_sid}, the configured account itself"):
        session.gateway(sub)


@pytest.mark.parametrize(
    ("value", "setting", "program_input"),
    [
        ("GB", "'GB'", "'GB'"),
        (None, "None", "null"),  # an input's None is the program's null
        (1.0, "1.0", "1"),  # the wire makes every number a float: show the 1 the program wrote
        ("9" * 100, "'" + "9" * 59 + "…", "'" + "9" * 60 + "'… (100 characters)"),
        (["GB"] * 20, repr(["GB"] * 20)[:60] + "…", repr(["GB"] * 20)),  # inputs: cut past twice the limit
        (["GB"] * 30, repr(["GB"] * 30)[:60] + "…", repr(["GB"] * 30)[:60] + "… (180 characters)"),
    ],
)
def test_one_helper_shows_settings_and_program_inputs_short(value, setting, program_input):
    assert (shown(value), shown(value, as_input=True)) == (setting, program_input)
