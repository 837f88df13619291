"""The emulator's rules, wire format, control surface and fault injection, over a real socket."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import threading
import time

import pytest
import requests
from pulumi_twilio_dialing.emulator import Backend, Emulator, EmulatorSettings, Fault, Flags
from pulumi_twilio_dialing.emulator._backend import Principal
from pulumi_twilio_dialing.emulator._errors import TwilioError
from recording import twilio_client
from twilio.base.exceptions import TwilioException, TwilioRestException

COUNTRIES = "/v1/DialingPermissions/Countries"
BULK = "/v1/DialingPermissions/BulkCountryUpdates"


class Api:
    """Raw HTTP against the emulator, for wire-level assertions."""

    def __init__(self, emulator: Emulator, sid: str, secret: str) -> None:
        self.emulator, self.auth = emulator, (sid, secret)

    def get(self, path: str, **params: object) -> requests.Response:
        return requests.get(self.emulator.url + path, params=params, auth=self.auth, timeout=10)

    def post(self, path: str, **form: object) -> requests.Response:
        return requests.post(self.emulator.url + path, data=form, auth=self.auth, timeout=10)

    def bulk(self, entries: object) -> requests.Response:
        raw = entries if isinstance(entries, str) else json.dumps(entries)
        return self.post(BULK, UpdateRequest=raw)


def entry(iso: str, low: object = True, special: object = False, tollfraud: object = False) -> dict[str, object]:
    return {
        "iso_code": iso,
        "low_risk_numbers_enabled": low,
        "high_risk_special_numbers_enabled": special,
        "high_risk_tollfraud_numbers_enabled": tollfraud,
    }


@pytest.fixture
def emulator(twilio_emulator: Emulator) -> Emulator:
    return twilio_emulator


@pytest.fixture
def main(emulator: Emulator) -> Api:
    return Api(emulator, emulator.main_account.sid, emulator.main_account.auth_token)


def subaccount(emulator: Emulator, name: str = "tenant") -> Api:
    sub = emulator.backend.create_subaccount(Principal(emulator.main_account), name)
    return Api(emulator, sub.sid, sub.auth_token)


def assert_twilio_error(response: requests.Response, status: int, code: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert isinstance(body["message"], str) and body["message"]
    return body


# ------------------------------------------------------------------------------------------------ auth
def test_missing_or_wrong_credentials_get_twilios_401(emulator, main):
    anonymous = requests.get(emulator.url + COUNTRIES, timeout=10)
    body = assert_twilio_error(anonymous, 401, 20003)
    assert body["message"] == "Authentication Error - No credentials provided"
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    wrong = Api(emulator, emulator.main_account.sid, "0" * 32).get(COUNTRIES)
    assert assert_twilio_error(wrong, 401, 20003)["detail"] == "Your AccountSid or AuthToken was incorrect."
    unknown = Api(emulator, "AC" + "1" * 32, "x").get("/v1/Settings")
    assert assert_twilio_error(unknown, 401, 20003)["message"] == "Authentication Error - invalid username"
    # Every route, Twilio's or not, requires credentials.
    assert requests.post(emulator.url + BULK, timeout=10).status_code == 401
    assert requests.get(emulator.url + "/2010-04-01/Accounts.json", timeout=10).status_code == 401


def test_every_response_carries_a_request_id(emulator, main):
    for response in (
        main.get(COUNTRIES),
        main.get(COUNTRIES + "/XX"),
        requests.get(emulator.url + COUNTRIES, timeout=10),
    ):
        assert re.fullmatch(r"RQ[0-9a-f]{32}", response.headers["Twilio-Request-Id"])
        assert response.headers["Content-Type"].startswith("application/json")
    ids = {main.get("/v1/Settings").headers["Twilio-Request-Id"] for _ in range(5)}
    assert len(ids) == 5


def test_voice_acts_on_the_account_owning_the_credentials(emulator, main):
    tenant = subaccount(emulator)
    assert main.bulk([entry("BR", low=True, special=True)]).status_code == 201
    sub_sid = tenant.auth[0]
    assert emulator.backend.stored_flags(sub_sid, "BR") == Flags()
    assert tenant.get(COUNTRIES + "/BR").json()["high_risk_special_numbers_enabled"] is False
    assert tenant.bulk([entry("BR", low=True)]).status_code == 201
    assert emulator.backend.stored_flags(sub_sid, "BR") == Flags(low_risk_numbers_enabled=True)
    assert emulator.backend.stored_flags(emulator.main_account.sid, "BR").high_risk_special_numbers_enabled


def test_api_keys_act_as_their_account_and_standard_keys_cannot_manage_accounts(emulator, main):
    tenant = subaccount(emulator)
    key = emulator.backend.create_api_key(tenant.auth[0])
    as_key = Api(emulator, key.sid, key.secret)
    assert as_key.bulk([entry("FR")]).status_code == 201
    assert emulator.backend.stored_flags(tenant.auth[0], "FR").low_risk_numbers_enabled
    assert_twilio_error(as_key.post("/2010-04-01/Accounts.json"), 401, 20003)
    assert_twilio_error(as_key.get("/2010-04-01/Accounts/" + emulator.main_account.sid + ".json"), 401, 20003)
    assert Api(emulator, key.sid, "wrong").get(COUNTRIES).status_code == 401
    main_key = emulator.backend.create_api_key(emulator.main_account.sid, kind="main")
    created = Api(emulator, main_key.sid, main_key.secret).post("/2010-04-01/Accounts.json", FriendlyName="k")
    assert created.status_code == 201


def test_api_keys_get_an_empty_auth_token_and_main_keys_cannot_reach_subaccount_resources(emulator, main):
    """The public record (terraform-provider-twilio issue 52; Twilio's subaccount docs): a Main API key reads
    a subaccount with "auth_token": "", and is refused (401/20003) on the subaccount's own resources."""
    tenant = subaccount(emulator)
    sub_sid, sub_token = tenant.auth
    main_key = emulator.backend.create_api_key(emulator.main_account.sid, kind="main")
    as_main_key = Api(emulator, main_key.sid, main_key.secret)

    fetched = as_main_key.get(f"/2010-04-01/Accounts/{sub_sid}.json")
    assert fetched.status_code == 200 and fetched.json()["auth_token"] == ""
    listed = as_main_key.get("/2010-04-01/Accounts.json").json()["accounts"]
    assert {a["sid"] for a in listed} == {emulator.main_account.sid, sub_sid}
    assert {a["auth_token"] for a in listed} == {""}
    created = as_main_key.post("/2010-04-01/Accounts.json", FriendlyName="by key")
    assert created.status_code == 201 and created.json()["auth_token"] == ""
    renamed = as_main_key.post(f"/2010-04-01/Accounts/{sub_sid}.json", FriendlyName="renamed")
    assert renamed.status_code == 200 and renamed.json()["auth_token"] == ""
    assert sub_token not in fetched.text + json.dumps(listed) + renamed.text

    # The subaccount's own resources refuse the parent's key, as Twilio's docs and error 20003 say.
    refused = assert_twilio_error(as_main_key.post(f"/2010-04-01/Accounts/{sub_sid}/Keys.json"), 401, 20003)
    assert "main account API keys only reach main account resources" in str(refused["message"])
    assert not [k for k in emulator.backend.api_keys.values() if k.account_sid == sub_sid]
    # voice v1 has no account in its path: the key acts on its own (main) account, never the subaccount's.
    assert as_main_key.bulk([entry("BR", low=True)]).status_code == 201
    assert emulator.backend.stored_flags(emulator.main_account.sid, "BR").low_risk_numbers_enabled
    assert emulator.backend.stored_flags(sub_sid, "BR") == Flags()

    # The parent's auth token still reads the token and may create keys in the subaccount.
    assert main.get(f"/2010-04-01/Accounts/{sub_sid}.json").json()["auth_token"] == sub_token
    assert main.post(f"/2010-04-01/Accounts/{sub_sid}/Keys.json").status_code == 201
    # The former behaviour, kept as a setting for code written against it.
    emulator.settings.api_keys_see_auth_tokens = True
    assert as_main_key.get(f"/2010-04-01/Accounts/{sub_sid}.json").json()["auth_token"] == sub_token


def test_suspended_and_closed_accounts_are_refused(emulator, main):
    tenant = subaccount(emulator)
    sid = tenant.auth[0]
    assert main.post(f"/2010-04-01/Accounts/{sid}.json", Status="suspended").json()["status"] == "suspended"
    assert_twilio_error(tenant.get(COUNTRIES), 401, 10001)
    assert main.post(f"/2010-04-01/Accounts/{sid}.json", Status="active").json()["status"] == "active"
    assert tenant.get(COUNTRIES).status_code == 200
    assert main.post(f"/2010-04-01/Accounts/{sid}.json", Status="closed").json()["status"] == "closed"
    assert_twilio_error(tenant.get(COUNTRIES), 401, 20003)
    assert_twilio_error(main.post(f"/2010-04-01/Accounts/{sid}.json", Status="active"), 400, 21479)
    assert_twilio_error(main.post(f"/2010-04-01/Accounts/{sid}.json", Status="paused"), 400, 21100)
    assert_twilio_error(
        main.post(f"/2010-04-01/Accounts/{emulator.main_account.sid}.json", Status="closed"), 400, 21100
    )


# -------------------------------------------------------------------------------------------- accounts
def test_accounts_fetch_list_and_tokens(emulator, main):
    client, _ = twilio_client(emulator.url, *main.auth)
    subs = [client.api.v2010.accounts.create(friendly_name=f"t{i}") for i in range(3)]
    assert all(s.status == "active" and s.owner_account_sid == main.auth[0] for s in subs)
    assert all(re.fullmatch(r"AC[0-9a-f]{32}", s.sid) and len(s.auth_token) == 32 for s in subs)
    listed = client.api.v2010.accounts.list(page_size=2)  # pages through relative next_page_uri
    assert [a.sid for a in listed] == [main.auth[0]] + [s.sid for s in subs]
    assert [a.sid for a in client.api.v2010.accounts.list(friendly_name="t1")] == [subs[1].sid]
    page = main.get("/2010-04-01/Accounts.json", PageSize=2).json()
    assert page["next_page_uri"].startswith("/2010-04-01/Accounts.json?PageSize=2&Page=1&PageToken=")
    assert "meta" not in page and page["start"] == 0 and page["end"] == 1

    fetched = client.api.v2010.accounts(subs[0].sid).fetch()
    assert fetched.auth_token == subs[0].auth_token  # the parent sees the token
    as_sub, _ = twilio_client(emulator.url, subs[0].sid, subs[0].auth_token)
    assert as_sub.api.v2010.accounts(subs[0].sid).fetch().auth_token == subs[0].auth_token
    with pytest.raises(TwilioRestException) as refused:
        as_sub.api.v2010.accounts(main.auth[0]).fetch()
    assert refused.value.code == 20003
    with pytest.raises(TwilioRestException) as missing:
        client.api.v2010.accounts("AC" + "0" * 32).fetch()
    assert missing.value.code == 20404
    assert [a.sid for a in as_sub.api.v2010.accounts.list()] == [subs[0].sid]

    renamed = client.api.v2010.accounts(subs[0].sid).update(friendly_name="renamed")
    assert renamed.friendly_name == "renamed"
    key = client.api.v2010.accounts(subs[0].sid).new_keys.create(friendly_name="ci")
    assert key.sid.startswith("SK") and key.secret
    assert emulator.backend.api_keys[key.sid].account_sid == subs[0].sid


def test_subaccount_cap_counts_open_subaccounts_only(emulator, main):
    emulator.settings.max_subaccounts = 2
    first = main.post("/2010-04-01/Accounts.json").json()
    assert first["friendly_name"].startswith("SubAccount Created at ")
    main.post("/2010-04-01/Accounts.json", FriendlyName="two")
    body = assert_twilio_error(main.post("/2010-04-01/Accounts.json", FriendlyName="three"), 400, 21100)
    assert "limit of 2 subaccounts" in body["message"]
    main.post(f"/2010-04-01/Accounts/{first['sid']}.json", Status="closed")
    assert main.post("/2010-04-01/Accounts.json", FriendlyName="three").status_code == 201
    assert_twilio_error(main.post("/2010-04-01/Accounts.json", FriendlyName="x" * 65), 400, 21100)


# ------------------------------------------------------------------------------------------- countries
def test_country_table_and_filters(main):
    page = main.get(COUNTRIES, PageSize=1000).json()
    assert len(page["content"]) == 225
    assert page["meta"]["next_page_url"] is None
    us = main.get(COUNTRIES + "/US").json()
    assert us["name"] == "United States/Canada" and us["country_codes"] == ["+1"]
    assert main.get(COUNTRIES + "/CA").status_code == 404  # Canada is folded into US
    dominican = main.get(COUNTRIES + "/DO").json()
    assert dominican["country_codes"] == ["+1809", "+1829", "+1849"]
    europe = main.get(COUNTRIES, Continent="EUROPE", PageSize=1000).json()["content"]
    assert europe and all(c["continent"] == "EUROPE" for c in europe)
    assert [c["iso_code"] for c in main.get(COUNTRIES, CountryCode="44").json()["content"]] == ["GB"]
    assert [c["iso_code"] for c in main.get(COUNTRIES, CountryCode="+44").json()["content"]] == ["GB"]
    enabled = main.get(COUNTRIES, LowRiskNumbersEnabled="true").json()["content"]
    assert [c["iso_code"] for c in enabled] == ["US"]  # default_low_risk_countries
    assert_twilio_error(main.get(COUNTRIES, LowRiskNumbersEnabled="yes"), 400, 20001)


@pytest.mark.parametrize(
    ("form", "accepted"), [("both", {"44", "+44"}), ("with_plus", {"+44"}), ("without_plus", {"44"})]
)
def test_country_code_filter_forms_follow_the_setting(emulator, main, form, accepted):
    emulator.settings.country_code_filter = form
    for code in ("44", "+44"):
        found = [c["iso_code"] for c in main.get(COUNTRIES, CountryCode=code).json()["content"]]
        assert found == (["GB"] if code in accepted else []), code


def test_update_count_follows_the_setting(emulator, main):
    assert main.bulk([entry("GB"), entry("FR")]).json()["update_count"] == 2
    emulator.settings.bulk_update_count = "one"
    assert main.bulk([entry("GB"), entry("FR")]).json()["update_count"] == 1


def test_pagination_meta_and_bounds(main):
    first = main.get(COUNTRIES, Continent="EUROPE", PageSize=10).json()
    meta = first["meta"]
    assert meta["key"] == "content" and meta["page"] == 0 and meta["page_size"] == 10
    assert meta["url"] == "https://voice.twilio.com/v1/DialingPermissions/Countries?Continent=EUROPE&PageSize=10&Page=0"
    assert meta["first_page_url"] == meta["url"]
    assert meta["previous_page_url"] is None
    assert meta["next_page_url"].startswith(
        "https://voice.twilio.com/v1/DialingPermissions/Countries?Continent=EUROPE&PageSize=10&Page=1&PageToken="
    )
    second = main.get(
        COUNTRIES,
        Continent="EUROPE",
        PageSize=10,
        Page=1,
        PageToken=meta["next_page_url"].split("PageToken=")[1],
    )
    assert second.json()["content"][0]["iso_code"] != first["content"][0]["iso_code"]
    assert second.json()["meta"]["previous_page_url"] is not None
    for bad in (
        {"PageSize": 0},
        {"PageSize": 1001},
        {"PageSize": "ten"},
        {"Page": -1},
        {"PageToken": "nope"},
    ):
        assert_twilio_error(main.get(COUNTRIES, **bad), 400, 20001)


def test_high_risk_special_prefixes(main):
    body = main.get(COUNTRIES + "/LV/HighRiskSpecialPrefixes").json()
    assert body["content"] == [{"prefix": "+37181"}, {"prefix": "+3719000"}]
    assert body["meta"]["url"].endswith("/LV/HighRiskSpecialPrefixes?PageSize=50&Page=0")
    assert main.get(COUNTRIES + "/FR/HighRiskSpecialPrefixes").json()["content"] == []
    assert_twilio_error(main.get(COUNTRIES + "/XX/HighRiskSpecialPrefixes"), 404, 20404)


def test_unknown_iso_and_lower_case_follow_the_setting(emulator, main):
    body = assert_twilio_error(main.get(COUNTRIES + "/XX"), 404, 20404)
    assert body["message"] == "The requested resource /DialingPermissions/Countries/XX was not found"
    assert main.get(COUNTRIES + "/gb").status_code == 404
    emulator.settings.iso_code_case = "insensitive"
    assert main.get(COUNTRIES + "/gb").json()["iso_code"] == "GB"


def test_unserved_methods_and_paths_answer_in_twilio_format(main):
    assert_twilio_error(requests.delete(main.emulator.url + COUNTRIES, auth=main.auth, timeout=10), 405, 20004)
    assert_twilio_error(main.get("/v1/Nope"), 404, 20404)


# ------------------------------------------------------------------------------------------------ bulk
def test_bulk_update_accepts_booleans_and_strings_and_echoes(emulator, main):
    raw = json.dumps([entry("GB", "True", "false", False), entry("FR", True, True, "FALSE")])
    response = main.post(BULK, UpdateRequest=raw)
    assert response.status_code == 201
    assert response.json() == {"update_count": 2, "update_request": raw}
    assert emulator.backend.stored_flags(main.auth[0], "GB") == Flags(True, False, False)
    assert emulator.backend.stored_flags(main.auth[0], "FR") == Flags(True, True, False)
    emulator.settings.bulk_update_request = "accepted"
    assert main.bulk([entry("DE")]).json()["update_request"] == "accepted"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ([entry("GB"), entry("XX")], "iso_code 'XX' is not a supported country"),
        ([entry("GB"), {**entry("FR"), "low_risk_numbers": "Enabled"}], "unknown key(s) low_risk_numbers"),
        ([entry("GB"), entry("FR", low="yes")], "must be true or false"),
        ([entry("GB"), entry("FR", low=1)], "must be true or false"),
        ([entry("GB"), entry("FR", low=None)], "must be true or false"),
        ([entry("GB"), entry("gb")], "is not a supported country"),
        ([entry("GB"), entry("GB")], "appears twice"),
        ([entry("GB"), "FR"], "must be a JSON object"),
        ('{"iso_code": "GB"}', "JSON array"),
        ("not json", "JSON array"),
        ([], "non-empty"),
    ],
)
def test_a_bad_bulk_request_changes_nothing(emulator, main, payload, fragment):
    before = main.get(COUNTRIES, PageSize=1000).json()["content"]
    body = assert_twilio_error(main.bulk(payload), 400, 20001)
    assert fragment in body["message"]
    assert main.get(COUNTRIES, PageSize=1000).json()["content"] == before


