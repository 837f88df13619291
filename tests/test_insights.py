"""``twilio-dialing insights`` and what the emulator serves for it: Monitor ``/v1/Alerts`` (checked against
Twilio's OpenAPI description) and ``POST .../Calls.json``, which checks the caller's effective dialing
permissions (inheritance included) and answers 21215 with an alert recorded when blocked."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from helpers import flags, main_gateway, make_subaccount
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from ops_helpers import run_cli, run_json, use_emulator
from pulumi_twilio_dialing import (  # noqa: F401 - the names the suggested change uses
    CountryPermissionsArgs,
    DialingPermissions,
    DialingPermissionsArgs,
)
from recording import twilio_client
from test_emulator_openapi import _tighten
from twilio.base.exceptions import TwilioRestException

MONITOR_SPEC = Path(__file__).parent / "data" / "twilio-oai" / "twilio_monitor_v1.json"
CALL_KEYS = {
    "account_sid",
    "answered_by",
    "api_version",
    "caller_name",
    "date_created",
    "date_updated",
    "direction",
    "duration",
    "end_time",
    "forwarded_from",
    "from",
    "from_formatted",
    "group_sid",
    "parent_call_sid",
    "phone_number_sid",
    "price",
    "price_unit",
    "queue_time",
    "sid",
    "start_time",
    "status",
    "subresource_uris",
    "to",
    "to_formatted",
    "trunk_sid",
    "uri",
}  # fmt: skip  (api.v2010.account.call in twilio_api_v2010.json)
FRANCE, LATVIA_SPECIAL, UK = "+33612345678", "+37181000000", "+447700900123"


def call(emulator, sid: str, to: str):
    """Place a call from account ``sid`` with its own auth token through the unmodified twilio library."""
    token = emulator.backend.accounts[sid].auth_token
    client, _ = twilio_client(emulator.url, sid, token)
    return client.calls.create(to=to, from_="+15005550006", url="https://example.com/twiml")


def blocked(emulator, sid: str, to: str) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as caught:
        call(emulator, sid, to)
    return caught.value


# ------------------------------------------------------------------------------------------ emulator
def test_a_call_is_checked_against_effective_permissions_inheritance_included(twilio_emulator):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    inheriting, own = make_subaccount(twilio_emulator, "inherits"), make_subaccount(twilio_emulator, "own")
    backend.set_inheritance(inheriting, True)
    backend.set_inheritance(own, False)
    backend.set_flags(own, "FR", low_risk_numbers_enabled=True)  # its own table allows France...
    backend.set_flags(inheriting, "FR", low_risk_numbers_enabled=True)  # ...this one's is ignored: it inherits

    error = blocked(twilio_emulator, inheriting, FRANCE)
    assert (error.status, error.code) == (400, 21215)
    assert f"Account not authorized to call {FRANCE}" in error.msg
    placed = call(twilio_emulator, own, FRANCE)
    assert (placed.status, placed.direction, placed.to) == ("queued", "outbound-api", FRANCE)
    assert placed.sid.startswith("CA") and placed.account_sid == own

    backend.set_flags(main, "FR", low_risk_numbers_enabled=True)  # the parent opens France
    assert call(twilio_emulator, inheriting, FRANCE).status == "queued"
    backend.set_inheritance(inheriting, False)
    backend.set_flags(inheriting, "FR", low_risk_numbers_enabled=False)
    assert blocked(twilio_emulator, inheriting, FRANCE).code == 21215

    # Exactly one alert per blocked call, on the calling account, with the number in its text.
    alerts = [(a.account_sid, a.error_code) for a in backend.alerts]
    assert alerts == [(inheriting, "21215"), (inheriting, "21215")]
    assert dict(parse_qsl(backend.alerts[0].alert_text))["phonenumber"] == FRANCE
    assert [c.to for c in backend.calls] == [FRANCE, FRANCE]


def test_a_high_risk_special_number_needs_the_high_risk_special_flag(twilio_emulator):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "LV", low_risk_numbers_enabled=True)
    assert call(twilio_emulator, main, "+37121234567").status == "queued"  # not in a special range
    error = blocked(twilio_emulator, main, LATVIA_SPECIAL)  # +37181 is one of LV's special prefixes
    assert "geo-permissions/high-risk" in error.msg
    backend.set_flags(main, "LV", high_risk_special_numbers_enabled=True)
    assert call(twilio_emulator, main, LATVIA_SPECIAL).status == "queued"


def test_the_call_resource_has_twilios_shape_and_bad_input_gets_twilios_codes(twilio_emulator):
    main = twilio_emulator.main_account
    twilio_emulator.backend.set_flags(main.sid, "FR", low_risk_numbers_enabled=True)
    client, recorder = twilio_client(twilio_emulator.url, main.sid, main.auth_token)
    client.calls.create(to=FRANCE, from_="+15005550006", twiml="<Response/>")
    body = json.loads(recorder.exchanges[-1].response.text)
    assert recorder.exchanges[-1].response.status_code == 201
    assert set(body) == CALL_KEYS
    assert body["uri"] == f"/2010-04-01/Accounts/{main.sid}/Calls/{body['sid']}.json"
    for kwargs, code in (
        ({"to": "", "from_": "+15005550006", "url": "https://x"}, 21201),
        ({"to": FRANCE, "from_": "", "url": "https://x"}, 21603),
        ({"to": FRANCE, "from_": "+15005550006"}, 21205),
        ({"to": "0612345678", "from_": "+15005550006", "url": "https://x"}, 21211),
    ):
        with pytest.raises(TwilioRestException) as caught:
            client.calls.create(**kwargs)
        assert caught.value.code == code
    assert twilio_emulator.backend.alerts == []  # only a permissions block records an alert


def test_an_account_cannot_place_calls_for_an_account_it_does_not_own(twilio_emulator):
    one, other = make_subaccount(twilio_emulator, "one"), make_subaccount(twilio_emulator, "other")
    token = twilio_emulator.backend.accounts[one].auth_token
    client, _ = twilio_client(twilio_emulator.url, one, token)
    with pytest.raises(TwilioRestException) as caught:
        client.api.v2010.accounts(other).calls.create(to=FRANCE, from_="+15005550006", url="https://x")
    assert caught.value.status == 401
    assert twilio_emulator.backend.alerts == []


def test_alerts_are_per_account_paged_filtered_and_match_twilios_description(twilio_emulator):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account
    now = datetime.now(UTC)
    for hours in range(120):
        backend.add_alert(
            main.sid, "21215", f"Msg=x&phonenumber=%2B3361234{hours:04d}", date_generated=now - timedelta(hours=hours)
        )
    backend.add_alert(main.sid, "11200", "warning text", log_level="warning", date_generated=now)
    sub = make_subaccount(twilio_emulator, "other")
    backend.add_alert(sub, "21215", "someone else's")

    gateway = main_gateway(twilio_emulator)
    backend.clear_request_log()
    recent = gateway.list_alerts(start_date=now - timedelta(hours=48, seconds=-1))
    assert len(recent) == 48 + 1  # the warning too; the subaccount's alert is not the main account's
    assert [a.date_generated for a in recent] == sorted((a.date_generated for a in recent), reverse=True)
    assert len(backend.request_log()) == 1  # one page of up to 1000

    client, recorder = twilio_client(twilio_emulator.url, main.sid, main.auth_token)
    everything = client.monitor.v1.alerts.list(page_size=50)
    assert len(everything) == 121 and len(recorder.exchanges) == 3  # next_page_url followed
    assert [a.error_code for a in client.monitor.v1.alerts.list(log_level="warning")] == ["11200"]
    day = (now - timedelta(days=1)).strftime("%Y-%m-%d")
    dated = client.monitor.v1.alerts.list(end_date=datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC))
    assert dated and all(a.date_generated.strftime("%Y-%m-%d") <= day for a in dated)

    spec = json.loads(MONITOR_SPEC.read_text())
    spec["paths"] = {"/v1/Alerts": spec["paths"]["/v1/Alerts"]}
    _tighten(spec["components"]["schemas"])
    _tighten(spec["paths"]["/v1/Alerts"]["get"]["responses"])
    openapi = OpenAPI.from_dict(spec)
    for exchange in recorder.exchanges:
        url = urlsplit(exchange.url)
        assert f"{url.scheme}://{url.netloc}" == "https://monitor.twilio.com"
        query = {k: str(v) for k, v in {**dict(exchange.params), **dict(parse_qsl(url.query))}.items()}
        request = MockRequest("https://monitor.twilio.com", "GET", url.path, args=query)
        response = MockResponse(exchange.response.text.encode(), status_code=200, content_type="application/json")
        openapi.validate_response(request, response)


# ------------------------------------------------------------------------------------------ insights
def seed(emulator):
    """Tenants with blocked calls: placed through the emulator (21215) and seeded (13227, 32205, older ones)."""
    backend, main = emulator.backend, emulator.main_account.sid
    acme, globex = make_subaccount(emulator, "Acme Ltd"), make_subaccount(emulator, "Globex")
    backend.set_inheritance(acme, False)
    backend.set_inheritance(globex, True)
    for _ in range(2):
        blocked(emulator, acme, FRANCE)
    blocked(emulator, acme, LATVIA_SPECIAL)
    blocked(emulator, globex, UK)
    now = datetime.now(UTC)
    backend.add_alert(globex, "13227", "Dial: Geo Permission configuration is not permitting call to +33140000000")
    # The caller's own number comes first in this text: the destination's key wins.
    sip = "Msg=SIP+not+permitted&From=%2B15005550006&To=%2B33140000001"
    backend.add_alert(globex, "32205", sip, date_generated=now - timedelta(days=3))
    backend.add_alert(globex, "13227", "too old: +33140000002", date_generated=now - timedelta(days=9))
    backend.add_alert(acme, "11200", "an HTTP retrieval failure, not a blocked call")
    backend.add_alert(acme, "21215", "a text without any number")
    return main, acme, globex


def test_insights_counts_blocked_calls_per_tenant_and_country(twilio_emulator, monkeypatch, capsys):
    use_emulator(monkeypatch, twilio_emulator)
    main, acme, globex = seed(twilio_emulator)
    code, report, log = run_json(twilio_emulator, capsys, "insights", "--subaccounts", "--since", "7d")
    assert code == 0
    by_sid = {a["account_sid"]: a for a in report["accounts"]}
    assert by_sid[main]["blocked"] == 0 and by_sid[main]["countries"] == []
    acme_countries = {c["iso_code"]: c for c in by_sid[acme]["countries"]}
    assert acme_countries["FR"]["blocked"] == 2
    assert acme_countries["FR"]["codes"] == {"21215": 2}
    assert acme_countries["FR"]["high_risk_special_prefix"] is False
    assert acme_countries["FR"]["flags_to_enable"] == ["low_risk_numbers_enabled"]
    assert acme_countries["LV"]["high_risk_special_prefix"] is True
    assert acme_countries["LV"]["flags_to_enable"] == ["high_risk_special_numbers_enabled"]
    assert acme_countries["??"]["blocked"] == 1  # counted, not guessed
    assert by_sid[acme]["permissions_of"] == acme
    globex_countries = {c["iso_code"]: c for c in by_sid[globex]["countries"]}
    assert globex_countries["FR"]["codes"] == {"13227": 1, "32205": 1}  # the 9-day-old one is out of range
    assert globex_countries["GB"]["numbers"] == [UK]
    assert by_sid[globex]["dialing_permissions_inheritance"] is True
    assert by_sid[globex]["permissions_of"] == main  # it inherits: the parent's table decides
    assert f'account_sid="{main}"' in by_sid[globex]["change"]

    requests = Counter((method, path) for method, path, _ in log)
    assert all(method == "GET" for method, _ in requests)
    assert requests[("GET", "/v1/Alerts")] == 3  # one page per account
    assert requests[("GET", "/2010-04-01/Accounts.json")] == 1
    assert requests[("GET", "/v1/Settings")] == 2  # only tenants with blocked calls
    assert requests[("GET", "/v1/DialingPermissions/Countries")] == 2  # main, and acme (it has its own)
    prefix_reads = [p for (_, p) in requests if p.endswith("/HighRiskSpecialPrefixes")]
    assert sorted(prefix_reads) == sorted(
        f"/v1/DialingPermissions/Countries/{iso}/HighRiskSpecialPrefixes" for iso in ("FR", "GB", "LV")
    )
    assert all(requests[("GET", p)] == 1 for p in prefix_reads)  # once per country, not per tenant
    since = [q["StartDate"] for m, p, q in log if p == "/v1/Alerts"]
    assert len(set(since)) == 1 and since[0].endswith("Z")


def test_the_suggested_change_lets_the_blocked_calls_through(twilio_emulator, monkeypatch, capsys, stack):
    use_emulator(monkeypatch, twilio_emulator)
    _, acme, globex = seed(twilio_emulator)
    code, report, _ = run_json(twilio_emulator, capsys, "insights", "--subaccounts")
    changes = [a["change"] for a in report["accounts"] if a["change"]]
    assert code == 0 and len(changes) == 2
    program = "\n\n".join(changes)
    stack().up(lambda: exec(compile(program, "<insights>", "exec"), dict(globals())))  # noqa: S102
    assert call(twilio_emulator, acme, FRANCE).status == "queued"
    assert call(twilio_emulator, acme, LATVIA_SPECIAL).status == "queued"
    assert call(twilio_emulator, globex, UK).status == "queued"
    # Only the flags that were needed: nothing else was opened.
    assert twilio_emulator.backend.stored_flags(acme, "FR") == flags(low=True)
    assert twilio_emulator.backend.stored_flags(acme, "LV") == flags(special=True)
    # Run again: nothing is blocked any more in the tables, so no flag is left to enable.
    code, again, _ = run_json(twilio_emulator, capsys, "insights", "--subaccounts")
    countries = [c for a in again["accounts"] for c in a["countries"]]
    assert code == 0 and countries  # the blocked calls are still reported ...
    assert all(c["flags_to_enable"] == [] for c in countries)  # ... with nothing left to enable


def test_insights_prints_a_table_and_the_code(twilio_emulator, monkeypatch, capsys):
    use_emulator(monkeypatch, twilio_emulator)
    _, acme, _ = seed(twilio_emulator)
    code, out, _, _ = run_cli(twilio_emulator, capsys, "insights", "--subaccounts", "--since", "2d")
    assert code == 0
    assert "Acme Ltd" in out and "FR France" in out and "LV Latvia" in out
    assert '"FR": CountryPermissionsArgs(low_risk_numbers_enabled=True),' in out
    token = twilio_emulator.backend.accounts[acme].auth_token
    assert token not in out and twilio_emulator.main_account.auth_token not in out


@pytest.mark.parametrize("since", ["40d", "7", "1w", "0d", ""])
def test_a_bad_since_is_refused_before_any_request(twilio_emulator, monkeypatch, capsys, since):
    use_emulator(monkeypatch, twilio_emulator)
    code, out, err, log = run_cli(twilio_emulator, capsys, "insights", "--since", since)
    assert code == 2 and out == ""
    assert "--since" in err
    assert log == []
