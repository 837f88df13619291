"""``twilio-dialing audit`` against the emulator: risky accounts seeded, exit codes, request counts."""

from __future__ import annotations

from collections import Counter

from helpers import make_subaccount
from ops_helpers import run_cli, run_json, use_emulator


def seed(emulator):
    """A main account with low-risk FR and US; one tenant with its own table and high-risk GB; one inheriting."""
    backend, main = emulator.backend, emulator.main_account.sid
    backend.set_flags(main, "FR", low_risk_numbers_enabled=True)
    backend.set_flags(main, "US", low_risk_numbers_enabled=True)
    risky, inheriting = make_subaccount(emulator, "Risky Ltd"), make_subaccount(emulator, "Calm Ltd")
    backend.set_inheritance(risky, False)
    backend.set_inheritance(inheriting, True)
    backend.set_flags(risky, "GB", high_risk_special_numbers_enabled=True)
    backend.set_flags(risky, "LV", low_risk_numbers_enabled=True, high_risk_tollfraud_numbers_enabled=True)
    # Its own table says high risk, but it inherits: only the parent's permissions decide its calls.
    backend.set_flags(inheriting, "SO", high_risk_tollfraud_numbers_enabled=True)
    return main, risky, inheriting


def test_audit_reports_each_accounts_effective_permissions(twilio_emulator, monkeypatch, capsys):
    use_emulator(monkeypatch, twilio_emulator)
    main, risky, inheriting = seed(twilio_emulator)
    code, report, log = run_json(twilio_emulator, capsys, "audit", "--subaccounts")
    assert code == 0
    by_sid = {e["account_sid"]: e for e in report["accounts"]}
    assert report["accounts"][0]["account_sid"] == main
    assert set(by_sid) == {main, risky, inheriting}
    assert by_sid[main]["kind"] == "main" and by_sid[main]["dialing_permissions_inheritance"] is None
    assert by_sid[main]["low_risk_countries"] == ["FR", "US"]
    assert by_sid[main]["risk"] == "low-risk"
    assert by_sid[risky]["dialing_permissions_inheritance"] is False
    assert by_sid[risky]["high_risk_special_countries"] == ["GB"]
    assert by_sid[risky]["high_risk_tollfraud_countries"] == ["LV"]
    assert by_sid[risky]["high_risk_countries"] == ["GB", "LV"]
    assert by_sid[risky]["risk"] == "high-risk"
    assert by_sid[inheriting]["effective_from"] == main
    assert by_sid[inheriting]["high_risk_countries"] == []
    assert by_sid[inheriting]["risk"] == "low-risk"
    assert report["summary"]["high_risk_accounts"] == [risky]
    assert report["summary"]["inheriting_subaccounts"] == [inheriting]
    # Fewest requests: one account list, one table per account that does not inherit, one Settings read
    # per subaccount; no request derives a subaccount's credentials, nothing is written.
    paths = Counter((method, path) for method, path, _ in log)
    assert paths == Counter(
        {
            ("GET", "/2010-04-01/Accounts.json"): 1,
            ("GET", "/v1/DialingPermissions/Countries"): 2,
            ("GET", "/v1/Settings"): 2,
        }
    )


def test_fail_on_high_risk_exits_non_zero_only_when_an_account_is_exposed(twilio_emulator, monkeypatch, capsys):
    use_emulator(monkeypatch, twilio_emulator)
    seed(twilio_emulator)
    code, out, err, _ = run_cli(twilio_emulator, capsys, "audit", "--fail-on", "high-risk")
    assert code == 0, err  # the main account alone is low-risk only
    assert "low-risk" in out
    code, out, err, _ = run_cli(twilio_emulator, capsys, "audit", "--subaccounts", "--fail-on", "high-risk")
    assert code == 1
    assert "Risky Ltd" in out and "high-risk" in out
    assert "--fail-on high-risk" in err


