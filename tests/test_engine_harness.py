"""The engine harness itself, proven with a throwaway file resource through the real provider server."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import grpc
import pulumi
import pytest
from google.protobuf import any_pb2
from harness.engine import (
    SERVER_WORKERS,
    UNKNOWN,
    CheckFailedError,
    DeploymentError,
    ProviderError,
    init_failure_of,
    is_secret,
)
from harness.local_file import LocalFile
from harness.probe import Folder, Probe, RenamedProbe, read_log
from pulumi.runtime.proto import provider_pb2, status_pb2

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


# ------------------------------------------------------------------------------------- whole-program up
# The Probe resource (harness/probe.py) logs every Create/Update/Delete/Read it serves, in the server.
def starts(log: Path, since: int = 0) -> list[tuple[str, str]]:
    """(op, label) of every provider call the Probe log recorded, in the order they started."""
    return [(e["op"], e["label"]) for e in read_log(log)[since:] if e["phase"] == "start"]


def peak(log: Path, op: str) -> int:
    return max(e["in_flight"] for e in read_log(log) if e["op"] == op and e["phase"] == "start")


def probes(log: Path, **specs: dict) -> Callable[[], None]:
    """A program registering one Probe per keyword, in order, with those Probe arguments."""
    return lambda: [Probe(name, log=log, **spec) for name, spec in specs.items()]


def test_create_before_delete_deletes_the_original_at_the_end_of_the_up(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine(parallel=False)
    engine.up(probes(log, a={"key": "k1"}, b={"value": "1"}))
    original = engine.state["a"].id
    mark = len(read_log(log))

    plan = engine.up(probes(log, a={"key": "k2"}, b={"value": "2"}))
    assert plan.kinds() == {"a": "replace", "b": "update"}
    assert starts(log, mark) == [("create", "a"), ("update", "b"), ("delete", "a")]
    assert [(s.kind, s.id) for s in plan.deletions] == [("delete", original)]
    assert engine.pending_deletes() == []
    assert engine.state["a"].inputs["key"] == "k2"


def _fail_midway(engine, log: Path, fail_file: Path) -> None:
    """v1 has a, b, c; v2 replaces a, fails updating b, would create d and drops c."""
    engine.up(probes(log, a={"key": "k1"}, b={"value": "1", "fail_file": fail_file}, c={}))
    fail_file.write_text(json.dumps({"update": "raise"}))
    with pytest.raises(ProviderError) as failed:
        engine.up(probes(log, a={"key": "k2"}, b={"value": "2", "fail_file": fail_file}, d={}))
    assert (failed.value.method, failed.value.name, failed.value.partial) == ("Update", "b", False)


def test_a_failed_up_keeps_what_it_did_runs_no_deletion_and_leaves_pending_deletes(make_engine, tmp_path):
    log, fail_file = tmp_path / "log", tmp_path / "fail.json"
    engine = make_engine(parallel=False)
    engine.up(probes(log, a={"key": "k1"}, b={"value": "1", "fail_file": fail_file}, c={}))
    original = engine.state["a"]
    mark = len(read_log(log))
    fail_file.write_text(json.dumps({"update": "raise"}))
    with pytest.raises(ProviderError):
        engine.up(probes(log, a={"key": "k2"}, b={"value": "2", "fail_file": fail_file}, d={}))

    # The replacement was made; b's update failed, so d was never stepped and nothing was deleted.
    assert starts(log, mark) == [("create", "a"), ("update", "b")]
    assert engine.calls_of("Check")[-3:] == ["a", "a", "b"]  # a checked twice: the replace re-checks
    assert engine.last_plan is not None and engine.last_plan.kinds() == {"a": "replace"}
    assert engine.state["a"].inputs["key"] == "k2"
    assert engine.pending_deletes() == [original]
    assert original.pending_delete and original.inputs["key"] == "k1"
    assert engine.state["b"].inputs["value"] == "1"  # the failed update changed nothing
    assert "c" in engine.state  # no longer in the program, but not deleted
    assert "d" not in engine.state
    assert [r.name for r in engine.resources()] == ["a", "a", "b", "c"]  # this run's entries first
    exported = json.loads(engine.export())
    assert exported[original.urn]["pending_delete"] is True
    assert exported["a"]["pending_delete"] is False


def test_the_next_up_deletes_pending_deletes_at_the_end(make_engine, tmp_path):
    log, fail_file = tmp_path / "log", tmp_path / "fail.json"
    engine = make_engine(parallel=False)
    _fail_midway(engine, log, fail_file)
    original = engine.pending_deletes()[0]
    fail_file.unlink()
    mark, calls = len(read_log(log)), len(engine.calls)

    plan = engine.up(probes(log, a={"key": "k2"}, b={"value": "2", "fail_file": fail_file}, d={}))
    # pulumi/pulumi#11027: pending deletes go with the other deletions, newest first, after every other step.
    assert starts(log, mark) == [("update", "b"), ("create", "d"), ("delete", "c"), ("delete", "a")]
    assert engine.calls[calls] == ("Check", "a")
    assert plan.kinds() == {"a": "same", "b": "update", "d": "create", "c": "delete", original.urn: "delete"}
    assert [s.id for s in plan.deletions][-1] == original.id
    assert engine.pending_deletes() == []
    assert sorted(engine.state) == ["a", "b", "d"]


def test_engines_before_v3_46_deleted_pending_deletes_first(make_engine, tmp_path):
    log, fail_file = tmp_path / "log", tmp_path / "fail.json"
    engine = make_engine(parallel=False, pending_deletes="first")
    _fail_midway(engine, log, fail_file)
    original = engine.pending_deletes()[0]
    fail_file.unlink()
    mark, calls = len(read_log(log)), len(engine.calls)

    plan = engine.up(probes(log, a={"key": "k2"}, b={"value": "2", "fail_file": fail_file}, d={}))
    assert engine.calls[calls] == ("Delete", "a")  # before any Check
    assert plan.kinds() == {"a": "same", "b": "update", "d": "create", "c": "delete", original.urn: "delete"}
    assert [s.name for s in plan.deletions] == ["a", "c"]
    assert plan.deletions[0].id == original.id
    assert starts(log, mark) == [("delete", "a"), ("update", "b"), ("create", "d"), ("delete", "c")]
    assert engine.pending_deletes() == []


def test_preview_shows_the_deletes_an_up_would_run_without_running_them(make_engine, tmp_path):
    log, fail_file = tmp_path / "log", tmp_path / "fail.json"
    engine = make_engine(parallel=False)
    _fail_midway(engine, log, fail_file)
    fail_file.unlink()
    pending = engine.pending_deletes()[0]
    before, calls = engine.export(), len(engine.calls)

    plan = engine.preview(probes(log, renamed={"key": "k2"}, b={"value": "2", "fail_file": fail_file}))
    assert plan.kinds() == {"renamed": "create", "b": "update", "c": "delete", "a": "delete", pending.urn: "delete"}
    assert "Delete" not in [m for m, _ in engine.calls[calls:]]
    assert engine.export() == before


def test_a_partial_create_is_recorded_and_updated_by_the_next_up(make_engine, tmp_path):
    """ErrorResourceInitFailed set as trailing metadata inside the real server survives its abort."""
    log, fail_file = tmp_path / "log", tmp_path / "fail.json"
    fail_file.write_text(json.dumps({"create": "partial"}))
    engine = make_engine()
    program = probes(log, p={"fail_file": fail_file})

    with pytest.raises(ProviderError) as failed:
        engine.up(program)
    assert (failed.value.method, failed.value.partial) == ("Create", True)
    assert failed.value.reasons == ["create of p did not finish initialising"]
    assert "ProbeInitError" in failed.value.details  # the server's traceback is still the message
    state = engine.state["p"]
    assert state.init_errors == failed.value.reasons
    assert state.id.startswith("p@k#")
    assert state.outputs["served_by"] == "create"  # the properties the provider reported
    assert state.inputs["value"] == "v" and "__provider" in state.inputs  # the checked inputs
    assert "__provider" in state.secret_outputs

    engine.refresh()
    assert engine.state["p"].init_errors == failed.value.reasons  # refresh keeps them

    fail_file.unlink()
    assert engine.preview(program).kinds() == {"p": "update"}  # Diff says no change; init errors say update
    plan = engine.up(program)
    assert plan.kinds() == {"p": "update"}
    assert engine.calls_of("Update") == ["p"]
    assert engine.state["p"].init_errors == []
    assert engine.state["p"].outputs["served_by"] == "update"
    assert engine.up(program).kinds() == {"p": "same"}

    engine.destroy()
    assert engine.state == {}
    assert starts(log)[-1] == ("delete", "p")


def test_a_partial_update_keeps_the_new_inputs_and_the_reported_outputs(make_engine, tmp_path):
    log, fail_file = tmp_path / "log", tmp_path / "fail.json"
    engine = make_engine()
    engine.up(probes(log, p={"value": "1", "fail_file": fail_file}))
    fail_file.write_text(json.dumps({"update": "partial"}))
    with pytest.raises(ProviderError) as failed:
        engine.up(probes(log, p={"value": "2", "fail_file": fail_file}))
    assert (failed.value.method, failed.value.partial) == ("Update", True)
    state = engine.state["p"]
    assert state.inputs["value"] == "2"
    assert state.outputs["served_by"] == "update"
    assert state.init_errors == ["update of p did not finish initialising"]


class _FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, status: status_pb2.Status) -> None:
        self._code, self._status = code, status

    def code(self) -> grpc.StatusCode:
        return self._code

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        return (("grpc-status-details-bin", self._status.SerializeToString()),)


def test_status_details_count_only_with_the_calls_own_code():
    detail = any_pb2.Any()
    detail.Pack(provider_pb2.ErrorResourceInitFailed(id="x", reasons=["half done"]))
    status = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], details=[detail])
    found = init_failure_of(_FakeRpcError(grpc.StatusCode.UNKNOWN, status))
    assert found is not None and (found.id, found.reasons) == ("x", ["half done"])
    # grpc-go turns a mismatch into INTERNAL without details, so the engine would not see it.
    assert init_failure_of(_FakeRpcError(grpc.StatusCode.INTERNAL, status)) is None


# ------------------------------------------------------------------------------------- URNs and aliases
def test_urns_follow_the_parent_chain(make_engine, tmp_path):
    engine = make_engine()

    def program() -> None:
        Probe("top", log=tmp_path / "log")
        Probe("child", log=tmp_path / "log", opts=pulumi.ResourceOptions(parent=Folder("folder")))

    engine.up(program)
    prefix = "urn:pulumi:test::twilio-dialing-tests::"
    assert engine.state["top"].urn == prefix + "pulumi-python:dynamic/harness:Probe::top"
    child = engine.state["child"]
    assert child.urn == prefix + "harness:index:Folder$pulumi-python:dynamic/harness:Probe::child"
    assert child.parent == prefix + "harness:index:Folder::folder"
    assert "folder" not in engine.state  # components are not stored


def test_a_rename_without_alias_creates_the_new_and_deletes_the_old_at_the_end(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine(parallel=False)
    engine.up(probes(log, old={}, other={}))
    mark = len(read_log(log))
    plan = engine.up(probes(log, new={}, other={}))
    assert plan.kinds() == {"new": "create", "other": "same", "old": "delete"}
    assert starts(log, mark) == [("create", "new"), ("delete", "old")]
    assert sorted(engine.state) == ["new", "other"]


def test_a_rename_with_alias_takes_over_the_old_resource(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine()
    engine.up(probes(log, old={"value": "1"}))
    old_id = engine.state["old"].id
    mark = len(read_log(log))

    aliased = pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old")])
    assert engine.preview(probes(log, new={"value": "1", "opts": aliased})).kinds() == {"new": "same"}
    plan = engine.up(probes(log, new={"value": "2", "opts": aliased}))
    assert plan.kinds() == {"new": "update"}
    assert starts(log, mark) == [("update", "new")]
    assert list(engine.state) == ["new"]
    state = engine.state["new"]
    assert state.id == old_id
    assert state.urn.endswith("::new")
    # Once moved, the alias is no longer needed (and does no harm).
    assert engine.up(probes(log, new={"value": "2"})).kinds() == {"new": "same"}


def test_a_type_change_with_alias_keeps_the_resource(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine()
    engine.up(lambda: Probe("p", log=log))
    old_type = "pulumi-python:dynamic/harness:Probe"
    plan = engine.up(
        lambda: RenamedProbe("p", log=log, opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=old_type)]))
    )
    assert plan.kinds() == {"p": "same"}
    assert engine.state["p"].type == "pulumi-python:dynamic/harness:RenamedProbe"
    assert engine.calls_of("Create") == ["p"] and engine.calls_of("Delete") == []
    # Without the alias, a new type token is a new resource.
    plan = engine.up(lambda: Probe("p", log=log))
    assert plan.kinds() == {
        "p": "create",
        engine.state["p"].urn.replace("harness:Probe", "harness:RenamedProbe"): "delete",
    }


def test_moving_into_a_component_without_alias_replaces_by_urn(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine(parallel=False)
    engine.up(lambda: Probe("note", log=log))
    old_urn = engine.state["note"].urn
    mark = len(read_log(log))

    plan = engine.up(lambda: Probe("note", log=log, opts=pulumi.ResourceOptions(parent=Folder("folder"))))
    assert plan.kinds() == {"note": "create", old_urn: "delete"}
    assert starts(log, mark) == [("create", "note"), ("delete", "note")]
    assert "harness:index:Folder$" in engine.state["note"].urn
    assert [r.urn for r in engine.resources()] == [engine.state["note"].urn]


def test_moving_into_a_component_with_alias_keeps_the_resource(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine()
    engine.up(lambda: Probe("note", log=log))

    def moved() -> None:
        folder = Folder("folder")
        root = pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)
        Probe("note", log=log, opts=pulumi.ResourceOptions(parent=folder, aliases=[root]))

    assert engine.up(moved).kinds() == {"note": "same"}
    assert "harness:index:Folder$" in engine.state["note"].urn
    # And back out of it, the other way round: the alias names the old parent.
    back = pulumi.Alias(parent=engine.state["note"].parent)
    assert engine.up(lambda: Probe("note", log=log, opts=pulumi.ResourceOptions(aliases=[back]))).kinds() == {
        "note": "same"
    }
    assert engine.calls_of("Create") == ["note"] and engine.calls_of("Delete") == []


def test_a_renamed_component_passes_its_alias_to_its_children(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine()

    def tenant(name: str, aliases: list[pulumi.Alias]) -> Callable[[], None]:
        def program() -> None:
            folder = Folder(name, opts=pulumi.ResourceOptions(aliases=aliases))
            Probe(f"{name}-note", log=log, opts=pulumi.ResourceOptions(parent=folder))

        return program

    engine.up(tenant("acme", []))
    # inheritedChildAlias: "globex-note" under "globex" (was "acme") was "acme-note" under "acme".
    assert engine.up(tenant("globex", [pulumi.Alias(name="acme")])).kinds() == {"globex-note": "same"}
    assert list(engine.state) == ["globex-note"]
    assert engine.calls_of("Delete") == []


def test_two_registrations_with_one_urn_fail_the_up(make_engine, tmp_path):
    engine = make_engine(parallel=False)
    with pytest.raises(DeploymentError, match="Duplicate resource URN"):
        engine.up(lambda: [Probe("twin", log=tmp_path / "log") for _ in range(2)])
    assert list(engine.state) == ["twin"]


def test_delete_before_replace_deletes_first(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine()
    engine.up(probes(log, p={"key": "k1"}))
    mark = len(read_log(log))
    dbr = pulumi.ResourceOptions(delete_before_replace=True)
    assert engine.up(probes(log, p={"key": "k2", "opts": dbr})).kinds() == {"p": "replace"}
    assert starts(log, mark) == [("delete", "p"), ("create", "p")]


# ------------------------------------------------------------------------------------- parallelism
def test_parallel_mode_overlaps_independent_steps_up_to_the_server_pool(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine()  # parallel is the default: the SDK registers from executor threads
    engine.up(probes(log, **{f"p{i}": {"sleep": 0.5} for i in range(6)}))
    assert peak(log, "create") == SERVER_WORKERS  # the server's 4 workers are the limit

    engine.up(lambda: None)  # every one dropped: the end-of-up deletions overlap too
    assert peak(log, "delete") == SERVER_WORKERS
    assert engine.state == {}


def test_sequential_mode_steps_one_resource_at_a_time_in_registration_order(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine(parallel=False)
    names = [f"p{i}" for i in range(4)]
    engine.up(probes(log, **{name: {"sleep": 0.1} for name in names}))
    assert peak(log, "create") == 1
    assert starts(log) == [("create", name) for name in names]

    engine.up(lambda: None)
    assert peak(log, "delete") == 1
    assert starts(log)[4:] == [("delete", name) for name in reversed(names)]  # newest first


def test_parallel_deletions_still_delete_dependents_first(make_engine, tmp_path):
    log = tmp_path / "log"
    engine = make_engine()

    def program() -> None:
        base = Probe("base", log=log, sleep=0.2)
        Probe("dependent", log=log, value=base.value, sleep=0.2)
        Probe("loner", log=log, sleep=0.2)

    engine.up(program)
    assert engine.state["dependent"].dependencies == [engine.state["base"].urn]
    engine.destroy()
    deletes = [label for op, label in starts(log) if op == "delete"]
    assert deletes.index("dependent") < deletes.index("base")
    events = [(e["op"], e["label"], e["phase"]) for e in read_log(log)]
    assert events.index(("delete", "dependent", "end")) < events.index(("delete", "base", "start"))


@pytest.mark.parametrize("fork", ["1", "0"])
def test_every_command_gets_a_fresh_provider_process_started_as_python_m_pulumi_dynamic(
    make_engine, tmp_path, monkeypatch, fork
):
    # The harness forks providers from a server that has only imported them (tests/harness/forkserver.py);
    # TWILIO_DIALING_HARNESS_FORK=0 starts each with subprocess. Both must look alike to the provider.
    monkeypatch.setenv("TWILIO_DIALING_HARNESS_FORK", fork)
    log = tmp_path / "log"
    engine = make_engine(cwd=tmp_path, project="fresh-process")
    engine.up(probes(log, a={}, b={}))
    engine.up(probes(log, a={"value": "changed"}, b={}))
    engine.destroy()
    events = read_log(log)
    by_call = {}
    for event in events:
        by_call.setdefault(event["op"], set()).add(event["pid"])
    assert by_call["create"].isdisjoint(by_call["update"]) and by_call["update"].isdisjoint(by_call["delete"])
    assert {e["main"] for e in events} == {"pulumi.dynamic.__main__"}
    assert {e["cwd"] for e in events} == {str(tmp_path)}
    assert {e["project"] for e in events} == {"fresh-process"}
