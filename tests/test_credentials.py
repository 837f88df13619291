"""Credentials as Twilio really issues them (issue 8): per-subaccount credentials for API-key parents, where a
credential came from in every refusal, rotation through config and the environment, and bounded failures
against a host that does not answer. Driven through the real provider server."""

from __future__ import annotations

import base64
import json
import socket
import time

import dill
import pytest
from conftest import HERMETIC_ENV, stack_config
from harness.engine import ProviderError
from helpers import country, inheritance, make_subaccount
from pulumi_twilio_dialing import (
    UNCHANGED,
    AuthenticationError,
    CountryPermissionsArgs,
    DialingPermissions,
    DialingPermissionsArgs,
    Subaccount,
    SubaccountArgs,
)
from pulumi_twilio_dialing._session import Session
from pulumi_twilio_dialing.emulator import Fault, Flags

SUBACCOUNT_CREDENTIALS = "twilio-dialing:subaccountCredentials"


def _api_key_parent(emulator, **extra: str | None) -> dict[str, str]:
    key = emulator.backend.create_api_key(emulator.main_account.sid, kind="main")
    return stack_config(
        emulator, **{"twilio:authToken": None, "twilio:apiKey": key.sid, "twilio:apiSecret": key.secret, **extra}
    )


def _secrets(emulator) -> list[str]:
    backend = emulator.backend
    return [a.auth_token for a in backend.accounts.values()] + [k.secret for k in backend.api_keys.values()]


def _blobs(engine) -> list[bytes]:
    return [
        base64.b64decode(props["__provider"])
        for state in engine.state.values()
        for props in (state.inputs, state.outputs)
    ]


def _assert_nothing_leaks(engine, emulator, *texts: str) -> None:
    exported, blobs = engine.export(), _blobs(engine)
    for secret in _secrets(emulator):
        assert secret not in exported
        assert secret not in engine.provider_output
        assert all(secret not in text for text in texts)
        assert all(secret.encode() not in blob for blob in blobs)
    for blob in blobs:
        assert dill.loads(blob).__dict__ == {}  # noqa: S301 - our own blob, made by this test run


def _fails(action) -> str:
    with pytest.raises(ProviderError) as failed:
        action()
    return failed.value.details


# ------------------------------------------------------------------------------ API-key parents
@pytest.mark.parametrize("entry_kind", ["apiKey", "authToken"])
def test_an_api_key_parent_manages_a_subaccount_with_its_configured_credentials(twilio_emulator, stack, entry_kind):
    backend = twilio_emulator.backend
    sub = make_subaccount(twilio_emulator)
    sub_key = backend.create_api_key(sub)
    entry = (
        {"apiKey": sub_key.sid, "apiSecret": sub_key.secret}
        if entry_kind == "apiKey"
        else {"authToken": backend.accounts[sub].auth_token}
    )
    engine = stack(config=_api_key_parent(twilio_emulator, **{SUBACCOUNT_CREDENTIALS: json.dumps({sub: entry})}))

    def program(flag: bool):
        def run() -> None:
            inheritance(account_sid=sub, dialing_permissions_inheritance=False)()
            country(iso_code="BR", account_sid=sub, high_risk_special_numbers_enabled=flag)()

        return run

    engine.preview(program(True))
    engine.up(program(True))
    assert backend.stored_flags(sub, "BR").high_risk_special_numbers_enabled
    assert backend.accounts[sub].inheritance is False
    engine.refresh()
    engine.up(program(False))
    exported_before_destroy = engine.export()
    engine.destroy()
    expected = sub_key.sid if entry_kind == "apiKey" else sub
    assert {r.credential_sid for r in backend.request_log() if r.account_sid == sub} == {expected}
    assert not [r for r in backend.request_log() if r.path == f"/2010-04-01/Accounts/{sub}.json"]  # no derivation
    _assert_nothing_leaks(engine, twilio_emulator, exported_before_destroy)