def test_bulk_requires_update_request_and_caps_entries(emulator, main):
    assert "UpdateRequest" in assert_twilio_error(main.post(BULK), 400, 20001)["message"]
    emulator.settings.bulk_max_entries = 2
    assert "at most 2" in assert_twilio_error(main.bulk([entry("GB"), entry("FR"), entry("DE")]), 400, 20001)["message"]


@pytest.mark.parametrize(("setting", "expected"), [("unchanged", True), ("false", False), ("reject", None)])
def test_omitted_flag_semantics_follow_the_setting(emulator, main, setting, expected):
    emulator.backend.set_flags(main.auth[0], "GB", high_risk_special_numbers_enabled=True)
    emulator.settings.bulk_omitted_flag = setting
    response = main.bulk([{"iso_code": "GB", "low_risk_numbers_enabled": True}])
    stored = emulator.backend.stored_flags(main.auth[0], "GB")
    if expected is None:
        assert_twilio_error(response, 400, 20001)
        assert not stored.low_risk_numbers_enabled
    else:
        assert response.status_code == 201
        assert stored.low_risk_numbers_enabled
        assert stored.high_risk_special_numbers_enabled is expected


# -------------------------------------------------------------------------------- settings, inheritance
def test_inheritance_settings_and_effective_permissions(emulator, main):
    tenant = subaccount(emulator)
    sid = tenant.auth[0]
    assert tenant.get("/v1/Settings").json() == {
        "dialing_permissions_inheritance": True,
        "url": "https://voice.twilio.com/v1/Settings",
    }
    main.bulk([entry("BR", low=True)])
    assert emulator.backend.effective_flags(sid, "BR").low_risk_numbers_enabled  # inherited
    assert tenant.get(COUNTRIES + "/BR").json()["low_risk_numbers_enabled"] is False  # own table shown
    emulator.settings.inheriting_subaccount_reads = "parent"
    assert tenant.get(COUNTRIES + "/BR").json()["low_risk_numbers_enabled"] is True

    response = tenant.post("/v1/Settings", DialingPermissionsInheritance="False")  # case-insensitive
    assert response.status_code == 202
    assert response.json()["dialing_permissions_inheritance"] is False
    assert not emulator.backend.effective_flags(sid, "BR").low_risk_numbers_enabled
    assert tenant.post("/v1/Settings").json()["dialing_permissions_inheritance"] is False  # optional param
    assert_twilio_error(tenant.post("/v1/Settings", DialingPermissionsInheritance="maybe"), 400, 20001)

    emulator.settings.new_subaccount_inheritance = False
    assert subaccount(emulator, "later").get("/v1/Settings").json()["dialing_permissions_inheritance"] is False


