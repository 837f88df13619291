"""Credentials never leave the process in text: whatever Twilio or a proxy echoes (the request's
``Authorization`` header, its form body), no exception message, diagnostic line or log line carries an auth
token, an API secret or their HTTP Basic forms.

Three levels: ``_redact`` itself; the gateway against the emulator's ``echo_credentials`` fault; and the real
provider server, where ``ProviderError.details`` is the traceback the user would see, ``provider_output``
the diagnostics, and ``export()`` the stack state.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import threading
import traceback
from urllib.parse import quote, quote_plus

import pytest
from conftest import stack_config
from harness.engine import ProviderError
from helpers import country, inheritance, make_subaccount
from pulumi_twilio_dialing import (
    UNCHANGED,
    AuthenticationError,
    CountryPermissionsArgs,
    Credentials,
    DialingPermissions,
    DialingPermissionsArgs,
    Gateway,
    NotFoundError,
    PartialWriteError,
    TwilioApiError,
)
from pulumi_twilio_dialing._gateway import RetryPolicy, _error_from_body
from pulumi_twilio_dialing._redact import register_secret, say, scrub, scrub_exception
from pulumi_twilio_dialing.emulator import Emulator, Fault

BULK = "/v1/DialingPermissions/BulkCountryUpdates"
WINDOW = 12  # no run of this many characters of a secret's form may survive: no half secrets either


# ------------------------------------------------------------------------------------------------ helpers
def basic_forms(username: str, password: str) -> list[str]:
    """Every way HTTP Basic can show ``username:password``, computed here independently of ``_redact``."""
    raw = f"{username}:{password}".encode()
    encoded = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    unpadded = {e.rstrip("=") for e in encoded}
    return sorted(encoded | unpadded | {f"Basic {e}" for e in encoded | unpadded})


def secret_forms(username: str, password: str) -> list[str]:
    return sorted({password, quote(password, safe=""), quote_plus(password), *basic_forms(username, password)})


def credentials_of(emulator: Emulator) -> list[tuple[str, str]]:
    """(username, secret) of every account and API key the emulator knows."""
    backend = emulator.backend
    return [(a.sid, a.auth_token) for a in backend.accounts.values()] + [
        (k.sid, k.secret) for k in backend.api_keys.values()
    ]


def assert_no_secret(text: str, credentials: list[tuple[str, str]]) -> None:
    """Neither a secret nor any Basic form of it, nor a run of ``WINDOW`` characters of one, is in ``text``."""
    for username, password in credentials:
        for form in secret_forms(username, password):
            body = form.removeprefix("Basic ")
            assert form not in text
            for start in range(len(body) - WINDOW + 1):
                assert body[start : start + WINDOW] not in text, f"a piece of {form!r} leaked"


def shown(error: BaseException) -> str:
    """All that a traceback or log of ``error`` could show."""
    return "".join(traceback.format_exception(error)) + repr(error.args) + repr(vars(error))


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(24)


# ----------------------------------------------------------------------------------------------- _redact
def _awkward_credentials() -> tuple[str, str]:
    """A username and secret whose Basic form has '+', '/' (so standard and URL-safe differ) and padding,
    and whose secret needs percent-encoding ('?' and '~' give base64's last two digits)."""
    for i in range(30):
        username, password = f"SK{secrets.token_hex(16)}", f"p@ss w?~?~?~rd{'x' * i}{secrets.token_hex(4)}"
        encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
        if "+" in encoded and "/" in encoded and encoded.endswith("="):
            return username, password
    raise AssertionError("no such credentials")


def test_every_form_of_a_registered_secret_is_redacted():
    username, password = _awkward_credentials()
    register_secret(password, username=username)
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    urlsafe = base64.urlsafe_b64encode(f"{username}:{password}".encode()).decode()
    forms = {
        "the secret": password,
        "percent-encoded": quote(password, safe=""),
        "percent-encoded, lower-case hex": re.sub(
            "%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(password, safe="")
        ),
        "form-encoded": quote_plus(password),
        "base64": encoded,
        "base64 unpadded": encoded.rstrip("="),
        "URL-safe base64": urlsafe,
        "URL-safe base64 unpadded": urlsafe.rstrip("="),
        "Basic": f"Basic {encoded}",
        "Basic, unpadded": f"Basic {encoded.rstrip('=')}",
        "Basic, URL-safe": f"Basic {urlsafe}",
        "base64, percent-encoded": quote(encoded, safe=""),
    }
    for name, form in forms.items():
        assert scrub(f"before {form} after") == "before [redacted] after", name
    assert scrub(f"Authorization: Basic {encoded}") == "Authorization: [redacted]"  # whole, not "Basic [...]"
    assert scrub(f"authorization: basic {urlsafe.rstrip('=')}") == "authorization: [redacted]"
    assert scrub(f"{username} is not secret") == f"{username} is not secret"


def test_longest_form_first_and_overlaps_redacted_as_one():
    short = new_secret()
    long = short + new_secret()  # a registered secret that starts with another
    register_secret(short)
    register_secret(long)
    assert scrub(f"<{long}>") == "<[redacted]>"
    assert scrub(f"<{short}>") == "<[redacted]>"
    # Two secrets overlapping: every character of both goes, as one redaction.
    left = "L" + new_secret()
    right = left[-10:] + new_secret()
    register_secret(left)
    register_secret(right)
    assert scrub(f"<{left}{right[10:]}>") == "<[redacted]>"
    assert scrub(f"{short} and {left}") == "[redacted] and [redacted]"


def test_short_and_empty_values_are_ignored():
    register_secret("")
    register_secret("abc1234")  # 7 characters: too short to redact without mangling innocent text
    register_secret("abc1234", username="AC" + "0" * 32)
    assert scrub("abc1234 stays") == "abc1234 stays"
    basic = base64.b64encode(f"{'AC' + '0' * 32}:abc1234".encode()).decode()
    assert scrub(basic) == basic
    assert scrub("") == ""


def test_registration_is_thread_safe():
    values = [new_secret() for _ in range(64)]
    threads = [threading.Thread(target=register_secret, args=(v,), kwargs={"username": "AC1"}) for v in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert scrub(" ".join(values)) == " ".join(["[redacted]"] * len(values))


def test_exceptions_are_scrubbed_in_place_with_their_chains_dropped():
    username, password = f"AC{secrets.token_hex(16)}", new_secret()
    register_secret(password, username=username)
    basic = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    api_error = TwilioApiError(
        f"echoed {basic}", status=400, code=20001, method="POST", path="/v1/Settings", more_info=password
    )
    api_error.add_note(f"note {password}")
    try:
        try:
            raise ValueError(f"the context {password}")
        except ValueError:
            raise api_error from RuntimeError(f"the cause {basic}")
    except TwilioApiError as raised:
        chained = (raised.__cause__, raised.__context__)
        same = scrub_exception(raised)
    assert None not in chained
    assert same is api_error
    assert api_error.message == "echoed [redacted]"
    assert api_error.args == ("echoed [redacted]",)
    assert api_error.more_info == "[redacted]"
    assert str(api_error) == "POST /v1/Settings failed with HTTP 400 (Twilio error 20001): echoed [redacted]"
    assert (api_error.__cause__, api_error.__context__, api_error.__suppress_context__) == (None, None, True)
    assert_no_secret(shown(api_error), [(username, password)])
    assert "note [redacted]" in shown(api_error)

    # Raised again inside an except block, the handled exception is not shown as its context.
    try:
        try:
            raise KeyError(password)
        except KeyError:
            raise scrub_exception(RuntimeError(f"wrapped {password}")) from None
    except RuntimeError as wrapped:
        assert_no_secret(shown(wrapped), [(username, password)])

    # Exceptions held as attributes (PartialWriteError.cause), and other args, are scrubbed too.
    partial = PartialWriteError(
        f"stopped: {api_error}", ["GB"], ["BR"], TwilioApiError(basic, status=502, code=20500, method="POST", path=BULK)
    )
    scrub_exception(partial)
    assert partial.cause.message == "[redacted]"
    assert partial.applied == ["GB"]
    odd = Exception({"header": basic}, 42, None)
    scrub_exception(odd)
    assert odd.args[1:] == (42, None)
    assert_no_secret(shown(odd), [(username, password)])


def test_say_prints_one_scrubbed_flushed_line(capsys):
    password = new_secret()
    register_secret(password)
    say(f"DialingPermissions: token {password} in a diagnostic\nand a second line {password}")
    out = capsys.readouterr().out
    assert out == "DialingPermissions: token [redacted] in a diagnostic\nand a second line [redacted]\n"


def test_credentials_register_themselves():
    sid, key, token, secret = f"AC{secrets.token_hex(16)}", f"SK{secrets.token_hex(16)}", new_secret(), new_secret()
    Credentials.auth_token(sid, token)
    Credentials.api_key(sid, key, secret)
    text = " ".join(basic_forms(sid, token) + basic_forms(key, secret) + [token, secret])
    assert_no_secret(scrub(text), [(sid, token), (key, secret)])


def test_a_text_body_is_scrubbed_before_it_is_cut():
    username, password = f"SK{secrets.token_hex(16)}", new_secret()
    register_secret(password, username=username)
    basic = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    for padding in range(150, 200, 7):  # the 200-character cut lands before, inside and after the header
        code, message, more = _error_from_body(502, "x" * padding + basic + " trailing")
        assert code is None and more is None
        assert_no_secret(message, [(username, password)])
    code, message, more = _error_from_body(400, json.dumps({"code": 20001, "message": basic, "more_info": basic}))
    assert (code, message, more) == (20001, "[redacted]", "[redacted]")


def test_the_twilio_librarys_log_lines_are_scrubbed(caplog):
    username, password = f"AC{secrets.token_hex(16)}", new_secret()
    Credentials.auth_token(username, password)
    basic = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("twilio.http_client").info("Response Headers: %s", {"X-Echo": basic})
    assert "Response Headers: {'X-Echo': '[redacted]'}" in caplog.text
    assert_no_secret(caplog.text, [(username, password)])


# ----------------------------------------------------------------------------------------------- gateway
def _gateway(emulator: Emulator, credentials: Credentials, **retry: float) -> Gateway:
    return Gateway(credentials, api_url=emulator.url, retry=RetryPolicy(**({"timeout": 0.01} | retry)))


def _main_gateway(emulator: Emulator) -> Gateway:
    main = emulator.main_account
    return _gateway(emulator, Credentials.auth_token(main.sid, main.auth_token))


CALLS = {
    "fetch (TwilioRestException)": lambda g: g.fetch_country("GB"),
    "list (TwilioException with the response)": lambda g: g.list_countries(),
    "write": lambda g: g.update_dialing_permissions_inheritance(False),
}


@pytest.mark.parametrize("echo_format", ["json", "text"])
@pytest.mark.parametrize("status", [400, 401, 403, 500, 502])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_gateway_errors_echoing_credentials_carry_none(twilio_emulator, echo_format, status, call):
    gateway = _main_gateway(twilio_emulator)
    twilio_emulator.backend.faults.add(Fault("echo_credentials", count=1, status=status, echo_format=echo_format))
    with pytest.raises(TwilioApiError) as failed:
        CALLS[call](gateway)
    error = failed.value
    assert error.status == status
    # 401, or Twilio's 20003 in a JSON body, reads as refused credentials
    assert isinstance(error, AuthenticationError) == (status == 401 or (status == 403 and echo_format == "json"))
    if echo_format == "json" or call.startswith("list"):
        assert "[redacted]" in error.message  # the echo did reach the message, scrubbed
    assert_no_secret(shown(error), credentials_of(twilio_emulator))
    assert_no_secret(str(error.more_info), credentials_of(twilio_emulator))


def test_api_key_and_subaccount_credentials_echoed_are_scrubbed(twilio_emulator):
    backend = twilio_emulator.backend
    sub = make_subaccount(twilio_emulator)
    key = backend.create_api_key(twilio_emulator.main_account.sid, kind="main")
    sub_token = backend.accounts[sub].auth_token
    for credentials in (
        Credentials.api_key(twilio_emulator.main_account.sid, key.sid, key.secret),
        Credentials.auth_token(sub, sub_token),
    ):
        gateway = _gateway(twilio_emulator, credentials)
        for echo_format in ("json", "text"):
            backend.faults.add(Fault("echo_credentials", count=2, status=400, echo_format=echo_format))
            for call in (gateway.list_countries, gateway.fetch_dialing_permissions_inheritance):
                with pytest.raises(TwilioApiError) as failed:
                    call()
                assert_no_secret(shown(failed.value), credentials_of(twilio_emulator))


def test_tokens_twilio_returns_are_registered(twilio_emulator):
    """A subaccount's token read by the parent is scrubbed even before any Credentials holds it."""
    gateway = _main_gateway(twilio_emulator)
    created = gateway.create_subaccount("fresh")
    assert created.auth_token is not None
    token = created.auth_token.get_secret_value()
    assert scrub(f"<{token}>") == "<[redacted]>"
    key = gateway.create_api_key(created.sid, "k")
    assert scrub(key.secret.get_secret_value()) == "[redacted]"


def test_a_retried_5xx_that_finally_fails_carries_no_secret(twilio_emulator):
    gateway = _main_gateway(twilio_emulator)
    gateway.retry = RetryPolicy(base_delay=0.01, max_delay=0.02, timeout=0.3)
    fault = twilio_emulator.backend.faults.add(Fault("echo_credentials", count=10_000, status=503))
    with pytest.raises(TwilioApiError) as failed:
        gateway.fetch_dialing_permissions_inheritance()
    assert fault.fired >= 2  # retried
    assert "gave up after" in failed.value.message
    assert "[redacted]" in failed.value.message
    assert_no_secret(shown(failed.value), credentials_of(twilio_emulator))


def test_a_404_still_reads_as_not_found(twilio_emulator):
    """Scrubbing leaves Twilio's own messages alone."""
    with pytest.raises(NotFoundError) as missing:
        _main_gateway(twilio_emulator).fetch_country("XX")
    assert missing.value.message == "The requested resource /DialingPermissions/Countries/XX was not found"


# ----------------------------------------------------------------------------------- through the provider
def _assert_engine_leaks_nothing(engine, emulator: Emulator, details: str, *, echoed: bool = False) -> None:
    """Nothing in the traceback the user sees, the diagnostics or the state; with ``echoed``, the echo did
    reach the traceback (scrubbed), so the test is not vacuous."""
    credentials = credentials_of(emulator)
    assert "Authorization: [redacted]" in details if echoed else True
    for text in (details, engine.provider_output, engine.export()):
        assert_no_secret(text, credentials)


def _fails(action) -> str:
    with pytest.raises(ProviderError) as failed:
        action()
    return failed.value.details


def _gb(special: bool = False):
    return country(iso_code="GB", high_risk_special_numbers_enabled=special)


@pytest.mark.parametrize(
    ("status", "echo_format"), [(400, "json"), (401, "text"), (502, "json"), (500, "text")], ids=str
)
def test_create_update_refresh_and_delete_failing_with_an_echo_leak_nothing(
    twilio_emulator, stack, status, echo_format
):
    backend = twilio_emulator.backend
    engine = stack(config=stack_config(twilio_emulator, **{"twilio-dialing:retryTimeout": "0.3"}))

    def echo(method: str, count: int = 1_000) -> None:
        backend.faults.clear()
        backend.faults.add(
            Fault("echo_credentials", count=count, status=status, echo_format=echo_format, method=method)
        )

    echo("POST")
    details = _fails(lambda: engine.up(_gb()))  # create
    # Only a JSON echo reaches a message on these paths: the library drops a non-JSON body of a record call.
    _assert_engine_leaks_nothing(engine, twilio_emulator, details, echoed=echo_format == "json")

    backend.faults.clear()
    engine.up(_gb())
    echo("POST")
    details = _fails(lambda: engine.up(_gb(special=True)))  # update
    _assert_engine_leaks_nothing(engine, twilio_emulator, details)

    echo("GET")
    details = _fails(engine.refresh)
    _assert_engine_leaks_nothing(engine, twilio_emulator, details)

    echo("POST")
    details = _fails(engine.destroy)
    _assert_engine_leaks_nothing(engine, twilio_emulator, details)
    backend.faults.clear()


def test_a_derived_subaccount_token_echoed_leaks_nothing(twilio_emulator, stack):
    sub = make_subaccount(twilio_emulator)
    backend = twilio_emulator.backend
    engine = stack()
    for echo_format in ("json", "text"):
        # Only the subaccount's own requests (made with its derived token) echo.
        backend.faults.add(
            Fault("echo_credentials", count=1, status=400, echo_format=echo_format, account_sid=sub, method="POST")
        )
        program = inheritance(account_sid=sub, dialing_permissions_inheritance=False)
        details = _fails(lambda program=program: engine.up(program))
        echoed = [r for r in backend.request_log() if "echo_credentials" in r.faults]
        assert [r.credential_sid for r in echoed] == [sub]  # the derived token was the one echoed
        backend.clear_request_log()
        _assert_engine_leaks_nothing(engine, twilio_emulator, details, echoed=echo_format == "json")


def test_an_api_secret_echoed_leaks_nothing(twilio_emulator, stack):
    backend = twilio_emulator.backend
    key = backend.create_api_key(twilio_emulator.main_account.sid, kind="main")
    config = stack_config(
        twilio_emulator,
        **{"twilio:authToken": None, "twilio:apiKey": key.sid, "twilio:apiSecret": key.secret},
    )
    engine = stack(config=config)
    for echo_format in ("json", "text"):
        backend.faults.add(Fault("echo_credentials", count=1, status=400, echo_format=echo_format))
        details = _fails(lambda: engine.up(_gb()))
        echoed = [r for r in backend.request_log() if "echo_credentials" in r.faults]
        assert [r.credential_sid for r in echoed] == [key.sid]
        backend.clear_request_log()
        _assert_engine_leaks_nothing(engine, twilio_emulator, details, echoed=echo_format == "json")


@pytest.mark.parametrize("echo_format", ["json", "text"])
def test_a_whole_table_read_failing_with_an_echo_leaks_nothing(twilio_emulator, stack, echo_format):
    """DialingPermissions reads the whole table with a list call, whose failure carries the body itself
    (cut at 200 characters) even when it is not JSON; its preview reports a failed read as a diagnostic."""
    backend = twilio_emulator.backend
    engine = stack(config=stack_config(twilio_emulator, **{"twilio-dialing:retryTimeout": "0.3"}))

    def hardening() -> None:
        DialingPermissions(
            "permissions", DialingPermissionsArgs(default=CountryPermissionsArgs(UNCHANGED, False, False))
        )

    backend.faults.add(Fault("echo_credentials", count=1_000, status=502, echo_format=echo_format, method="GET"))
    try:
        engine.preview(hardening)
        details = ""
    except ProviderError as failed:  # a preview may fail, or only say so in a diagnostic
        details = failed.details
    _assert_engine_leaks_nothing(engine, twilio_emulator, details)
    assert "[redacted]" in details + engine.provider_output  # the echo was reported, scrubbed
    details = _fails(lambda: engine.up(hardening))
    _assert_engine_leaks_nothing(engine, twilio_emulator, details, echoed=True)
    assert backend.faults.active()[0].fired >= 2  # retried, then gave up
