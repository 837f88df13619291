"""Findings of the final review of the typed-properties change: one test per finding.

Each docstring says what the user does, what happens, and what should happen.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from harness.digest import preview_digest
from helpers import country, main_gateway, make_subaccount
from ops_helpers import preview_report_json
from pulumi_twilio_dialing import (
    AuthenticationError,
    DialingPermissionCountry,
    DialingPermissionCountryArgs,
    NotFoundError,
    Subaccount,
    SubaccountArgs,
    SubaccountInheritance,
    SubaccountInheritanceArgs,
    TwilioApiError,
    TwilioConnectionError,
)
from twilio.base.version import Version
from twilio.http.response import Response

pytestmark = pytest.mark.timeout(120)

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # Pulumi's placeholder for a value known only at apply
TOLLFRAUD = "high_risk_tollfraud_numbers_enabled"
INHERITANCE = "dialing_permissions_inheritance"


def _report(capsys: pytest.CaptureFixture[str], tmp_path: Path, digest: dict[str, Any]) -> tuple[int, Any]:
    return preview_report_json(capsys, tmp_path, digest)


def test_preview_report_flags_an_update_whose_risk_raising_setting_is_known_only_at_apply(
    twilio_emulator, stack, capsys, tmp_path
):
    """The user previews an update of a DialingPermissionCountry whose toll-fraud flag (or a
    SubaccountInheritance whose setting) now comes from another resource's Output, known only at apply.
    Happened: "some inputs are secret or known only at apply time", no change, no risk, --fail-on-risk
    exited 0 (a create with the same unknown is flagged). Should: flag that toll-fraud ranges (inheritance)
    may turn on (exit 3)."""
    sub = make_subaccount(twilio_emulator)

    def program(on: bool):
        def run() -> None:
            DialingPermissionCountry(
                "gb", DialingPermissionCountryArgs(iso_code="GB", high_risk_tollfraud_numbers_enabled=on)
            )
            SubaccountInheritance(
                "inherit", SubaccountInheritanceArgs(account_sid=sub, dialing_permissions_inheritance=on)
            )

        return run

    engine = stack()
    engine.up(program(False))
    digest = preview_digest(engine, program(True))
    assert [s["op"] for s in digest["steps"]] == ["update", "update"]
    assert _report(capsys, tmp_path, digest)[0] == 3  # known: flagged
    hidden = copy.deepcopy(digest)
    for step in hidden["steps"]:
        inputs = step["newState"]["inputs"]
        inputs[TOLLFRAUD if TOLLFRAUD in inputs else INHERITANCE] = UNKNOWN
    code, document = _report(capsys, tmp_path, hidden)
    assert code == 3, document
    assert {(r["resource"], r["item"], r["setting"]) for r in document["risk_raising"]} == {
        ("gb", "GB", TOLLFRAUD),
        ("inherit", "subaccount", INHERITANCE),
    }


def test_a_country_whose_state_lost_its_iso_code_is_restored_by_its_id(twilio_emulator, stack):
    """The user destroys a DialingPermissionCountry whose state lost its iso_code (an edited export put
    back). Happened: the typed state read the country as "" and the destroy listed every country
    (GET /v1/DialingPermissions/Countries), then failed with pydantic's validation dump (before the typed
    change: a bare KeyError). Should: the ID names the country (``AC…/GB``), as a refresh reads it: put
    GB back from its restore points with the usual requests for one country."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    before = backend.stored_flags(main, "GB")
    engine = stack()
    engine.up(country("gb", iso_code="GB", high_risk_special_numbers_enabled=True))
    del engine.state["gb"].outputs["iso_code"]
    backend.clear_request_log()
    engine.destroy()
    assert backend.stored_flags(main, "GB") == before
    assert {entry.path for entry in backend.request_log()} == {
        "/v1/DialingPermissions/Countries/GB",
        "/v1/DialingPermissions/BulkCountryUpdates",
    }


def _problem(status: int, code: int, title: str) -> str:
    """An error body in RFC 9457's shape (Problem Details), which newer Twilio APIs answer with."""
    return json.dumps(
        {"type": f"https://www.twilio.com/docs/errors/{code}", "title": title, "status": status, "code": code}
    )


@pytest.mark.parametrize(
    ("status", "code", "method", "error"),
    [
        (404, 20404, "GET", NotFoundError),
        (401, 20003, "GET", AuthenticationError),
        (400, 21201, "POST", TwilioApiError),
    ],
)
def test_an_error_answer_in_problem_details_form_is_a_refusal_not_a_lost_answer(
    twilio_emulator, status, code, method, error
):
    """Twilio answers an error with an RFC 9457 body (``type``, ``title``, ``status``, ``code``), as its newer
    APIs do; twilio 9.9 and later raise TwilioServiceException for it, no TwilioRestException. Happened: the
    gateway read it as an unreadable answer (TwilioConnectionError: retried as if lost, a 404 no
    NotFoundError, a refused write "may or may not have been carried out"). Should: a TwilioApiError with the
    status and code, as for Twilio's usual error body, not retried."""
    sleeps: list[float] = []
    gateway = main_gateway(twilio_emulator, sleep=sleeps.append)
    answer = Response(status, _problem(status, code, "Refused"))
    path = "/v1/DialingPermissions/Countries/GB"

    def refused() -> None:
        raise Version.exception(method, path, answer, "Unable to fetch record")

    with pytest.raises(TwilioApiError) as raised:
        gateway._call(method, path, refused, idempotent=method == "GET")
    assert not isinstance(raised.value, TwilioConnectionError)
    assert isinstance(raised.value, error)
    assert (raised.value.status, raised.value.code) == (status, code)
    assert sleeps == []  # a refusal is not retried


def test_an_up_after_the_state_lost_iso_code_keeps_the_restore_points(twilio_emulator, stack):
    """The user runs `pulumi up` again after the state of a DialingPermissionCountry lost its iso_code (an
    edited export put back). Happened: the diff saw iso_code change from nothing to 'GB' and replaced the
    resource; the replacement adopted GB with the values this stack had set as its restore points, so the
    destroy left GB's high-risk special services on where they had been off (before the typed change: a
    KeyError at diff, nothing written). Should: the ID names the country, as a refresh reads it: no
    replacement, and the original restore points still put GB back."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    before = backend.stored_flags(main, "GB")
    program = country("gb", iso_code="GB", high_risk_special_numbers_enabled=True)
    engine = stack()
    engine.up(program)
    del engine.state["gb"].outputs["iso_code"]
    plan = engine.up(program)
    assert plan.steps["gb"].kind == "same"  # nothing to change: GB is as the program wants it
    engine.destroy()
    assert backend.stored_flags(main, "GB") == before


def test_an_adopted_subaccount_whose_state_lost_on_delete_is_not_closed(twilio_emulator, stack):
    """The user destroys a Subaccount that adopted an existing subaccount (``account_sid``), whose state
    lost on_delete (an edited export put back). Happened: delete fell back to "close", the default of a
    subaccount the resource creates, and closed the customer's subaccount, which Twilio never reopens.
    Should: fall back as check does: "retain" for an adopted subaccount."""
    sub = make_subaccount(twilio_emulator, "Customer A")
    engine = stack()
    engine.up(lambda: Subaccount("tenant", SubaccountArgs(friendly_name="Customer A", account_sid=sub)))
    assert engine.state["tenant"].outputs["on_delete"] == "retain"
    del engine.state["tenant"].outputs["on_delete"]
    engine.destroy()
    assert twilio_emulator.backend.accounts[sub].status == "active"
