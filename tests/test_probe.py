"""``twilio-dialing probe``, proven against the emulator: whatever a setting is, the probe finds it.

For every value of every setting the probe can measure, configure the emulator, run the probe and expect
exactly that value back; the throwaway subaccount is put back and closed even when a fault or Ctrl-C hits
mid-probe; the main account is left exactly as it was; no secret reaches the output or the settings file.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
from ops_helpers import probe, subaccounts, use_emulator
from pulumi_twilio_dialing._cli import main as cli
from pulumi_twilio_dialing._probe import SETTINGS, ProbeReport, roundest
from pulumi_twilio_dialing._probe._readings import update_count_reading, update_request_reading
from pulumi_twilio_dialing.emulator import FLAG_NAMES, Emulator, EmulatorSettings, Fault

pytestmark = pytest.mark.timeout(120)

TABLE_SIZE = 225  # the emulator's synthetic country table


def snapshot(emulator: Emulator, sid: str) -> tuple[bool, dict[str, tuple[bool, ...]]]:
    account = emulator.backend.accounts[sid]
    return account.inheritance, {iso: tuple(f.as_dict()[n] for n in FLAG_NAMES) for iso, f in account.flags.items()}


def assert_closed_as_created(emulator: Emulator, report: ProbeReport, created: EmulatorSettings) -> None:
    """The probe's subaccount is closed, with the flags and inheritance it was created with."""
    (sub,) = subaccounts(emulator)
    assert report.subaccount_sid == sub.sid
    assert sub.status == "closed"
    assert report.subaccount_closed
    assert report.cleanup_problems == []
    inheritance, flags = snapshot(emulator, sub.sid)
    assert inheritance == created.new_subaccount_inheritance
    low = set(created.default_low_risk_countries)
    assert flags == {iso: (iso in low, False, False) for iso in flags}


# ------------------------------------------------------------------------------- every value of every setting
def literal_values(name: str) -> tuple[Any, ...]:
    """Every value a setting can take, for a yes/no or a choice among names (none for a number or a list)."""
    hint = typing.get_type_hints(EmulatorSettings)[name]
    if hint is bool:
        return (False, True)
    return typing.get_args(hint) if typing.get_origin(hint) is typing.Literal else ()


# Every value of every setting with a fixed set of values, so a setting added later is measured here too.
CASES: list[tuple[str, Any]] = [(name, value) for name in SETTINGS for value in literal_values(name)]
CASES += [("bulk_max_entries", n) for n in (1, 2, 7, 100, TABLE_SIZE - 1)]
# Values whose rounding survives slow reads on a busy machine: the measured interval always holds the true
# delay, and 0.5 comes out whenever the first fresh read lands before 1 s, 1 whenever it lands before 2 s.
# Finer cases are in the rounding test below.
CASES += [("propagation_delay_seconds", s) for s in (0.0, 0.5, 1.0)]
CASES += [("default_low_risk_countries", c) for c in ((), ("US",), ("GB", "US"))]


@pytest.mark.parametrize(("setting", "value"), CASES, ids=[f"{s}={v}" for s, v in CASES])
def test_the_probe_reports_exactly_the_configured_value(setting: str, value: Any, tmp_path: Path) -> None:
    with Emulator() as emulator:
        emulator.settings.update({setting: value})
        # api_keys_see_auth_tokens shows only to an API key; with a token the rest can be measured too.
        report = probe(emulator, api_key=setting == "api_keys_see_auth_tokens")
        finding = report.findings[setting]
        assert finding.measured, finding
        assert finding.value == value
        report.write_settings(tmp_path / "settings.json")
        written = json.loads((tmp_path / "settings.json").read_text())
        assert written[setting] == (list(value) if isinstance(value, tuple) else value)
        if setting == "api_keys_see_auth_tokens" and not value:
            # No token for an API key: nothing can act on the subaccount, and the probe says so.
            assert report.aborted is not None and "auth token" in report.aborted
            assert not report.findings["bulk_omitted_flag"].measured
        else:
            assert report.aborted is None
        assert_closed_as_created(emulator, report, emulator.settings)


@pytest.mark.parametrize("cap", [TABLE_SIZE, 250, 1000])
def test_a_cap_above_the_table_is_a_lower_bound_and_stays_out_of_the_file(cap: int) -> None:
    with Emulator() as emulator:
        emulator.settings.bulk_max_entries = cap
        report = probe(emulator)
    finding = report.findings["bulk_max_entries"]
    assert not finding.measured
    assert finding.lower_bound == TABLE_SIZE
    assert "bulk_max_entries" not in report.settings()
    assert finding.shown_value() == f">= {TABLE_SIZE}"


