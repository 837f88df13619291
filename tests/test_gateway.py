"""The gateway: URL rewrite, timeouts, error translation, thread safety, config resolution."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from helpers import main_gateway
from pulumi_twilio_dialing import (
    AuthenticationError,
    ConfigurationError,
    CountryPermissionUpdate,
    Credentials,
    Gateway,
    NotFoundError,
    RateLimitedError,
    TwilioApiError,
    TwilioConnectionError,
    resolve_api_url,
)
from pulumi_twilio_dialing._gateway import DEFAULT_TIMEOUT_SECONDS, HostBudget, RedirectingHttpClient, RetryPolicy
from pulumi_twilio_dialing.emulator import Fault
from twilio.base.exceptions import TwilioException


@pytest.fixture
def gateway(twilio_emulator) -> Gateway:
    """A gateway that does not retry, so each failure surfaces as it is translated."""
    return main_gateway(twilio_emulator, retry=RetryPolicy(timeout=0.01))


def test_rewrite_keeps_path_and_query_and_changes_scheme_and_host():
    client = RedirectingHttpClient("http://127.0.0.1:9/prefix/", 5)
    assert client.rewrite("https://voice.twilio.com/v1/Settings?a=1") == "http://127.0.0.1:9/prefix/v1/Settings?a=1"
    assert client.rewrite("https://api.twilio.com/2010-04-01/Accounts.json") == (
        "http://127.0.0.1:9/prefix/2010-04-01/Accounts.json"
    )
    assert RedirectingHttpClient(None, 5).rewrite("https://voice.twilio.com/v1/Settings") == (
        "https://voice.twilio.com/v1/Settings"
    )


def test_a_timeout_is_always_set_and_enforced(twilio_emulator, gateway):
    assert gateway.client.http_client.timeout == DEFAULT_TIMEOUT_SECONDS
    impatient = main_gateway(twilio_emulator, timeout=0.3, retry=RetryPolicy(timeout=0.01))  # no second attempt
    twilio_emulator.backend.faults.add(Fault("latency", count=1, seconds=2))
    started = time.perf_counter()
    with pytest.raises(TwilioConnectionError, match="ReadTimeout"):
        impatient.fetch_country("US")
    assert time.perf_counter() - started < 1.5
    with pytest.raises(ValueError, match="positive"):
        main_gateway(twilio_emulator, timeout=0)


def _recording_gateway(emulator, **kwargs):
    sleeps: list[float] = []
    return main_gateway(emulator, sleep=sleeps.append, **kwargs), sleeps


def test_retries_back_off_and_honour_retry_after(twilio_emulator):
    gateway, sleeps = _recording_gateway(twilio_emulator, retry=RetryPolicy(base_delay=0.1, max_delay=0.4))
    twilio_emulator.backend.faults.add(Fault("error", count=4, status=429))
    assert gateway.fetch_country("US").iso_code == "US"
    assert len(sleeps) == 4
    for attempt, delay in enumerate(sleeps):  # exponential, capped, with jitter in the upper half
        ceiling = min(0.4, 0.1 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling
    twilio_emulator.settings.retry_after_seconds = 2
    twilio_emulator.backend.faults.add(Fault("error", count=1, status=429))
    gateway.fetch_country("US")
    assert sleeps[-1] == 2.0


def test_5xx_and_dropped_connections_are_retried_only_when_idempotent(twilio_emulator):
    gateway, sleeps = _recording_gateway(twilio_emulator)
    twilio_emulator.backend.faults.add(Fault("error", count=1, status=503))
    assert gateway.fetch_dialing_permissions_inheritance() is False
    twilio_emulator.backend.faults.add(Fault("drop", count=1))
    assert gateway.fetch_dialing_permissions_inheritance() is False
    assert len(sleeps) == 2
    twilio_emulator.backend.faults.add(Fault("error", count=1, status=503, method="POST"))
    with pytest.raises(TwilioApiError):
        gateway.create_subaccount("once")  # creating twice would be worse than failing
    assert len(twilio_emulator.backend.accounts) == 1
    twilio_emulator.backend.faults.add(Fault("error", count=1, status=429, method="POST"))
    assert gateway.create_subaccount("once").friendly_name == "once"  # a 429 was never processed


def test_an_unreadable_answer_is_a_lost_answer_not_a_refusal(twilio_emulator):
    """A complete answer whose body cannot be read says nothing about whether the request was carried out:
    it is a TwilioConnectionError (retried when idempotent, "may have happened" for a write), never a
    TwilioApiError, which callers read as "answered with an error"."""
    gateway, sleeps = _recording_gateway(twilio_emulator)
    backend = twilio_emulator.backend
    backend.faults.add(Fault("garble", count=1, method="GET", path_prefix="/v1/DialingPermissions/Countries/"))
    assert gateway.fetch_country("US").iso_code == "US"  # a read: retried once, like a dropped answer
    backend.faults.add(Fault("garble", count=1, method="GET", path_prefix="/v1/DialingPermissions/Countries"))
    assert len(gateway.list_countries()) > 200  # a list page too
    assert len(sleeps) == 2

    backend.faults.add(Fault("garble", count=1, method="POST", path_prefix="/2010-04-01/Accounts.json"))
    with pytest.raises(TwilioConnectionError) as unreadable:
        gateway.create_subaccount("garbled")  # not idempotent: not retried, it was carried out
    assert not isinstance(unreadable.value, TwilioApiError)
    assert len(sleeps) == 2
    [created] = [a for a in backend.accounts.values() if a.friendly_name == "garbled"]
    message = str(unreadable.value)
    assert message.startswith("POST /2010-04-01/Accounts.json got an unreadable answer: HTTP 201 from 127.0.0.1:")
    assert "may or may not have been carried out" in message
    assert created.auth_token not in message and created.auth_token[:8] not in message  # the body is not shown


def test_records_the_library_cannot_make_are_an_unreadable_answer(gateway):
    def undeserializable() -> None:  # what twilio's Page raises for JSON without a list of records
        raise TwilioException("Page Records can not be deserialized")

    with pytest.raises(TwilioConnectionError, match=r"got an unreadable answer: .*Page Records") as unreadable:
        gateway._call("GET", "/v1/DialingPermissions/Countries", undeserializable)
    assert not isinstance(unreadable.value, TwilioApiError)


def test_retries_stop_at_the_time_bound(twilio_emulator):
    # the first backoff (5 to 10 s) alone would pass the 5 s bound
    gateway, _ = _recording_gateway(twilio_emulator, retry=RetryPolicy(base_delay=10, max_delay=20, timeout=5))
    twilio_emulator.backend.faults.add(Fault("error", count=3, status=429))
    with pytest.raises(RateLimitedError, match=r"gave up after 1 attempts"):
        gateway.fetch_country("US")


def test_whole_table_in_one_request(twilio_emulator, gateway):
    twilio_emulator.backend.clear_request_log()
    countries = gateway.list_countries()
    assert len(countries) == 225
    assert len(twilio_emulator.backend.request_log()) == 1
    assert [c.iso_code for c in gateway.list_countries(continent="EUROPE", country_code="+44")] == ["GB"]


def test_typed_voice_calls(twilio_emulator, gateway):
    update = CountryPermissionUpdate(
        iso_code="BR",
        low_risk_numbers_enabled=True,
        high_risk_special_numbers_enabled=False,
        high_risk_tollfraud_numbers_enabled=False,
    )
    result = gateway.bulk_update_countries([update])
    assert result.update_count == 1
    brazil = gateway.fetch_country("BR")
    assert (brazil.name, brazil.continent, brazil.country_codes) == ("Brazil", "SOUTH_AMERICA", ("+55",))
    assert brazil.low_risk_numbers_enabled and not brazil.high_risk_special_numbers_enabled
    assert gateway.list_high_risk_special_prefixes("LV") == ["+37181", "+3719000"]
    with pytest.raises(ValueError, match="at least one"):
        gateway.bulk_update_countries([])


def test_subaccount_calls_and_api_key_credentials(twilio_emulator, gateway):
    sub = gateway.create_subaccount("tenant")
    assert sub.is_subaccount and sub.friendly_name == "tenant"
    assert sub.auth_token is not None
    assert sub.auth_token.get_secret_value() not in repr(sub)
    key = gateway.create_api_key(sub.sid, "provider")
    as_key = Gateway(Credentials.api_key(sub.sid, key.sid, key.secret.get_secret_value()), api_url=twilio_emulator.url)
    assert as_key.fetch_dialing_permissions_inheritance() is True
    assert as_key.update_dialing_permissions_inheritance(False) is False
    assert twilio_emulator.backend.accounts[sub.sid].inheritance is False
    assert gateway.fetch_account(sub.sid).status == "active"
    assert gateway.update_account(sub.sid, friendly_name="renamed").friendly_name == "renamed"
    assert [a.sid for a in gateway.list_accounts(friendly_name="renamed")] == [sub.sid]


def test_errors_are_translated_and_never_carry_secrets(twilio_emulator, gateway):
    main = twilio_emulator.main_account
    bad = Gateway(Credentials.auth_token(main.sid, "f" * 32), api_url=twilio_emulator.url)
    for call in (bad.list_countries, lambda: bad.fetch_country("US")):
        with pytest.raises(AuthenticationError) as refused:
            call()
        assert refused.value.code == 20003 and refused.value.status == 401
        assert main.sid in str(refused.value)
        assert "f" * 32 not in str(refused.value) and "f" * 32 not in repr(refused.value.args)

    with pytest.raises(NotFoundError) as missing:
        gateway.fetch_country("XX")
    assert missing.value.path == "/v1/DialingPermissions/Countries/XX"

    twilio_emulator.backend.faults.add(Fault("error", count=2, status=429))
    with pytest.raises(RateLimitedError):
        gateway.list_countries()  # a page failure: plain TwilioException inside the library
    with pytest.raises(RateLimitedError):
        gateway.fetch_country("US")  # a record failure: TwilioRestException inside the library

    twilio_emulator.backend.faults.add(Fault("error", count=1, status=503))
    with pytest.raises(TwilioApiError) as unavailable:
        gateway.fetch_dialing_permissions_inheritance()
    assert (unavailable.value.status, unavailable.value.code) == (503, 20500)

    twilio_emulator.backend.faults.add(Fault("drop", count=1))
    with pytest.raises(TwilioConnectionError):
        gateway.fetch_country("US")


def test_connection_refused_is_a_connection_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = Gateway(
        Credentials.auth_token("AC" + "0" * 32, "t"),
        api_url=f"http://127.0.0.1:{port}",
        retry=RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=0.3),
    )
    with pytest.raises(TwilioConnectionError) as refused:
        gateway.fetch_dialing_permissions_inheritance()
    assert refused.value.method == "GET"
    assert refused.value.path == "/v1/Settings"
    assert "gave up after" in str(refused.value)  # retried, then stopped at the bound


def test_each_thread_gets_its_own_client_and_concurrent_calls_work(twilio_emulator, gateway):
    clients, results, errors = [], [], []

    def work() -> None:
        try:
            clients.append(gateway.client)
            results.append(len(gateway.list_countries()))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [225] * 4
    assert len({id(c) for c in clients}) == 4


def test_credentials_and_gateway_reprs_hide_secrets():
    credentials = Credentials.api_key("AC" + "1" * 32, "SK" + "2" * 32, "the-secret")
    gateway = Gateway(credentials)
    assert "the-secret" not in repr(credentials) and "the-secret" not in repr(gateway)


# ----------------------------------------------------------------------------------------- config
def test_api_url_comes_from_config_then_env():
    env = {"TWILIO_DIALING_API_URL": "http://127.0.0.1:9000/"}
    assert resolve_api_url({}, env) == "http://127.0.0.1:9000"
    assert resolve_api_url({"twilio-dialing:apiUrl": "http://localhost:1"}, env) == "http://localhost:1"
    assert resolve_api_url({}, {}) is None
    assert resolve_api_url({"twilio-dialing:apiUrl": "https://twilio.example.com"}, {}) == "https://twilio.example.com"
    assert resolve_api_url({"twilio-dialing:apiUrl": "http://[::1]:8080"}, {}) == "http://[::1]:8080"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("127.0.0.1:8080", "not an http(s) URL"),
        ("ftp://127.0.0.1", "not an http(s) URL"),
        ("http://example.com", "plain http is only allowed to a loopback address"),
        ("http://10.0.0.5:8080", "plain http is only allowed to a loopback address"),
        ("http://user:pw@127.0.0.1:1", "without credentials"),
        ("http://127.0.0.1:1?x=1", "without credentials, query"),
    ],
)
def test_bad_api_urls_name_the_key_and_the_fix(value, fragment):
    with pytest.raises(ConfigurationError) as bad:
        resolve_api_url({"twilio-dialing:apiUrl": value}, {})
    assert "twilio-dialing:apiUrl" in str(bad.value)
    assert fragment in str(bad.value)
    assert "pw" not in str(bad.value)
    with pytest.raises(ConfigurationError, match="TWILIO_DIALING_API_URL"):
        resolve_api_url({}, {"TWILIO_DIALING_API_URL": value})


# ------------------------------------------------------------------------------ permanent and bounded failures
def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _gateway_to(url: str, *, timeout: float = 0.5, budget: HostBudget | None = None, **kwargs) -> Gateway:
    return Gateway(
        Credentials.auth_token("AC" + "0" * 32, "a-token-of-some-length", source="stack config twilio:authToken"),
        api_url=url,
        api_url_source="twilio-dialing:apiUrl",
        retry=RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=timeout),
        budget=budget,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("url", "kind"),
    [("http://127.0.0.1:99999", "InvalidURL"), ("ftp://127.0.0.1:9", "InvalidSchema"), ("https://a..b", "Location")],
)
def test_a_malformed_url_fails_at_once_as_configuration(url, kind):
    sleeps: list[float] = []
    gateway = _gateway_to(url, sleep=sleeps.append)
    started = time.perf_counter()
    with pytest.raises(ConfigurationError) as bad:
        gateway.fetch_dialing_permissions_inheritance()
    assert time.perf_counter() - started < 1 and sleeps == []  # never retried
    assert kind in str(bad.value)
    assert "fix twilio-dialing:apiUrl" in str(bad.value)


def test_tls_refused_and_a_name_that_does_not_resolve_fail_at_once(twilio_emulator):
    tls = _gateway_to(twilio_emulator.url.replace("http://", "https://"), timeout=30)  # TLS to a plain-HTTP port
    dns = _gateway_to("https://nonexistent-host.invalid", timeout=30)
    for gateway, fragment in ((tls, "TLS with 127.0.0.1"), (dns, "the host name of nonexistent-host.invalid does")):
        started = time.perf_counter()
        with pytest.raises(TwilioConnectionError) as failed:
            gateway.fetch_country("US")
        assert time.perf_counter() - started < 5  # not the 30 s retry budget
        assert fragment in str(failed.value)
        assert "not retried" in str(failed.value)
        assert "twilio-dialing:apiUrl is https://" in str(failed.value)


def test_connection_errors_name_the_host_and_the_setting():
    port = _dead_port()
    gateway = _gateway_to(f"http://127.0.0.1:{port}", timeout=0.2)
    with pytest.raises(TwilioConnectionError) as refused:
        gateway.fetch_country("US")
    message = str(refused.value)
    assert f"127.0.0.1:{port} refused the connection" in message
    assert f"twilio-dialing:apiUrl is http://127.0.0.1:{port}: check that it points at a running emulator" in message
    assert "gave up after" in message
    twilio_hosts = Gateway(Credentials.auth_token("AC" + "0" * 32, "t"))
    assert twilio_hosts.host("/v1/Settings") == "voice.twilio.com"
    assert twilio_hosts.host("/2010-04-01/Accounts.json") == "api.twilio.com"


def test_one_budget_bounds_every_call_to_a_host_that_does_not_answer():
    """Check and create each used to retry the whole budget (112 s for a bulk up against a dead port)."""
    url = f"http://127.0.0.1:{_dead_port()}"
    budget = HostBudget()
    check, create = _gateway_to(url, timeout=0.5, budget=budget), _gateway_to(url, timeout=0.5, budget=budget)
    started = time.perf_counter()
    with pytest.raises(TwilioConnectionError, match="gave up after"):
        check.list_countries()
    with pytest.raises(TwilioConnectionError) as fast:
        create.bulk_update_countries([_update("BR")])
    assert time.perf_counter() - started < 0.5 + 0.3  # the budget once, not twice
    assert "counting the earlier requests of this run" in str(fast.value) or "not sent" in str(fast.value)
    time.sleep(0.5)  # the budget is spent now: a later call is not even sent
    started = time.perf_counter()
    with pytest.raises(TwilioConnectionError) as spent:
        create.bulk_update_countries([_update("BR")])
    assert time.perf_counter() - started < 0.05
    assert "POST /v1/DialingPermissions/BulkCountryUpdates got no answer: not sent: 127.0.0.1" in str(spent.value)
    assert "the retry budget (twilio-dialing:retryTimeout, 0.5s) is spent for this run" in str(spent.value)
    assert "twilio-dialing:apiUrl is http://127.0.0.1" in str(spent.value)
    # a gateway with its own budget (another process) still tries
    with pytest.raises(TwilioConnectionError, match="gave up after"):
        _gateway_to(url, timeout=0.2).list_countries()


def test_a_host_that_answers_again_gets_a_fresh_budget(twilio_emulator):
    gateway = main_gateway(twilio_emulator, retry=RetryPolicy(base_delay=0.01, max_delay=0.05, timeout=0.3))
    twilio_emulator.backend.faults.add(Fault("error", count=10_000, status=503))
    started = time.perf_counter()
    with pytest.raises(TwilioApiError, match="gave up after"):
        gateway.fetch_country("US")
    time.sleep(0.3)
    twilio_emulator.backend.clear_request_log()
    with pytest.raises(TwilioApiError, match="gave up after 1 attempts"):
        gateway.fetch_country("US")  # an answering host is tried once more, not retried
    assert len(twilio_emulator.backend.request_log()) == 1
    assert time.perf_counter() - started < 1.5
    twilio_emulator.backend.faults.clear()
    assert gateway.fetch_country("US").iso_code == "US"  # answered: the trouble is over
    twilio_emulator.backend.faults.add(Fault("error", count=2, status=503))
    assert gateway.fetch_country("US").iso_code == "US"  # retried again, within a fresh budget


def test_retry_after_zero_is_floored_at_the_backoff(twilio_emulator):
    gateway, sleeps = _recording_gateway(twilio_emulator, retry=RetryPolicy(base_delay=0.1, max_delay=0.4))
    twilio_emulator.settings.retry_after_seconds = 0
    twilio_emulator.backend.faults.add(Fault("error", count=3, status=429))
    assert gateway.fetch_country("US").iso_code == "US"
    assert sleeps == [0.1, 0.2, 0.4]  # never 0: Retry-After 0 used to allow ~1,400 requests a minute


def test_a_retry_after_beyond_the_budget_is_not_waited_for_and_is_reported(twilio_emulator):
    gateway, sleeps = _recording_gateway(twilio_emulator, retry=RetryPolicy(base_delay=0.1, timeout=60))
    twilio_emulator.settings.retry_after_seconds = 3600
    twilio_emulator.backend.faults.add(Fault("error", count=1, status=429))
    started = time.perf_counter()
    with pytest.raises(RateLimitedError) as limited:
        gateway.fetch_country("US")
    assert time.perf_counter() - started < 1 and sleeps == []
    message = str(limited.value)
    assert "Twilio asked to wait 3600s before retrying (Retry-After)" in message
    assert "left of the retry budget (twilio-dialing:retryTimeout, 60s)" in message
    assert "run again in 3600s or more" in message


@pytest.mark.parametrize(("header", "expected"), [("2", 2.0), ("nan", None), ("-5", 0.0), ("soon", None)])
def test_retry_after_values_are_read_safely(twilio_emulator, header, expected):
    gateway, _ = _recording_gateway(twilio_emulator)
    response = type("R", (), {"headers": {"Retry-After": header}})()
    gateway._http.last_response = response  # type: ignore[assignment]
    assert gateway._retry_after() == expected


def test_retry_after_as_an_http_date(twilio_emulator):
    from email.utils import formatdate

    gateway, _ = _recording_gateway(twilio_emulator)
    gateway._http.last_response = type("R", (), {"headers": {"Retry-After": formatdate(time.time() + 30)}})()  # type: ignore[assignment]
    assert 25 <= (gateway._retry_after() or 0) <= 31


def test_a_401_names_the_account_and_where_the_credential_came_from(twilio_emulator):
    main = twilio_emulator.main_account
    for source, advice in (
        ("stack config twilio:authToken", "Stack config wins over the environment"),
        ("environment variable TWILIO_AUTH_TOKEN", "export the current value"),
    ):
        bad = Gateway(Credentials.auth_token(main.sid, "f" * 32, source=source), api_url=twilio_emulator.url)
        with pytest.raises(AuthenticationError) as refused:
            bad.fetch_country("US")
        message = str(refused.value)
        assert f"Twilio refused the credentials of account {main.sid}, taken from {source}" in message
        assert advice in message
        assert "f" * 32 not in message


def _update(iso: str) -> CountryPermissionUpdate:
    return CountryPermissionUpdate(
        iso_code=iso,
        low_risk_numbers_enabled=True,
        high_risk_special_numbers_enabled=False,
        high_risk_tollfraud_numbers_enabled=False,
    )


def test_a_dropped_answer_does_not_stop_the_next_request(twilio_emulator):
    """Only a host that cannot be reached is given up on without a request: one that dropped an answer is
    there, and a put-back right after a lost answer must still be sent."""
    gateway = main_gateway(twilio_emulator, retry=RetryPolicy(timeout=0.001))
    twilio_emulator.backend.faults.add(Fault("drop", count=1))
    with pytest.raises(TwilioConnectionError, match="failed or was dropped"):
        gateway.fetch_country("US")
    time.sleep(0.01)  # the budget is spent
    assert gateway.fetch_country("US").iso_code == "US"