def test_audit_of_the_main_account_alone_is_one_request(twilio_emulator, monkeypatch, capsys):
    use_emulator(monkeypatch, twilio_emulator)
    make_subaccount(twilio_emulator, "not audited")
    code, report, log = run_json(twilio_emulator, capsys, "audit")
    assert code == 0
    assert [e["kind"] for e in report["accounts"]] == ["main"]
    assert [(m, p) for m, p, _ in log] == [("GET", "/v1/DialingPermissions/Countries")]


def test_audit_without_credentials_says_what_to_set_and_sends_nothing(twilio_emulator, monkeypatch, capsys):
    use_emulator(monkeypatch, twilio_emulator)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    code, out, err, log = run_cli(twilio_emulator, capsys, "audit")
    assert code == 2
    assert "TWILIO_AUTH_TOKEN" in err and out == ""
    assert log == []


def test_audit_never_prints_a_secret(twilio_emulator, monkeypatch, capsys):
    use_emulator(monkeypatch, twilio_emulator)
    _, risky, _ = seed(twilio_emulator)
    token = twilio_emulator.backend.accounts[risky].auth_token
    for argv in (("audit", "--subaccounts"), ("audit", "--subaccounts", "--json")):
        code, out, err, _ = run_cli(twilio_emulator, capsys, *argv)
        assert code == 0 and "Risky Ltd" in out  # it did report the account whose token it used
        for secret in (token, twilio_emulator.main_account.auth_token):
            assert secret not in out and secret not in err


def test_credentials_are_read_as_the_provider_reads_them_api_key_and_subaccount_entries(
    twilio_emulator, monkeypatch, capsys
):
    import json

    use_emulator(monkeypatch, twilio_emulator)
    _, risky, inheriting = seed(twilio_emulator)
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    key = backend.create_api_key(main, kind="main")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    monkeypatch.setenv("TWILIO_API_KEY", key.sid)
    monkeypatch.setenv("TWILIO_API_SECRET", key.secret)
    # A main account's API key gets no subaccount token: the error names both ways out, and nothing is
    # read from the subaccounts.
    code, out, err, log = run_cli(twilio_emulator, capsys, "audit", "--subaccounts")
    assert code == 2 and out == ""
    assert "TWILIO_DIALING_SUBACCOUNT_CREDENTIALS" in err and key.secret not in err
    assert {p for _, p, _ in log} <= {"/2010-04-01/Accounts.json", "/v1/DialingPermissions/Countries"}
    entries = {
        sid: {"apiKey": k.sid, "apiSecret": k.secret}
        for sid in (risky, inheriting)
        for k in [backend.create_api_key(sid)]
    }
    monkeypatch.setenv("TWILIO_DIALING_SUBACCOUNT_CREDENTIALS", json.dumps(entries))
    code, report, log = run_json(twilio_emulator, capsys, "audit", "--subaccounts")
    assert code == 0
    risks = {e["account_sid"]: e["risk"] for e in report["accounts"]}
    assert risks == {main: "low-risk", risky: "high-risk", inheriting: "low-risk"}
    used = {r.credential_sid for r in backend.request_log()}
    assert used == {key.sid, *(e["apiKey"] for e in entries.values())}


def test_without_the_cli_extra_the_commands_say_what_to_install(monkeypatch, capsys):
    import importlib.util

    from pulumi_twilio_dialing._cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "rich" else real(name, *a))
    for command in (["audit"], ["insights"], ["export", "--out", "unused"]):
        assert main(command) == 2
        assert "pip install 'pulumi-twilio-dialing[cli]'" in capsys.readouterr().err


def test_friendly_names_are_shown_as_text_never_as_terminal_markup(twilio_emulator, monkeypatch, capsys):
    use_emulator(monkeypatch, twilio_emulator)
    make_subaccount(twilio_emulator, "[/bold] Evil [red]Ltd")
    code, out, err, _ = run_cli(twilio_emulator, capsys, "audit", "--subaccounts")
    assert code == 0, err
    assert "[/bold] Evil [red]Ltd" in out