def test_the_settings_file_reproduces_the_emulator_it_measured(tmp_path: Path) -> None:
    """Every measured setting at once, away from its default: loading the file gives them all back."""
    configured = {
        "bulk_omitted_flag": "false",
        "bulk_max_entries": 40,
        "bulk_update_request": "accepted",
        "bulk_update_count": "one",
        "inheriting_subaccount_reads": "parent",
        "main_account_settings": "reject",
        "new_subaccount_inheritance": False,
        "iso_code_case": "insensitive",
        "country_code_filter": "with_plus",
        "propagation_delay_seconds": 0.5,
        "default_low_risk_countries": ("FR", "GB"),
    }
    with Emulator() as emulator:
        emulator.settings.update(configured)
        report = probe(emulator)
        assert_closed_as_created(emulator, report, emulator.settings)
    path = tmp_path / "measured.json"
    report.write_settings(path)
    loaded = EmulatorSettings()
    loaded.update(json.loads(path.read_text()))
    assert set(report.settings()) == set(configured)
    assert {name: getattr(loaded, name) for name in configured} == configured


def test_settings_the_probe_knows_are_the_emulators() -> None:
    assert tuple(f.name for f in fields(EmulatorSettings)) == SETTINGS


def test_every_setting_is_reported_measured_or_with_a_reason() -> None:
    with Emulator() as emulator:
        report = probe(emulator)
    assert [f.setting for f in report.ordered()] == list(SETTINGS)
    for finding in report.ordered():
        assert finding.measured or finding.evidence, finding
    assert {f.setting for f in report.ordered() if not f.measured} == {
        "bulk_max_entries",  # a lower bound: the default cap admits the whole table
        "api_keys_see_auth_tokens",  # an auth token was in use
        "retry_after_seconds",
        "max_concurrent_requests",
        "max_subaccounts",
    }


# ----------------------------------------------------------------------------- what it touches and how often
def test_the_main_account_is_untouched_and_requests_are_counted() -> None:
    with Emulator() as emulator:
        main = emulator.main_account.sid
        emulator.backend.set_flags(main, "GB", high_risk_special_numbers_enabled=True)  # not all defaults
        before = snapshot(emulator, main)
        report = probe(emulator)
        after = snapshot(emulator, main)
        log = emulator.backend.request_log()
    assert after == before
    sub = report.subaccount_sid
    assert report.requests == len(log)
    assert report.requests <= 25
    main_writes = [(e.method, e.path, e.form) for e in log if e.account_sid == main and e.method == "POST"]
    assert main_writes == [
        ("POST", "/v1/Settings", {"DialingPermissionsInheritance": "false"}),  # the value it read
        ("POST", "/2010-04-01/Accounts.json", {"FriendlyName": report.subaccount_name}),
        ("POST", f"/2010-04-01/Accounts/{sub}.json", {"Status": "closed"}),
    ]
    # Every other write went to the throwaway subaccount.
    assert {e.account_sid for e in log if e.method == "POST"} == {main, sub}


def test_a_fault_mid_probe_still_puts_back_and_closes_the_subaccount() -> None:
    with Emulator() as emulator:
        # Every read of one country fails (after retries): the probe cannot watch its write show.
        emulator.backend.faults.add(
            Fault("error", status=503, count=10_000, method="GET", path_prefix="/v1/DialingPermissions/Countries/")
        )
        report = probe(emulator)
        assert_closed_as_created(emulator, report, emulator.settings)
    finding = report.findings["propagation_delay_seconds"]
    assert not finding.measured
    assert "503" in finding.evidence
    assert report.findings["bulk_update_count"].measured  # the steps before the fault still count
    assert report.findings["country_code_filter"].measured  # and those that do not need the country read


@pytest.mark.parametrize("lost", ["drop", "garble"])  # no answer, or one that cannot be read
def test_a_lost_create_answer_is_found_by_name_and_closed(lost: str) -> None:
    with Emulator() as emulator:
        emulator.backend.faults.add(Fault(lost, count=1, method="POST", path_prefix="/2010-04-01/Accounts.json"))
        report = probe(emulator)
        (sub,) = subaccounts(emulator)
    assert report.aborted is not None and "no usable answer" in report.aborted
    assert sub.status == "closed"
    assert report.subaccount_sid == sub.sid
    assert report.subaccount_closed


