"""``twilio-dialing export``: the program it writes reproduces the live configuration. Proof: run through
the engine harness against the same emulator, its first ``up`` makes no write (no POST reaches the
emulator) and its next preview is a no-op; and it does manage what it adopted (drift shows)."""

from __future__ import annotations

import ast
import runpy
from collections import Counter

from helpers import make_subaccount
from ops_helpers import run_cli, run_json, use_emulator


def seed(emulator):
    backend, main = emulator.backend, emulator.main_account.sid
    for iso in ("FR", "GB", "US", "IE"):
        backend.set_flags(main, iso, low_risk_numbers_enabled=True)
    backend.set_flags(main, "LV", high_risk_special_numbers_enabled=True)
    own = make_subaccount(emulator, "Acme Ltd")
    backend.set_inheritance(own, False)
    # Mostly open, so the compact default of low-risk is True, with a few countries closed.
    for iso in backend.accounts[own].flags:
        backend.set_flags(own, iso, low_risk_numbers_enabled=iso not in ("AF", "SO", "YE"))
    backend.set_flags(own, "GB", high_risk_tollfraud_numbers_enabled=True)
    inheriting = make_subaccount(emulator, "Acme Ltd")  # the same friendly name: names must still be unique
    backend.set_inheritance(inheriting, True)
    make_subaccount(emulator, "not exported")
    return main, own, inheriting


def program(path):
    return lambda: runpy.run_path(str(path / "__main__.py"))


def test_the_exported_program_adopts_without_writing_and_then_previews_as_no_op(
    twilio_emulator, monkeypatch, capsys, tmp_path, stack
):
    use_emulator(monkeypatch, twilio_emulator)
    _, own, inheriting = seed(twilio_emulator)
    out = tmp_path / "exported"
    code, _, err, log = run_cli(
        twilio_emulator, capsys, "export", "--out", str(out), "--subaccount", own, "--subaccount", inheriting
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["Pulumi.yaml", "__main__.py"]
    assert all(method == "GET" for method, _, _ in log)
    # Reads: one account list, the main table, and per subaccount its Settings (+ its table unless it inherits).
    assert Counter(path for _, path, _ in log) == Counter(
        {"/2010-04-01/Accounts.json": 1, "/v1/DialingPermissions/Countries": 2, "/v1/Settings": 2}
    )

    source = (out / "__main__.py").read_text()
    ast.parse(source)
    assert "Subaccount(" not in source.replace("SubaccountInheritance(", "")  # adopted by SID, never created
    assert source.count("DialingPermissions(\n") == 2  # main and the subaccount with its own table
    assert '"AF": CountryPermissionsArgs(low_risk_numbers_enabled=False)' in source  # exceptions, compactly
    assert len(source.splitlines()) < 120
    for secret in (
        twilio_emulator.main_account.auth_token,
        *(a.auth_token for a in twilio_emulator.backend.accounts.values()),
    ):
        assert secret not in source and secret not in (out / "Pulumi.yaml").read_text()
    assert "name: twilio-dialing-export" in (out / "Pulumi.yaml").read_text()

    engine = stack(project="twilio-dialing-export")
    twilio_emulator.backend.clear_request_log()
    plan = engine.up(program(out))
    assert set(plan.kinds().values()) == {"create"}
    writes = [(r.method, r.path) for r in twilio_emulator.backend.request_log() if r.method != "GET"]
    assert writes == []
    assert set(engine.preview(program(out)).kinds().values()) == {"same"}

    # It manages what it adopted: a change behind its back shows as drift to converge.
    twilio_emulator.backend.set_flags(own, "AF", low_risk_numbers_enabled=True)
    engine.refresh()
    kinds = engine.preview(program(out)).kinds()
    assert [name for name, kind in kinds.items() if kind == "update"] == ["acme-ltd-dialing-permissions"]


def test_export_of_the_main_account_alone(twilio_emulator, monkeypatch, capsys, tmp_path):
    use_emulator(monkeypatch, twilio_emulator)
    seed(twilio_emulator)
    code, summary, log = run_json(twilio_emulator, capsys, "export", "--out", str(tmp_path / "m"))
    assert code == 0
    assert [a["kind"] for a in summary["accounts"]] == ["main"]
    assert [(m, p) for m, p, _ in log] == [("GET", "/v1/DialingPermissions/Countries")]
    source = (tmp_path / "m" / "__main__.py").read_text()
    assert "SubaccountInheritance" not in source
    # Low-risk on in FR, GB, IE, US only: the default is off and those four are the exceptions.
    assert "low_risk_numbers_enabled=False," in source
    for iso in ("FR", "GB", "IE", "US", "LV"):
        assert f'"{iso}": CountryPermissionsArgs(' in source


def test_bad_input_is_refused_before_anything_is_read_or_written(twilio_emulator, monkeypatch, capsys, tmp_path):
    use_emulator(monkeypatch, twilio_emulator)
    stranger = "AC" + "0" * 32
    out = tmp_path / "x"
    code, _, err, log = run_cli(twilio_emulator, capsys, "export", "--out", str(out), "--subaccount", stranger)
    assert code == 2 and stranger in err and "not an active subaccount" in err
    assert not out.exists()
    assert [p for _, p, _ in log] == ["/2010-04-01/Accounts.json"]

    code, _, err, log = run_cli(twilio_emulator, capsys, "export", "--out", str(out), "--project", "bad name!")
    assert code == 2 and "--project" in err and log == []

    out.mkdir()
    (out / "__main__.py").write_text("# mine\n")
    code, _, err, log = run_cli(twilio_emulator, capsys, "export", "--out", str(out))
    assert code == 2 and "--force" in err and log == []
    assert (out / "__main__.py").read_text() == "# mine\n"
    assert run_cli(twilio_emulator, capsys, "export", "--out", str(out), "--force")[0] == 0
    assert "DialingPermissions(" in (out / "__main__.py").read_text()
