"""The engine harness itself, proven with a throwaway file resource through the real provider server."""

from __future__ import annotations

import base64
from pathlib import Path

import pulumi
import pytest
from harness.engine import UNKNOWN, CheckFailedError, ProviderError, is_secret
from harness.local_file import LocalFile

LABEL_KEY = "twilio-dialing-tests:label"
TOKEN_KEY = "twilio-dialing-tests:token"
TOKEN = "tok-3f9a61c0-very-secret"


def file_program(path: Path, content: str, note: pulumi.Input[str] | None = None):
    return lambda: LocalFile("note", path=str(path), content=content, note=note)


def test_full_lifecycle_through_the_real_server(make_engine, tmp_path):
    target = tmp_path / "a.txt"
    engine = make_engine(config={LABEL_KEY: "from-config"})

    plan = engine.preview(file_program(target, "one"))
    assert plan.kinds() == {"note": "create"}
    assert not target.exists()
    assert engine.calls_of("Create") == []
    assert "sha256" not in plan.steps["note"].outputs  # computed outputs are unknown in preview

    plan = engine.up(file_program(target, "one"))
    assert plan.kinds() == {"note": "create"}
    assert target.read_text() == "one"
    outputs = engine.state["note"].outputs
    assert outputs["content"] == "one"
    assert outputs["label"] == "from-config"  # Configure delivered the stack config
    assert engine.state["note"].id == str(target)

    calls_before = len(engine.calls)
    plan = engine.up(file_program(target, "one"))
    assert plan.kinds() == {"note": "same"}
    assert [m for m, _ in engine.calls[calls_before:]] == ["Check", "Diff"]

    plan = engine.up(file_program(target, "two"))
    assert plan.kinds() == {"note": "update"}
    assert target.read_text() == "two"
    assert engine.state["note"].outputs["content"] == "two"

    target.write_text("drifted")
    plan = engine.refresh()
    assert plan.kinds() == {"note": "refresh"}
    assert engine.state["note"].outputs["content"] == "drifted"
    assert engine.state["note"].inputs["content"] == "drifted"  # ReadResult.inputs re-bases inputs

    assert engine.preview(file_program(target, "two")).kinds() == {"note": "update"}
    engine.up(file_program(target, "two"))
    assert target.read_text() == "two"

    moved = tmp_path / "b.txt"
    plan = engine.up(file_program(moved, "two"))
    assert plan.kinds() == {"note": "replace"}
    assert plan.steps["note"].replaces == ["path"]
    assert moved.read_text() == "two"
    assert not target.exists()  # create-before-delete removed the old file
    assert engine.state["note"].id == str(moved)

    engine.destroy()
    assert engine.state == {}
    assert not moved.exists()


def test_refresh_drops_a_resource_deleted_out_of_band(make_engine, tmp_path):
    target = tmp_path / "gone.txt"
    engine = make_engine()
    engine.up(file_program(target, "x"))
    target.unlink()
    assert engine.refresh().kinds() == {"note": "gone"}
    assert engine.state == {}


def test_removing_a_resource_from_the_program_deletes_it(make_engine, tmp_path):
    first, second = tmp_path / "1.txt", tmp_path / "2.txt"
    engine = make_engine()

    def both():
        LocalFile("first", path=str(first), content="1")
        LocalFile("second", path=str(second), content="2")

    engine.up(both)
    plan = engine.up(lambda: LocalFile("first", path=str(first), content="1"))
    assert plan.kinds() == {"first": "same", "second": "delete"}
    assert first.exists() and not second.exists()


def test_unknown_inputs_reach_check_in_preview(make_engine, tmp_path):
    engine = make_engine()

    def chained():
        source = LocalFile("source", path=str(tmp_path / "s.txt"), content="s")
        LocalFile("copy", path=str(tmp_path / "c.txt"), content=source.sha256)

    plan = engine.preview(chained)
    assert plan.kinds() == {"source": "create", "copy": "create"}
    assert plan.steps["copy"].outputs["content"] == UNKNOWN
    assert engine.calls_of("Create") == []


def test_check_failures_stop_the_step(make_engine):
    engine = make_engine()
    with pytest.raises(CheckFailedError) as failed:
        engine.up(lambda: LocalFile("bad", path="relative.txt", content="x"))
    assert failed.value.failures == [("path", "path must be an absolute path, got 'relative.txt'")]
    assert engine.calls_of("Create") == []
    assert engine.state == {}


def test_provider_exceptions_surface_with_their_traceback(make_engine, tmp_path):
    engine = make_engine()
    with pytest.raises(ProviderError) as failed:
        engine.up(lambda: LocalFile("bad", path=str(tmp_path / "missing" / "x.txt"), content="x"))
    assert failed.value.method == "Create"
    assert "FileNotFoundError" in failed.value.details


def test_secret_inputs_come_back_secret_and_config_secrets_stay_out_of_the_pickle(make_engine, tmp_path):
    engine = make_engine(config={TOKEN_KEY: TOKEN}, secret_keys={TOKEN_KEY})
    registrations = engine.registrations(
        file_program(tmp_path / "s.txt", "x", pulumi.Output.secret("hush")), preview=False
    )
    assert is_secret(registrations[0].inputs["note"])

    engine.up(file_program(tmp_path / "s.txt", "x", pulumi.Output.secret("hush")))
    state = engine.state["note"]
    assert "note" in state.secret_outputs
    assert "content" not in state.secret_outputs
    blob = base64.b64decode(state.outputs["__provider"])
    assert TOKEN.encode() not in blob
    assert TOKEN not in engine.export()


def test_provider_in_an_importable_module_is_pickled_by_reference(make_engine, tmp_path):
    engine = make_engine()
    [registration] = engine.registrations(file_program(tmp_path / "p.txt", "x"), preview=False)
    wrapped = registration.inputs["__provider"]
    assert is_secret(wrapped)  # serialize_as_secret_always
    blob = base64.b64decode(wrapped["value"])
    assert b"harness.local_file" in blob
    assert b"LocalFileProvider" in blob
    # By-value pickles carry code objects built through dill's helpers; by-reference ones do not.
    assert b"_create_code" not in blob
    assert b"_create_function" not in blob
    assert len(blob) < 200, len(blob)