def test_an_api_key_parent_without_an_entry_gets_both_ways_out_before_any_request(twilio_emulator, stack):
    sub = make_subaccount(twilio_emulator)
    engine = stack(config=_api_key_parent(twilio_emulator))
    twilio_emulator.backend.clear_request_log()
    details = _fails(lambda: engine.up(country(iso_code="BR", account_sid=sub)))
    assert f"subaccount {sub} has no credentials" in details
    assert (
        f"""twilio-dialing:subaccountCredentials '{{"{sub}": {{"apiKey": "SK...", "apiSecret": "..."}}}}'""" in details
    )
    assert "TWILIO_DIALING_SUBACCOUNT_CREDENTIALS" in details
    assert "the parent's auth token (twilio:authToken) instead of its API key" in details
    assert not [r for r in twilio_emulator.backend.request_log() if r.account_sid == sub]
    assert engine.state == {} or "country" not in engine.state
    _assert_nothing_leaks(engine, twilio_emulator, details)


def test_an_api_key_parent_creates_subaccounts(twilio_emulator, stack):
    engine = stack(config=_api_key_parent(twilio_emulator))
    engine.up(lambda: Subaccount("tenant", SubaccountArgs(friendly_name="Tenant by key")))
    sid = engine.state["tenant"].outputs["sid"]
    assert twilio_emulator.backend.accounts[sid].friendly_name == "Tenant by key"
    engine.refresh()
    _assert_nothing_leaks(engine, twilio_emulator)
    engine.destroy()
    assert twilio_emulator.backend.accounts[sid].status == "closed"


def test_the_subaccount_credentials_may_come_from_the_environment(twilio_emulator, make_engine):
    sub = make_subaccount(twilio_emulator)
    sub_key = twilio_emulator.backend.create_api_key(sub)
    env = {
        **HERMETIC_ENV,
        "TWILIO_DIALING_SUBACCOUNT_CREDENTIALS": json.dumps(
            {sub: {"apiKey": sub_key.sid, "apiSecret": sub_key.secret}}
        ),
    }
    engine = make_engine(config=_api_key_parent(twilio_emulator), secret_keys={"twilio:apiSecret"}, env=env)
    engine.up(country(iso_code="BR", account_sid=sub))
    assert twilio_emulator.backend.stored_flags(sub, "BR").low_risk_numbers_enabled
    engine.destroy()
    _assert_nothing_leaks(engine, twilio_emulator)


def test_a_malformed_credentials_map_names_the_key_and_the_sid_never_a_secret(twilio_emulator, stack):
    sub = make_subaccount(twilio_emulator)
    token = twilio_emulator.backend.accounts[sub].auth_token
    broken = json.dumps({sub: {"authToken": token, "apiSecret": token}})
    engine = stack(config=_api_key_parent(twilio_emulator, **{SUBACCOUNT_CREDENTIALS: broken}))
    details = _fails(lambda: engine.up(country(iso_code="BR", account_sid=sub)))
    assert f"twilio-dialing:subaccountCredentials: the entry for {sub} has apiSecret, authToken" in details
    not_json = json.dumps({sub: {"authToken": token}})[:-1]
    engine.config[SUBACCOUNT_CREDENTIALS] = not_json
    details += _fails(lambda: engine.up(country(iso_code="BR", account_sid=sub)))
    assert "twilio-dialing:subaccountCredentials is not valid JSON (line 1, column" in details
    _assert_nothing_leaks(engine, twilio_emulator, details)


# ------------------------------------------------------------------------------ refusals that tell the truth
def test_a_rotated_token_in_the_environment_does_not_beat_stack_config(twilio_emulator, make_engine):
    """Stack config wins over the environment (documented): the refusal says which key to update."""
    main = twilio_emulator.main_account
    old = main.auth_token
    engine = make_engine(
        config=stack_config(twilio_emulator),
        secret_keys={"twilio:authToken"},
        env={**HERMETIC_ENV, "TWILIO_AUTH_TOKEN": "a-new-token-in-the-environment-0001"},
    )
    engine.up(country(iso_code="BR"))
    rotated = "a-new-token-in-the-environment-0001"
    twilio_emulator.backend.accounts[main.sid].auth_token = rotated
    details = _fails(lambda: engine.up(country(iso_code="BR", high_risk_special_numbers_enabled=True)))
    assert f"Twilio refused the credentials of account {main.sid}, taken from stack config twilio:authToken" in details
    assert "Stack config wins over the environment" in details
    assert "AuthenticationError" in details and "PartialWriteError" not in details
    assert old not in details and rotated not in details
    engine.config["twilio:authToken"] = rotated  # the documented rotation: pulumi config set --secret ...
    engine.up(country(iso_code="BR", high_risk_special_numbers_enabled=True))
    engine.destroy()
    assert twilio_emulator.backend.stored_flags(main.sid, "BR") == Flags(low_risk_numbers_enabled=False)