def test_settings_on_a_main_account_follow_the_setting(emulator, main):
    assert main.get("/v1/Settings").json()["dialing_permissions_inheritance"] is False
    emulator.settings.main_account_settings = "reject"
    assert_twilio_error(main.get("/v1/Settings"), 400, 20001)


def test_propagation_delay_shows_the_previous_flags_for_a_while():
    now = [100.0]
    backend = Backend(EmulatorSettings(propagation_delay_seconds=5), clock=lambda: now[0])
    account = backend.create_main_account()
    principal = Principal(account)
    backend.bulk_update(principal, json.dumps([entry("GB")]), apply=True)
    assert not backend.fetch_country(principal, "GB")[1].low_risk_numbers_enabled
    now[0] += 5.1
    assert backend.fetch_country(principal, "GB")[1].low_risk_numbers_enabled


# ------------------------------------------------------------------------------------------------ faults
def test_error_faults_fire_for_exactly_the_next_n_matching_requests(emulator, main):
    emulator.backend.faults.add(Fault("error", count=2, status=429, path_prefix=COUNTRIES))
    assert main.get("/v1/Settings").status_code == 200  # does not match
    statuses = [main.get(COUNTRIES).status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    emulator.backend.faults.add(Fault("error", count=1, status=503, method="POST"))
    assert_twilio_error(main.bulk([entry("GB")]), 503, 20500)
    assert not emulator.backend.stored_flags(main.auth[0], "GB").low_risk_numbers_enabled
    assert emulator.backend.faults.active() == []


def test_429_body_and_retry_after(emulator, main):
    emulator.settings.retry_after_seconds = 3
    emulator.backend.faults.add(Fault("error", count=1))
    response = main.get(COUNTRIES)
    assert assert_twilio_error(response, 429, 20429)["message"] == "Too Many Requests"
    assert response.headers["Retry-After"] == "3"


def test_fractional_faults_are_reproducible():
    def run() -> list[int]:
        with Emulator() as emulator:
            api = Api(emulator, emulator.main_account.sid, emulator.main_account.auth_token)
            emulator.backend.faults.add(Fault("error", fraction=0.5, status=500))
            return [api.get("/v1/Settings").status_code for _ in range(20)]

    first = run()
    assert first == run()
    assert 3 < first.count(500) < 17


def test_latency_drop_and_account_filter(emulator, main):
    tenant = subaccount(emulator)
    emulator.backend.faults.add(Fault("latency", count=1, seconds=0.3, account_sid=tenant.auth[0]))
    emulator.backend.clear_request_log()
    main.get("/v1/Settings")
    started = time.perf_counter()
    tenant.get("/v1/Settings")
    assert time.perf_counter() - started >= 0.3
    assert [r.faults for r in emulator.backend.request_log()] == [(), ("latency",)]  # only the tenant's

    emulator.backend.faults.add(Fault("drop", count=1))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # headers, then the connection closes
        main.get(COUNTRIES + "/US")
    assert main.get(COUNTRIES + "/US").status_code == 200


def test_garbled_answers_are_complete_http_but_unreadable_json_after_processing(emulator, main):
    emulator.backend.faults.add(Fault("garble", count=1, method="POST"))
    answered = main.bulk([entry("GB", special=True)])
    assert answered.status_code == 201  # the status it would have had: the write was processed
    assert answered.headers["Content-Type"].startswith("application/json")
    assert len(answered.content) == int(answered.headers["Content-Length"]) > 0  # nothing lost on the way
    with pytest.raises(ValueError):
        json.loads(answered.text)
    intact = main.bulk([entry("GB", special=True)]).text
    assert intact.startswith(answered.text) and len(answered.text) == len(intact) // 2
    assert emulator.backend.stored_flags(main.auth[0], "GB").high_risk_special_numbers_enabled
    assert [(r.status, r.faults) for r in emulator.backend.request_log()][-2:] == [(201, ("garble",)), (201, ())]


def test_accepted_but_not_applied_writes(emulator, main):
    tenant = subaccount(emulator)
    emulator.backend.faults.add(Fault("accept_not_apply", count=3, method="POST"))
    assert main.bulk([entry("GB", special=True)]).status_code == 201
    assert emulator.backend.stored_flags(main.auth[0], "GB") == Flags()
    assert tenant.post("/v1/Settings", DialingPermissionsInheritance="false").status_code == 202
    assert tenant.get("/v1/Settings").json()["dialing_permissions_inheritance"] is True
    renamed = main.post(f"/2010-04-01/Accounts/{tenant.auth[0]}.json", FriendlyName="x")
    assert renamed.status_code == 200
    assert emulator.backend.accounts[tenant.auth[0]].friendly_name == "tenant"


def test_concurrency_cap_answers_429(emulator, main):
    emulator.settings.max_concurrent_requests = 1
    emulator.backend.faults.add(Fault("latency", count=1, seconds=2))
    slow = threading.Thread(target=main.get, args=("/v1/Settings",))
    slow.start()
    deadline = time.monotonic() + 5
    while emulator.backend.in_flight(main.auth[0]) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    response = main.get("/v1/Settings")  # while the slow one holds the only slot
    slow.join()
    assert_twilio_error(response, 429, 20429)
    assert main.get("/v1/Settings").status_code == 200


def test_list_failures_reach_the_twilio_client_as_plain_twilio_exception(emulator, main):
    client, _ = twilio_client(emulator.url, *main.auth)
    emulator.backend.faults.add(Fault("error", count=1))
    with pytest.raises(TwilioException) as raised:
        client.voice.v1.dialing_permissions.countries.list()
    assert not isinstance(raised.value, TwilioRestException)
    assert raised.value.args[1].status_code == 429


def test_echo_credentials_faults_echo_the_authorization_header_and_form(emulator, main):
    header = "Basic " + base64.b64encode(f"{main.auth[0]}:{main.auth[1]}".encode()).decode()
    emulator.backend.clear_request_log()

    emulator.backend.faults.add(Fault("echo_credentials", count=1, status=400, method="POST"))
    answered = main.bulk([entry("GB")])
    body = assert_twilio_error(answered, 400, 20001)
    assert header in body["message"] and "UpdateRequest=" in body["message"]
    assert not emulator.backend.stored_flags(main.auth[0], "GB").low_risk_numbers_enabled  # not processed

    emulator.backend.faults.add(Fault("echo_credentials", count=1, status=401))
    refused = main.get("/v1/Settings")
    assert header in assert_twilio_error(refused, 401, 20003)["message"]
    assert refused.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'

    fault = {"kind": "echo_credentials", "count": 1, "status": 502, "echo_format": "text"}
    [added] = requests.post(emulator.url + "/__emulator__/faults", json=fault, timeout=10).json()
    assert added["echo_format"] == "text"
    page = main.post("/v1/Settings", DialingPermissionsInheritance="false")
    assert page.status_code == 502
    assert page.headers["Content-Type"].startswith("text/html")
    assert f"Authorization: {header}" in page.text and "DialingPermissionsInheritance=false" in page.text
    assert re.fullmatch(r"RQ[0-9a-f]{32}", page.headers["Twilio-Request-Id"])
    assert emulator.backend.faults.active() == []

    log = emulator.backend.request_log()
    assert [(r.status, r.faults) for r in log] == [(s, ("echo_credentials",)) for s in (400, 401, 502)]
    dumped = json.dumps([r.as_dict() for r in log])
    assert main.auth[1] not in dumped and header[6:] not in dumped and "Authorization" not in dumped


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [
        ({"kind": "echo_credentials", "count": 1}, "echo_credentials fault answers 400, 401"),  # no default status
        ({"kind": "echo_credentials", "count": 1, "status": 429}, "echo_credentials fault answers"),
        ({"kind": "echo_credentials", "count": 1, "status": 400, "echo_format": "xml"}, "echo_format must be"),
        ({"kind": "error", "count": 1, "status": 500, "echo_format": "text"}, "echo_credentials faults only"),
    ],
)
def test_echo_credentials_faults_are_validated(emulator, fault, fragment):
    with pytest.raises(ValueError, match=fragment):
        Fault(**fault)
    answered = requests.post(emulator.url + "/__emulator__/faults", json=fault, timeout=10)
    assert answered.status_code == 400 and fragment in answered.json()["error"]


