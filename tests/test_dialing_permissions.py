"""DialingPermissions (account-wide, bulk) through the real provider server against the emulator."""

from __future__ import annotations

import pytest
from conftest import stack_config
from harness.engine import CheckFailedError, ProviderError
from helpers import country, flags, make_subaccount, requests_made
from pulumi_twilio_dialing import (
    UNCHANGED,
    CountryPermissionsArgs,
    DialingPermissionCountry,
    DialingPermissionCountryArgs,
    DialingPermissions,
    DialingPermissionsArgs,
)
from pulumi_twilio_dialing.emulator import Fault

TYPE = "pulumi-python:dynamic/twilio-dialing:DialingPermissions"
LIST = ("GET", "/v1/DialingPermissions/Countries")
BULK = ("POST", "/v1/DialingPermissions/BulkCountryUpdates")
HARDENING = CountryPermissionsArgs(UNCHANGED, False, False)


def permissions(name: str = "permissions", **args):
    return lambda: DialingPermissions(name, DialingPermissionsArgs(**args))


def table(emulator, account: str) -> dict[str, object]:
    backend = emulator.backend
    return {iso: backend.stored_flags(account, iso) for iso in backend.accounts[account].flags}


def test_type_token(stack):
    [registration] = stack().registrations(permissions(default=HARDENING), preview=True)
    assert registration.type == TYPE


def test_hardening_lifecycle(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "GB", high_risk_special_numbers_enabled=True)
    backend.set_flags(main, "FR", low_risk_numbers_enabled=True, high_risk_tollfraud_numbers_enabled=True)
    backend.set_flags(main, "LV", high_risk_special_numbers_enabled=True, high_risk_tollfraud_numbers_enabled=True)
    original = table(twilio_emulator, main)
    engine = stack()
    hardening = permissions(default=HARDENING)

    # preview of the create: one read, so it can say per country what the create would change
    assert requests_made(twilio_emulator, lambda: engine.preview(hardening)) == [LIST]
    assert f"DialingPermissions of {main} would change: 3 countries" in engine.provider_output
    assert (
        "  LV: high_risk_special_numbers_enabled true -> false, high_risk_tollfraud_numbers_enabled true -> false"
        in (engine.provider_output)
    )
    assert "FR: high_risk_tollfraud_numbers_enabled true -> false\n" in engine.provider_output  # low-risk untouched
    assert backend.stored_flags(main, "GB") == flags(special=True)  # nothing written

    # create: one list (check's read, reused), one bulk request for the three countries, one verifying list
    assert requests_made(twilio_emulator, lambda: engine.up(hardening)) == [LIST, BULK, LIST]
    bulk = next(r for r in backend.request_log() if r.method == "POST")
    assert '"iso_code": "FR"' in bulk.form["UpdateRequest"] and bulk.form["UpdateRequest"].count("iso_code") == 3
    assert backend.stored_flags(main, "GB") == flags()
    assert backend.stored_flags(main, "FR") == flags(low=True)  # low-risk left as it was
    assert backend.stored_flags(main, "LV") == flags()
    assert backend.stored_flags(main, "US") == flags(low=True)
    state = engine.state["permissions"]
    assert state.id == main
    assert state.outputs["permissions_before_adoption"]["GB"]["high_risk_special_numbers_enabled"] is True
    assert len(state.outputs["permissions"]) == 225
    assert state.outputs["default"] == {
        "low_risk_numbers_enabled": UNCHANGED,
        "high_risk_special_numbers_enabled": False,
        "high_risk_tollfraud_numbers_enabled": False,
    }

    # an unchanged program: no change and no request
    backend.clear_request_log()
    assert engine.preview(hardening).kinds() == {"permissions": "same"}
    assert backend.request_log() == []

    # drift: refresh reads the table once and reports it per country
    backend.set_flags(main, "DE", high_risk_tollfraud_numbers_enabled=True)
    assert requests_made(twilio_emulator, engine.refresh) == [LIST]
    assert "DialingPermissions of " + main + " drifted: 1 country" in engine.provider_output
    assert "DE: high_risk_tollfraud_numbers_enabled false -> true" in engine.provider_output
    plan = engine.preview(hardening)
    assert plan.kinds() == {"permissions": "update"}
    assert (
        f"DialingPermissions of {main} would change: 1 country\n  DE: high_risk_tollfraud_numbers_enabled true -> false"
        in engine.provider_output
    )
    assert requests_made(twilio_emulator, lambda: engine.up(hardening)) == [LIST, BULK, LIST]
    assert backend.stored_flags(main, "DE") == flags()

    # one country
    brazil = permissions(default=HARDENING, countries={"BR": CountryPermissionsArgs(low_risk_numbers_enabled=True)})
    assert requests_made(twilio_emulator, lambda: engine.up(brazil)) == [LIST, BULK, LIST]
    assert backend.stored_flags(main, "BR") == flags(low=True)
    assert engine.state["permissions"].inputs["countries"] == {
        "BR": {
            "low_risk_numbers_enabled": True,
            "high_risk_special_numbers_enabled": False,
            "high_risk_tollfraud_numbers_enabled": False,
        }
    }

    # the default changes: every country but BR loses low-risk
    locked = permissions(
        default=CountryPermissionsArgs(False, False, False),
        countries={"BR": {"low_risk_numbers_enabled": True}},
    )
    engine.up(locked)
    assert backend.stored_flags(main, "US") == flags()
    assert backend.stored_flags(main, "FR") == flags()
    assert backend.stored_flags(main, "BR") == flags(low=True)

    # on_delete alone: state only
    assert (
        requests_made(
            twilio_emulator,
            lambda: engine.up(
                permissions(
                    default=CountryPermissionsArgs(False, False, False),
                    countries={"BR": {"low_risk_numbers_enabled": True}},
                    on_delete="restore",
                )
            ),
        )
        == []
    )

    # destroy puts back every flag it manages as found at adoption
    engine.destroy()
    assert table(twilio_emulator, main) == original


