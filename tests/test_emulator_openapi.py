"""Every voice v1 operation the emulator serves, walked with the unmodified twilio client, and every
request and response checked against Twilio's own OpenAPI description by openapi-core.

The spec's schemas allow extra and missing keys; the test tightens them (every declared property required,
no undeclared ones) before handing them to openapi-core, so a missing or invented field fails too."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData
from recording import Exchange, twilio_client
from twilio.http.response import Response

SPEC = Path(__file__).parent / "data" / "twilio-oai" / "twilio_voice_v1.json"
SHARED_SPEC = Path(__file__).resolve().parents[2] / "shared" / "twilio-oai" / "twilio_voice_v1.json"
VOICE_PATHS = {
    "/v1/DialingPermissions/Countries",
    "/v1/DialingPermissions/Countries/{IsoCode}",
    "/v1/DialingPermissions/Countries/{IsoCode}/HighRiskSpecialPrefixes",
    "/v1/DialingPermissions/BulkCountryUpdates",
    "/v1/Settings",
}


def _tighten(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" and isinstance(node.get("properties"), dict):
            node["additionalProperties"] = False
            if node["properties"]:  # OpenAPI 3.0 forbids an empty required list
                node["required"] = sorted(node["properties"])
        for value in node.values():
            _tighten(value)
    elif isinstance(node, list):
        for value in node:
            _tighten(value)


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    spec = json.loads(SPEC.read_text())
    # Only the operations the emulator serves, tightened.
    spec["paths"] = {p: v for p, v in spec["paths"].items() if p in VOICE_PATHS}
    _tighten(spec["components"]["schemas"])
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                _tighten(operation["responses"])
    return OpenAPI.from_dict(spec)


def _validate(openapi: OpenAPI, exchange: Exchange) -> None:
    url = urlsplit(exchange.url)
    assert f"{url.scheme}://{url.netloc}" == "https://voice.twilio.com"
    query = dict(exchange.params)
    if url.query:  # next-page links carry their parameters in the URL
        from urllib.parse import parse_qsl

        query.update(parse_qsl(url.query))
    headers = {k: str(v) for k, v in exchange.headers.items()}
    headers["Authorization"] = "Basic placeholder"
    request = MockRequest(
        "https://voice.twilio.com",
        exchange.method,
        url.path,
        args={k: str(v) for k, v in query.items()},
        headers=headers,
        data=urlencode({k: str(v) for k, v in exchange.data.items()}).encode() if exchange.data else None,
        content_type="application/x-www-form-urlencoded",
    )
    openapi.validate_request(request)
    response = MockResponse(
        exchange.response.text.encode(),
        status_code=exchange.response.status_code,
        headers=dict(exchange.response.headers),
        content_type="application/json",
    )
    openapi.validate_response(request, response)


def test_the_vendored_spec_is_twilios(tmp_path):
    if not SHARED_SPEC.exists():
        pytest.skip("../shared/twilio-oai is not beside this checkout")
    assert SPEC.read_bytes() == SHARED_SPEC.read_bytes()


def test_every_voice_operation_matches_twilios_openapi_description(twilio_emulator, openapi):
    main = twilio_emulator.main_account
    client, recorder = twilio_client(twilio_emulator.url, main.sid, main.auth_token)
    permissions = client.voice.v1.dialing_permissions

    countries = permissions.countries.list(page_size=40)  # several pages, following next_page_url
    assert len(countries) == 225
    filtered = permissions.countries.list(
        iso_code="GB",
        continent="EUROPE",
        country_code="+44",
        low_risk_numbers_enabled=False,
        high_risk_special_numbers_enabled=False,
        high_risk_tollfraud_numbers_enabled=False,
    )
    assert [c.iso_code for c in filtered] == ["GB"]
    us = permissions.countries("US").fetch()
    assert us.name == "United States/Canada"
    assert us.country_codes == ["+1"]
    prefixes = permissions.countries("GB").highrisk_special_prefixes.list(page_size=4)
    assert len(prefixes) == 6
    update = permissions.bulk_country_updates.create(
        update_request=json.dumps(
            [
                {
                    "iso_code": "GB",
                    "low_risk_numbers_enabled": True,
                    "high_risk_special_numbers_enabled": "true",
                    "high_risk_tollfraud_numbers_enabled": "false",
                }
            ]
        )
    )
    assert update.update_count == 1

    sub = client.api.v2010.accounts.create(friendly_name="tenant")
    sub_client, sub_recorder = twilio_client(twilio_emulator.url, sub.sid, sub.auth_token)
    settings = sub_client.voice.v1.dialing_permissions.settings()
    assert settings.fetch().dialing_permissions_inheritance is True
    assert settings.update(dialing_permissions_inheritance=False).dialing_permissions_inheritance is False

    voice = [e for e in recorder.exchanges + sub_recorder.exchanges if "voice.twilio.com" in e.url]
    operations = {(e.method, e.response.status_code) for e in voice}
    assert operations == {("GET", 200), ("POST", 201), ("POST", 202)}
    assert len(voice) == 6 + 1 + 1 + 2 + 1 + 2
    for exchange in voice:
        _validate(openapi, exchange)


def test_spec_validation_rejects_a_wrong_body(openapi, twilio_emulator):
    """The check has teeth: a response with an undeclared key fails validation."""
    main = twilio_emulator.main_account
    client, recorder = twilio_client(twilio_emulator.url, main.sid, main.auth_token)
    client.voice.v1.dialing_permissions.countries("US").fetch()
    exchange = recorder.exchanges[0]
    _validate(openapi, exchange)
    body = json.loads(exchange.response.text)
    body["invented"] = 1
    tampered = Response(exchange.response.status_code, json.dumps(body), exchange.response.headers)
    with pytest.raises(InvalidData):
        _validate(openapi, dataclasses.replace(exchange, response=tampered))
    del body["invented"], body["continent"]
    tampered = Response(exchange.response.status_code, json.dumps(body), exchange.response.headers)
    with pytest.raises(InvalidData):
        _validate(openapi, dataclasses.replace(exchange, response=tampered))