# ------------------------------------------------------------------------------------------- request log
def test_request_log_is_exact_and_holds_no_credentials(emulator, main):
    tenant = subaccount(emulator)
    emulator.backend.clear_request_log()
    main.get(COUNTRIES, PageSize=5)
    tenant.bulk([entry("GB")])
    requests.get(emulator.url + "/v1/Settings", timeout=10)
    requests.get(emulator.url + "/__emulator__/health", timeout=10)  # control calls are not logged
    log = emulator.backend.request_log()
    assert [(r.method, r.path, r.account_sid, r.status) for r in log] == [
        ("GET", COUNTRIES, main.auth[0], 200),
        ("POST", BULK, tenant.auth[0], 201),
        ("GET", "/v1/Settings", None, 401),
    ]
    assert log[0].query == {"PageSize": "5"}
    assert json.loads(log[1].form["UpdateRequest"]) == [entry("GB")]
    dumped = json.dumps([r.as_dict() for r in log])
    assert main.auth[1] not in dumped and tenant.auth[1] not in dumped


def test_control_surface_over_http(emulator, main):
    control = emulator.url + "/__emulator__"
    seeded = requests.post(control + "/accounts", json={"parent_sid": main.auth[0], "friendly_name": "c"}, timeout=10)
    sub = seeded.json()
    assert Api(emulator, sub["sid"], sub["auth_token"]).get("/v1/Settings").status_code == 200
    key = requests.post(control + f"/accounts/{sub['sid']}/keys", json={}, timeout=10).json()
    assert Api(emulator, key["sid"], key["secret"]).get("/v1/Settings").status_code == 200

    drift = requests.put(
        control + f"/accounts/{main.auth[0]}/countries/GB",
        json={"high_risk_tollfraud_numbers_enabled": True},
        timeout=10,
    ).json()
    assert drift["stored"]["high_risk_tollfraud_numbers_enabled"] is True
    assert main.get(COUNTRIES + "/GB").json()["high_risk_tollfraud_numbers_enabled"] is True
    assert (
        requests.put(control + f"/accounts/{main.auth[0]}/countries/GB", json={"bogus": 1}, timeout=10).status_code
        == 400
    )

    requests.put(
        control + f"/accounts/{sub['sid']}/inheritance",
        json={"dialing_permissions_inheritance": False},
        timeout=10,
    )
    assert emulator.backend.accounts[sub["sid"]].inheritance is False

    requests.post(control + "/faults", json={"kind": "error", "count": 1, "status": 503}, timeout=10)
    assert main.get("/v1/Settings").status_code == 503
    assert requests.post(control + "/faults", json={"kind": "nope", "count": 1}, timeout=10).status_code == 400

    assert (
        requests.post(control + "/settings", json={"bulk_max_entries": 5}, timeout=10).json()["bulk_max_entries"] == 5
    )
    assert requests.post(control + "/settings", json={"bogus": 5}, timeout=10).status_code == 400

    logged = requests.get(control + "/requests", timeout=10).json()
    assert logged and all("Authorization" not in json.dumps(e) for e in logged)
    requests.post(control + "/reset", timeout=10)
    assert requests.get(control + "/requests", timeout=10).json() == []
    assert main.get(COUNTRIES + "/GB").json()["high_risk_tollfraud_numbers_enabled"] is False  # state reset
    assert main.get("/v1/Settings").status_code == 200  # main credentials survive a reset
    assert Api(emulator, sub["sid"], sub["auth_token"]).get("/v1/Settings").status_code == 401