def test_whole_table_in_chunks(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    for iso in backend.accounts[main].flags:
        backend.set_flags(main, iso, high_risk_special_numbers_enabled=True)
    engine = stack()
    assert requests_made(twilio_emulator, lambda: engine.up(permissions(default=HARDENING))) == [
        LIST,
        BULK,
        BULK,
        BULK,
        LIST,
    ]
    assert all(not f.high_risk_special_numbers_enabled for f in table(twilio_emulator, main).values())
    engine.destroy()

    config = stack_config(twilio_emulator, **{"twilio-dialing:bulkChunkSize": "250"})
    one_chunk = stack(config=config)
    assert requests_made(twilio_emulator, lambda: one_chunk.up(permissions(default=HARDENING))) == [LIST, BULK, LIST]


def test_a_failure_in_the_middle_is_put_back_and_the_restore_points_survive(twilio_emulator, stack):
    """Chunk 3 of 5 fails once (and, with a tiny retry budget, is not retried): the create puts back the
    100 countries it had written and the 50 it may have, so Twilio is as before and the engine keeps
    nothing; the retry then adopts the original table, and destroy restores all 225 countries."""
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    for iso in backend.accounts[main].flags:
        backend.set_flags(main, iso, high_risk_tollfraud_numbers_enabled=True)
    original = table(twilio_emulator, main)
    config = stack_config(
        twilio_emulator, **{"twilio-dialing:bulkChunkSize": "50", "twilio-dialing:retryTimeout": "0.001"}
    )
    engine = stack(config=config)
    backend.faults.add(Fault("error", status=500, count=1, after=2, path_prefix=BULK[1]))
    with pytest.raises(ProviderError) as failed:
        engine.up(permissions(default=HARDENING))
    details = failed.value.details
    assert "PartialWriteError" in details
    assert "BulkCountryUpdates request 3 of 5" in details
    assert "Applied: 100 countries (AD, AE," in details
    assert "Put back the 150 setting(s) it had changed" in details
    assert "Twilio matches Pulumi's state again" in details
    assert engine.state == {}
    assert table(twilio_emulator, main) == original

    engine.up(permissions(default=HARDENING))
    assert all(not f.high_risk_tollfraud_numbers_enabled for f in table(twilio_emulator, main).values())
    engine.destroy()
    assert table(twilio_emulator, main) == original


def test_a_failed_update_is_put_back_and_keeps_the_restore_point(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    original = table(twilio_emulator, main)
    config = stack_config(
        twilio_emulator, **{"twilio-dialing:bulkChunkSize": "50", "twilio-dialing:retryTimeout": "0.001"}
    )
    engine = stack(config=config)
    engine.up(permissions(default=HARDENING))  # nothing to harden: US low-risk only
    before = dict(engine.state["permissions"].outputs)

    backend.faults.add(Fault("error", status=503, count=1, after=1, path_prefix=BULK[1]))
    locked = permissions(default=CountryPermissionsArgs(True, False, False))
    with pytest.raises(ProviderError, match="PartialWriteError") as failed:
        engine.up(locked)
    assert "Put back the 100 setting(s)" in failed.value.details
    assert engine.state["permissions"].outputs == before
    assert table(twilio_emulator, main) == original  # Twilio matches the state the engine kept
    # reverting the program is a true no-op: nothing was left behind
    assert requests_made(twilio_emulator, lambda: engine.up(permissions(default=HARDENING))) == []
    backend.faults.clear()
    engine.up(locked)
    assert all(f == flags(low=True) for f in table(twilio_emulator, main).values())
    engine.destroy()
    assert table(twilio_emulator, main) == original


def test_a_silent_non_application_is_detected(twilio_emulator, stack):
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    backend.set_flags(main, "GB", high_risk_special_numbers_enabled=True)
    backend.set_flags(main, "FR", high_risk_special_numbers_enabled=True)
    backend.faults.add(Fault("accept_not_apply", count=1, path_prefix=BULK[1]))
    engine = stack()
    with pytest.raises(ProviderError) as failed:
        engine.up(permissions(default=HARDENING))
    assert "GB.high_risk_special_numbers_enabled wanted false, found true" in failed.value.details
    assert "FR.high_risk_special_numbers_enabled wanted false, found true" in failed.value.details


def test_unknown_countries_fail_at_create_before_any_write(twilio_emulator, stack):
    engine = stack()
    backend = twilio_emulator.backend
    backend.clear_request_log()
    with pytest.raises(ProviderError) as failed:
        engine.up(permissions(countries={"AQ": {"low_risk_numbers_enabled": True}, "GB": {}}))
    assert "countries lists AQ, which Twilio's Dialing Permissions country list" in failed.value.details
    assert "Nothing was written" in failed.value.details
    assert [r.method for r in backend.request_log()] == ["GET"]


@pytest.mark.parametrize(
    ("args", "prop", "fragment"),
    [
        ({"countries": {"gb": {}}}, "countries.gb", "iso_code 'gb' must be upper-case: use 'GB'"),
        ({"countries": {"UK": {}}}, "countries.UK", "use 'GB'"),
        ({"countries": {"GB": {"low_risk": True}}}, "countries.GB.low_risk", "is not a known key"),
        (
            {"countries": {"GB": {"low_risk_numbers_enabled": "yes"}}},
            "countries.GB.low_risk_numbers_enabled",
            "must be true, false or \"unchanged\", got 'yes'",
        ),
        ({"countries": ["GB"]}, "countries", "must be an object"),
        ({"countries": {"GB": True}}, "countries.GB", "must be an object"),
        (
            {"default": {"low_risk_numbers_enabled": "keep"}},
            "default.low_risk_numbers_enabled",
            'must be true, false or "unchanged"',
        ),
        ({"default": {"high_risk": False}}, "default.high_risk", "is not a known key"),
        ({"default": "harden"}, "default", "must be an object"),
        ({"on_delete": "disable"}, "on_delete", "must be one of 'restore' or 'retain'"),
        ({"account_sid": "AC1"}, "account_sid", "is not an account SID"),
    ],
)
def test_bad_input_is_refused_at_check(twilio_emulator, stack, args, prop, fragment):
    from pulumi.dynamic import Resource
    from pulumi_twilio_dialing.dialing_permissions import DialingPermissionsProvider

    def program() -> None:
        Resource.__init__(
            DialingPermissions.__new__(DialingPermissions), DialingPermissionsProvider(), "p", dict(args), None
        )

    engine = stack()
    twilio_emulator.backend.clear_request_log()
    with pytest.raises(CheckFailedError) as failed:
        engine.preview(program)
    reasons = dict(failed.value.failures)
    assert prop in reasons, failed.value.failures
    assert fragment in reasons[prop]
    assert twilio_emulator.backend.request_log() == []


def test_managing_a_country_twice_fails_at_check(twilio_emulator, stack):
    engine = stack()

    def both() -> None:
        DialingPermissions("hardening", DialingPermissionsArgs(default=HARDENING))
        DialingPermissionCountry("gb", DialingPermissionCountryArgs(iso_code="GB"))

    with pytest.raises(CheckFailedError) as failed:
        engine.preview(both)
    # resources register concurrently: whichever is checked second is the one refused
    [(prop, reason)] = failed.value.failures
    main = twilio_emulator.main_account.sid
    assert prop in ("iso_code", "default")
    assert f"of account {main} would be managed by both this" in reason
    assert "DialingPermissionCountry (iso_code GB)" in reason
    assert "DialingPermissions" in reason.replace("DialingPermissionCountry", "")

    def listed_twice() -> None:
        DialingPermissions(
            "only-fr", DialingPermissionsArgs(countries={"FR": {}, "GB": {"low_risk_numbers_enabled": False}})
        )
        DialingPermissionCountry("gb", DialingPermissionCountryArgs(iso_code="GB"))

    with pytest.raises(CheckFailedError, match="GB of account"):
        stack().preview(listed_twice)

    def listed_but_unmanaged() -> None:
        # every flag of GB "unchanged": DialingPermissions manages nothing of GB, so there is no conflict
        DialingPermissions("only-fr", DialingPermissionsArgs(countries={"FR": {}, "GB": {}}))
        DialingPermissionCountry("gb", DialingPermissionCountryArgs(iso_code="GB"))

    stack().preview(listed_but_unmanaged)


def test_separate_countries_or_accounts_do_not_conflict(twilio_emulator, stack):
    sub = make_subaccount(twilio_emulator)

    def fine() -> None:
        DialingPermissions("only-fr", DialingPermissionsArgs(countries={"FR": {}}))
        country("gb", iso_code="GB")()
        DialingPermissions("sub", DialingPermissionsArgs(account_sid=sub, default=HARDENING))

    engine = stack()
    engine.up(fine)
    assert engine.up(fine).kinds() == {"only-fr": "same", "gb": "same", "sub": "same"}


def test_on_a_subaccount_with_parent_credentials(twilio_emulator, stack):
    backend = twilio_emulator.backend
    sub = make_subaccount(twilio_emulator)
    backend.set_flags(sub, "GB", high_risk_special_numbers_enabled=True)
    engine = stack()
    sent = requests_made(twilio_emulator, lambda: engine.up(permissions(account_sid=sub, default=HARDENING)))
    assert sent == [("GET", f"/2010-04-01/Accounts/{sub}.json"), LIST, BULK, LIST]
    assert backend.stored_flags(sub, "GB") == flags()
    assert backend.stored_flags(twilio_emulator.main_account.sid, "US") == flags(low=True)


def test_preview_of_a_create_without_credentials_still_works(twilio_emulator, stack):
    engine = stack(config={"twilio-dialing:apiUrl": twilio_emulator.url})
    assert engine.preview(permissions(default=HARDENING)).kinds() == {"permissions": "create"}
    assert "cannot show the per-country changes of the create: Twilio credentials are missing" in (
        engine.provider_output
    )