def test_a_token_from_the_environment_rotates_by_exporting_the_new_one(twilio_emulator, make_engine):
    main = twilio_emulator.main_account
    config = stack_config(twilio_emulator, **{"twilio:authToken": None})
    env = {**HERMETIC_ENV, "TWILIO_AUTH_TOKEN": main.auth_token}
    engine = make_engine(config=config, secret_keys=set(), env=env)
    engine.up(country(iso_code="BR"))
    rotated = "rotated-token-for-the-environment-02"
    twilio_emulator.backend.accounts[main.sid].auth_token = rotated
    details = _fails(engine.destroy)
    assert "taken from environment variable TWILIO_AUTH_TOKEN" in details
    assert "export the current value and run again" in details
    engine.env["TWILIO_AUTH_TOKEN"] = rotated  # a new command reads the environment afresh
    engine.destroy()
    assert engine.state == {} or not list(engine.state.values())


@pytest.mark.parametrize("operation", ["create", "delete"])
def test_a_401_on_a_write_is_a_refusal_not_a_partial_write(twilio_emulator, stack, operation):
    """A 401 during destroy used to surface as a misleading PartialWriteError; a refused request changed
    nothing, so nothing is put back and Twilio keeps what it had."""
    backend = twilio_emulator.backend
    main_sid = twilio_emulator.main_account.sid
    engine = stack(config=stack_config(twilio_emulator, **{"twilio-dialing:bulkChunkSize": "1"}))
    program = country(iso_code="BR", high_risk_special_numbers_enabled=True)
    if operation == "delete":
        engine.up(program)
    before = backend.stored_flags(main_sid, "BR")
    backend.clear_request_log()
    backend.faults.add(Fault("echo_credentials", count=1, status=401, method="POST"))
    details = _fails(lambda: engine.up(program) if operation == "create" else engine.destroy())
    assert "AuthenticationError" in details
    assert "PartialWriteError" not in details and "BulkCountryUpdates request 1 of" not in details
    assert "could not be put back" not in details
    assert f"Twilio refused the credentials of account {main_sid}, taken from stack config twilio:authToken" in details
    assert backend.stored_flags(main_sid, "BR") == before
    posts = [r for r in backend.request_log() if r.method == "POST"]
    assert len(posts) == 1  # the refused write, not retried, nothing to put back
    _assert_nothing_leaks(engine, twilio_emulator, details)


def test_a_derived_token_refused_says_it_was_derived_from_the_parent(twilio_emulator):
    sub = make_subaccount(twilio_emulator)
    session = Session(stack_config(twilio_emulator), {})
    gateway = session.gateway(sub)
    twilio_emulator.backend.accounts[sub].auth_token = "rotated-subaccount-token-0003"
    with pytest.raises(AuthenticationError) as refused:
        gateway.fetch_dialing_permissions_inheritance()
    message = str(refused.value)
    main_sid = twilio_emulator.main_account.sid
    assert f"Twilio refused the credentials of account {sub}, taken from the subaccount's auth token" in message
    assert f"as Twilio returned it to its parent {main_sid} (stack config twilio:authToken)" in message


# ------------------------------------------------------------------------------ a host that does not answer
def test_a_dead_api_url_fails_within_one_budget_across_check_and_create(twilio_emulator, stack):
    """A bulk up against a dead port used to take 112 s (check and create each retried the whole budget) and
    named neither the host nor the setting."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = stack_config(
        twilio_emulator, **{"twilio-dialing:apiUrl": f"http://127.0.0.1:{port}", "twilio-dialing:retryTimeout": "2"}
    )
    engine = stack(config=config)

    def hardening() -> None:
        DialingPermissions(
            "permissions", DialingPermissionsArgs(default=CountryPermissionsArgs(UNCHANGED, False, False))
        )

    engine.server  # noqa: B018 - start the provider first: its start-up is not the provider's time
    started = time.perf_counter()
    details = _fails(lambda: engine.up(hardening))
    elapsed = time.perf_counter() - started
    assert elapsed < 2 + 1.5, elapsed  # one budget (2 s), not one per provider call
    assert f"127.0.0.1:{port} refused the connection" in details or f"not sent: 127.0.0.1:{port}" in details
    assert f"twilio-dialing:apiUrl is http://127.0.0.1:{port}" in details
    assert "gave up after" in details + engine.provider_output or "not sent" in details