def test_control_settings_are_validated_by_type_and_nothing_is_stored_on_error(emulator):
    control = emulator.url + "/__emulator__/settings"
    before = requests.get(control, timeout=10).json()
    for change, message in [
        ({"bulk_max_entries": "abc"}, 'emulator setting bulk_max_entries must be a non-negative integer, got "abc"'),
        ({"new_subaccount_inheritance": 1}, "emulator setting new_subaccount_inheritance must be true or false, got 1"),
        ({"iso_code_case": "loose"}, 'must be one of "strict", "insensitive", got "loose"'),
        ({"retry_after_seconds": "3"}, "retry_after_seconds must be a non-negative integer or null"),
        ({"default_low_risk_countries": "GB"}, 'default_low_risk_countries must be a list of strings, got "GB"'),
        # one bad value refuses the whole request: the good one is not stored either
        ({"max_subaccounts": 5, "propagation_delay_seconds": -1}, "propagation_delay_seconds must be a non-negative"),
    ]:
        response = requests.post(control, json=change, timeout=10)
        assert response.status_code == 400, change
        assert message in response.json()["error"]
        assert requests.get(control, timeout=10).json() == before
    # the emulator still answers (a stored "abc" used to turn every bulk update into a 500)
    assert requests.post(control, json={"retry_after_seconds": None, "propagation_delay_seconds": 1}, timeout=10).ok
    assert emulator.settings.propagation_delay_seconds == 1.0