@pytest.mark.parametrize(
    "step",
    [
        "bulk_max_entries",
        "inheriting_subaccount_reads",
        "bulk_omitted_flag",
        "putting the subaccount back and closing it",  # held until the clean-up is done
    ],
)
def test_ctrl_c_mid_probe_still_puts_back_and_closes_the_subaccount(step: str) -> None:
    def interrupt(message: str) -> None:
        if message == step:
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, delivered to this (the main) thread

    with Emulator() as emulator:
        emulator.settings.new_subaccount_inheritance = True
        main_before = snapshot(emulator, emulator.main_account.sid)
        report = probe(emulator, progress=interrupt)
        assert report.interrupted
        assert report.subaccount_closed
        assert report.cleanup_problems == []
        (sub,) = subaccounts(emulator)
        assert sub.status == "closed"
        inheritance, flags = snapshot(emulator, sub.sid)
        assert inheritance is True
        assert {iso for iso, f in flags.items() if any(f)} == {"US"}
        assert snapshot(emulator, emulator.main_account.sid) == main_before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is put back


def test_a_write_that_never_shows_is_not_measured_and_bounded_in_time() -> None:
    with Emulator() as emulator:
        emulator.settings.propagation_delay_seconds = 30.0
        report = probe(emulator, max_propagation_wait=0.3)
        assert_closed_as_created(emulator, report, emulator.settings)
    finding = report.findings["propagation_delay_seconds"]
    assert not finding.measured
    assert "did not show" in finding.evidence


# ------------------------------------------------------------------------------------------------- the CLI
@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, twilio_emulator: Emulator) -> Emulator:
    use_emulator(monkeypatch, twilio_emulator)
    return twilio_emulator