def test_control_reset_restores_the_settings_the_emulator_started_with():
    started = EmulatorSettings.from_dict({"bulk_max_entries": 7})
    with Emulator(settings=started) as emulator:
        settings = emulator.settings  # code holding the object sees the restored values
        control = emulator.url + "/__emulator__"
        requests.post(control + "/settings", json={"bulk_max_entries": 3, "iso_code_case": "insensitive"}, timeout=10)
        assert (settings.bulk_max_entries, settings.iso_code_case) == (3, "insensitive")
        assert requests.post(control + "/reset", timeout=10).ok
        assert settings is emulator.settings
        assert settings.to_dict() == EmulatorSettings.from_dict({"bulk_max_entries": 7}).to_dict()


def test_settings_round_trip_through_a_file(tmp_path):
    settings = EmulatorSettings.from_dict({"default_low_risk_countries": ["GB", "IE"], "retry_after_seconds": 2})
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings.to_dict()))
    loaded = EmulatorSettings.from_file(path)
    assert loaded == settings
    assert loaded.default_low_risk_countries == ("GB", "IE")
    path.write_text("[1]")
    with pytest.raises(ValueError, match=r"must hold a JSON object of setting name to value, got list"):
        EmulatorSettings.from_file(path)
    path.write_text("{")
    with pytest.raises(ValueError, match=r"is not valid JSON"):
        EmulatorSettings.from_file(path)
    with pytest.raises(ValueError, match=r"unknown emulator settings \['bogus'\]"):
        EmulatorSettings.from_dict({"bogus": 1})