def test_without_the_confirmation_flag_nothing_is_sent(
    cli_env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["probe", "--output", str(tmp_path / "s.json")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "--i-understand-this-writes-to-a-real-account" in err
    assert cli_env.backend.request_log() == []
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_writes_the_file_and_a_summary_without_secrets(
    cli_env: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    as_json: bool,
) -> None:
    monkeypatch.setenv("TWILIO_DIALING_SUBACCOUNT_CREDENTIALS", "not JSON: for the user's stacks, not the probe")
    path = tmp_path / "probe.json"
    argv = ["probe", "--i-understand-this-writes-to-a-real-account", "--output", str(path)]
    assert cli([*argv, "--json"] if as_json else argv) == 0
    out, err = capsys.readouterr()
    settings = json.loads(path.read_text())
    assert settings["bulk_omitted_flag"] == "unchanged"
    assert settings["default_low_risk_countries"] == ["US"]
    if as_json:
        document = json.loads(out)
        assert document["settings"] == settings
        assert document["subaccount"]["closed"] is True
        assert document["requests"] == len(cli_env.backend.request_log())
    else:
        assert "bulk_omitted_flag" in out and "requests to Twilio" in out
        assert f"twilio-dialing emulator --settings {path}" in out
    secrets = [a.auth_token for a in cli_env.backend.accounts.values()]
    assert len(secrets) == 2  # the main account and the probe's subaccount
    for secret in secrets:
        assert secret not in out + err + path.read_text()


def test_cli_without_credentials_says_so_and_sends_nothing(
    cli_env: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    assert cli(["probe", "--i-understand-this-writes-to-a-real-account", "-o", str(tmp_path / "s.json")]) == 2
    assert "credentials are missing" in capsys.readouterr().err
    assert cli_env.backend.request_log() == []


def test_cli_with_an_api_key_that_gets_no_token_measures_what_it_can_and_says_why(
    cli_env: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    use_emulator(monkeypatch, cli_env, api_key=True)
    path = tmp_path / "s.json"
    assert cli(["probe", "--i-understand-this-writes-to-a-real-account", "-o", str(path)]) == 1
    out, err = capsys.readouterr()
    assert json.loads(path.read_text()) == {"main_account_settings": "store", "api_keys_see_auth_tokens": False}
    assert "TWILIO_AUTH_TOKEN" in out and ": closed." in out
    (key,) = cli_env.backend.api_keys.values()
    for secret in [key.secret, *(a.auth_token for a in cli_env.backend.accounts.values())]:
        assert secret not in out + err + path.read_text()


def test_interrupt_during_the_create_still_finds_and_closes_the_subaccount() -> None:
    with Emulator() as emulator:
        create = emulator.backend.create_subaccount

        def create_then_interrupt(*args: Any, **kwargs: Any) -> Any:
            # Twilio has made the subaccount; Ctrl-C arrives before the probe reads the answer.
            account = create(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGINT)
            return account

        emulator.backend.create_subaccount = create_then_interrupt  # type: ignore[method-assign]
        report = probe(emulator)
        (sub,) = subaccounts(emulator)
        log = emulator.backend.request_log()
    assert report.interrupted
    assert sub.status == "closed"
    assert report.subaccount_sid == sub.sid
    assert report.subaccount_closed
    assert ("GET", "/2010-04-01/Accounts.json") in [(e.method, e.path) for e in log]  # found by its name


@pytest.mark.parametrize("echo_format", ["json", "text"])
def test_an_answer_echoing_the_credentials_leaves_no_secret_in_the_output(
    cli_env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], echo_format: str
) -> None:
    # A proxy that echoes the request's Authorization header and form into its error, on the probe's
    # subaccount (the evidence quotes error messages) and on the main account's Settings.
    for prefix in ("/v1/DialingPermissions/Countries/gb", "/v1/Settings"):
        cli_env.backend.faults.add(
            Fault("echo_credentials", status=400, count=1, path_prefix=prefix, echo_format=echo_format)
        )
    path = tmp_path / "s.json"
    assert cli(["probe", "--i-understand-this-writes-to-a-real-account", "--json", "-o", str(path)]) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert "400" in next(f["evidence"] for f in document["findings"] if f["setting"] == "iso_code_case")
    for account in cli_env.backend.accounts.values():
        basic = base64.b64encode(f"{account.sid}:{account.auth_token}".encode()).decode()
        for secret in (account.auth_token, basic):
            assert secret not in out + err + path.read_text()


def test_cli_that_cannot_write_the_file_still_prints_the_findings(
    cli_env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "missing-directory" / "s.json"
    assert cli(["probe", "--i-understand-this-writes-to-a-real-account", "--json", "-o", str(path)]) == 1
    out, err = capsys.readouterr()
    assert f"could not write {path}" in err
    document = json.loads(out)
    assert document["settings_file"] is None
    assert document["settings"]["bulk_omitted_flag"] == "unchanged"
    assert document["subaccount"]["closed"] is True


# -------------------------------------------------------------------------------------------- readings
@pytest.mark.parametrize(
    ("write", "no_op", "expected"),
    [
        ((2, 2), (225, 225), "entries"),
        ((2, 2), None, "entries"),
        ((2, 1), (225, 1), "one"),
        ((2, 1), (225, 0), None),  # counts countries changed: not a reading the emulator has
        ((2, 1), None, None),  # 1 fits 'one' and 'countries changed' alike
        ((2, 3), (225, 225), None),
    ],
)
def test_update_count_reading(write: tuple[int, int], no_op: tuple[int, int] | None, expected: str | None) -> None:
    value, evidence = update_count_reading(write, no_op)
    assert value == expected
    assert f"update_count {write[1]}" in evidence


def test_update_request_reading() -> None:
    submitted = [{"iso_code": "GB", "low_risk_numbers_enabled": True}]
    assert update_request_reading(json.dumps(submitted), submitted)[0] == "echo"
    assert update_request_reading(json.dumps(submitted, indent=1), submitted)[0] == "echo"
    assert update_request_reading("accepted", submitted)[0] == "accepted"
    encoded, evidence = update_request_reading(quote_plus(json.dumps(submitted)), submitted)
    assert encoded is None and "URL-encoded" in evidence
    assert update_request_reading(None, submitted)[0] is None
    assert update_request_reading("[]", submitted)[0] is None


# ---------------------------------------------------------------------------------------------- rounding
@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.42, 0.55, 0.5),
        (1.8, 2.3, 2.0),
        (0.95, 1.2, 1.0),
        (0.26, 0.33, 0.3),
        (0.17, 0.22, 0.2),
        (4.1, 5.6, 5.0),
        (0.0, 0.004, 0.004),  # finer than every step: the upper bound to the millisecond
        (0.5, 0.6, 0.6),  # the interval is open below: 0.5 itself is excluded
    ],
)
def test_roundest_picks_the_roundest_value_in_the_interval(low: float, high: float, expected: float) -> None:
    assert roundest(low, high) == expected
    assert low < roundest(low, high) <= high