def test_twilio_error_factories_carry_twilio_codes():
    assert (TwilioError.not_found("/x").status, TwilioError.not_found("/x").code) == (404, 20404)
    assert TwilioError.too_many_requests().code == 20429


# ------------------------------------------------------------------------------------------------- CLI
def test_cli_prints_url_and_credentials_and_serves():
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi_twilio_dialing._cli", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(4)]
        assert lines[0].startswith("Twilio emulator listening on http://127.0.0.1:")
        values = dict(line.split("=", 1) for line in lines[1:])
        response = requests.get(
            values["TWILIO_DIALING_API_URL"] + "/v1/Settings",
            auth=(values["TWILIO_ACCOUNT_SID"], values["TWILIO_AUTH_TOKEN"]),
            timeout=10,
        )
        assert response.status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_accepted_connections_send_without_nagle_delay():
    # Nagle's algorithm with the client's delayed ACK made each kept-alive answer wait ~44 ms; the figure
    # itself is a benchmark (benchmarks/emulator_round_trip.py), the cause is checked here.
    import socket

    with Emulator() as emulator:
        assert emulator._socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.parametrize("prompt", [True, False], ids=["prompt-stop", "uvicorn-own-stop"])
def test_stop_is_graceful_for_an_answer_in_flight_and_closes_idle_connections(prompt, monkeypatch):
    # stop() wakes the server at once rather than on uvicorn's 0.1 s tick (the figure is a benchmark:
    # benchmarks/emulator_start_stop.py); what shutdown does is still uvicorn's, checked here, and so is
    # the fallback to uvicorn's own loop and shutdown for a uvicorn without the internals the prompt stop
    # relies on.
    from pulumi_twilio_dialing.emulator import _server

    if not prompt:
        monkeypatch.setattr(_server._PromptServer, "_prompt", lambda self: False)
    with Emulator() as emulator:
        main = emulator.main_account
        url = f"{emulator.url}/2010-04-01/Accounts/{main.sid}.json"
        auth = (main.sid, main.auth_token)
        with requests.Session() as idle:
            idle.get(url, auth=auth, timeout=10).raise_for_status()  # a kept-alive connection, now idle
            # long enough that this thread sees it in flight even when the machine is busy
            emulator.backend.faults.add(Fault("latency", count=1, seconds=1.0))
            answers: list[requests.Response] = []
            slow = threading.Thread(target=lambda: answers.append(requests.get(url, auth=auth, timeout=10)))
            slow.start()
            deadline = time.monotonic() + 5
            while emulator.backend.in_flight(main.sid) == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert emulator.backend.in_flight(main.sid) == 1
            emulator.stop()
            slow.join()
            assert [answer.status_code for answer in answers] == [200]  # finished, not cut off
            assert answers[0].json()["sid"] == main.sid
            with pytest.raises(requests.ConnectionError):  # the idle connection was closed, nothing listens
                idle.get(url, auth=auth, timeout=10)
