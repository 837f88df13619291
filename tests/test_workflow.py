"""The GitHub Actions workflows this project ships (the template's, which examples/pull-request-previews points
to): every `pulumi/actions` input is one the action accepts, every `twilio-dialing` command line parses with our
CLI, every `pulumi` command line uses flags `pulumi preview`/`up` have, the policy pack is written by
`twilio-dialing policy-pack` (and its virtualenv made as its PulumiPolicy.yaml says) before anything uses it,
and the files each names exist in the project the workflow ships with."""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from pulumi_twilio_dialing._commands import COMMANDS
from pulumi_twilio_dialing._commands.policy_pack import pack_files

# Every workflow that ships, and the project directory it runs in (the parent of .github/).
SHIPPED = sorted(REPO.glob("templates/*/.github/workflows/*.yml")) + sorted(
    REPO.glob("examples/*/.github/workflows/*.yml")
)
TEMPLATE_WORKFLOW = REPO / "templates" / "tenant" / ".github" / "workflows" / "twilio-dialing.yml"

# The inputs of pulumi/actions (action.yml of pulumi/actions at 4ddd4329226d5f7fdca0bc1fe3a0a659f4de25fe, the
# node20 action published as v5/v6). An input outside this list is ignored by the action with only a warning.
PULUMI_ACTIONS_INPUTS = {
    "command",
    "stack-name",
    "pulumi-version",
    "pulumi-version-file",
    "work-dir",
    "comment-on-pr",
    "comment-on-pr-number",
    "comment-on-summary",
    "github-token",
    "cloud-url",
    "secrets-provider",
    "parallel",
    "message",
    "config-map",
    "expect-no-changes",
    "diff",
    "replace",
    "target",
    "target-dependents",
    "policyPacks",
    "policyPackConfigs",
    "refresh",
    "upsert",
    "remove",
    "edit-pr-comment",
    "color",
    "exclude-protected",
    "plan",
    "suppress-outputs",
    "suppress-progress",
    "always-include-summary",
}
PULUMI_ACTIONS_BOOLEANS = {
    "comment-on-pr",
    "comment-on-summary",
    "expect-no-changes",
    "diff",
    "target-dependents",
    "refresh",
    "upsert",
    "remove",
    "edit-pr-comment",
    "exclude-protected",
    "suppress-outputs",
    "suppress-progress",
    "always-include-summary",
}
PULUMI_ACTIONS_COMMANDS = {"up", "update", "refresh", "destroy", "preview", "output"}
# Flags of `pulumi preview` (docs: pulumi.com/docs/iac/cli/commands/pulumi_preview/) that the workflow may use.
PULUMI_PREVIEW_FLAGS = {"--stack", "-s", "--json", "-j", "--policy-pack", "--policy-pack-config", "--diff", "--refresh"}
SHELL_SEPARATORS = {">", ">>", "<", "|", "||", "&&", "2>", "2>&1"}


def _parser() -> argparse.ArgumentParser:
    """The parser `twilio-dialing` builds (see _cli.main), without running anything."""
    parser = argparse.ArgumentParser(prog="twilio-dialing")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"pulumi_twilio_dialing._commands.{name}").register(commands)
    return parser


def _project(path: Path) -> Path:
    return path.parent.parent.parent


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _jobs(path: Path) -> list[list[dict]]:
    return [job["steps"] for job in _load(path)["jobs"].values()]


def _steps(path: Path) -> list[dict]:
    return [step for steps in _jobs(path) for step in steps]


def _lines(steps: list[dict], program: str) -> list[tuple[int, list[str]]]:
    """(step index, arguments) of each invocation of ``program`` (by name or by path, e.g. venv/bin/program)
    in the steps' `run` scripts, up to the first shell operator."""
    found = []
    for index, step in enumerate(steps):
        for line in step.get("run", "").splitlines():
            words = shlex.split(line, comments=True)
            while any(os.path.basename(w) == program for w in words):
                start = next(i for i, w in enumerate(words) if os.path.basename(w) == program)
                words = words[start:]
                end = next((i for i, w in enumerate(words) if w in SHELL_SEPARATORS), len(words))
                found.append((index, words[1:end]))
                words = words[end:]
    return found


def _commands(path: Path, program: str) -> list[list[str]]:
    return [argv for steps in _jobs(path) for _, argv in _lines(steps, program)]


workflows = pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))


def test_the_template_ships_the_workflow_and_examples_point_to_it_without_a_copy():
    assert TEMPLATE_WORKFLOW in SHIPPED
    readme = (REPO / "examples" / "pull-request-previews" / "README.md").read_text()
    assert "templates/tenant/.github/workflows/twilio-dialing.yml" in readme
    texts = [p.read_text() for p in SHIPPED]
    assert len(set(texts)) == len(texts), "two identical workflow files: keep one and point to it"


@workflows
def test_pulumi_actions_inputs_are_ones_the_action_accepts(path):
    uses = [step for step in _steps(path) if step.get("uses", "").startswith("pulumi/actions@")]
    assert {step["with"]["command"] for step in uses} == {"preview", "up"}
    for step in uses:
        assert step["uses"] in ("pulumi/actions@v5", "pulumi/actions@v6")
        inputs = step["with"]
        assert set(inputs) <= PULUMI_ACTIONS_INPUTS, set(inputs) - PULUMI_ACTIONS_INPUTS
        assert inputs["command"] in PULUMI_ACTIONS_COMMANDS
        assert "stack-name" in inputs
        for name in PULUMI_ACTIONS_BOOLEANS & set(inputs):
            assert str(inputs[name]).lower() in ("true", "false"), name
    [preview] = [s for s in uses if s["with"]["command"] == "preview"]
    assert preview["with"]["comment-on-pr"] is True and preview["with"]["diff"] is True


@workflows
def test_every_twilio_dialing_command_line_parses(path):
    lines = _commands(path, "twilio-dialing")
    parser = _parser()
    parsed = [parser.parse_args(argv) for argv in lines]
    assert {args.command for args in parsed} == {"preview-report", "policy-pack"}
    assert sum(args.command == "preview-report" for args in parsed) >= 2
    assert any(args.command == "preview-report" and args.fail_on_risk for args in parsed)
    assert not any(args.command == "policy-pack" and args.force for args in parsed)  # never clobber an edited pack
    with pytest.raises(SystemExit):  # the check itself rejects what the CLI rejects
        parser.parse_args(["preview-report", "preview.json", "--format", "html"])
    with pytest.raises(SystemExit):
        parser.parse_args(["policy-pack"])


@workflows
def test_every_pulumi_command_line_uses_flags_pulumi_has(path):
    lines = _commands(path, "pulumi")
    assert lines, "the workflow writes the preview JSON with `pulumi preview --json`"
    for argv in lines:
        assert argv[0] == "preview"
        flags = {word.split("=", 1)[0] for word in argv[1:] if word.startswith("-")}
        assert flags <= PULUMI_PREVIEW_FLAGS, flags - PULUMI_PREVIEW_FLAGS
        assert "--json" in flags


@workflows
def test_the_policy_pack_is_written_and_installed_before_anything_uses_it(path):
    """In each job, `twilio-dialing policy-pack DIR` and the pack's virtualenv (where the shipped
    PulumiPolicy.yaml says) come before `policyPacks: DIR` and `pulumi preview --policy-pack DIR`."""
    pack = pack_files()
    venv = yaml.safe_load(pack["PulumiPolicy.yaml"])["runtime"]["options"]["virtualenv"]
    used = 0
    for steps in _jobs(path):
        parser = _parser()
        written = {
            parser.parse_args(argv).dir.as_posix(): index
            for index, argv in _lines(steps, "twilio-dialing")
            if argv[0] == "policy-pack"
        }
        users = [(i, s["with"]["policyPacks"]) for i, s in enumerate(steps) if "policyPacks" in s.get("with", {})]
        users += [
            (i, argv[argv.index("--policy-pack") + 1]) for i, argv in _lines(steps, "pulumi") if "--policy-pack" in argv
        ]
        for index, directory in users:
            used += 1
            assert directory in written, (
                f"{directory} is used but no `twilio-dialing policy-pack {directory}` writes it"
            )
            assert written[directory] < index
            script = steps[written[directory]]["run"]
            write = script.index(f"policy-pack {directory}")
            make = script.index(f"python -m venv {directory}/{venv}")
            install = script.index(f"{directory}/{venv}/bin/pip install -r {directory}/requirements.txt")
            assert write < make < install
    assert used >= 3  # preview and up through pulumi/actions, and the JSON preview


@workflows
def test_credentials_come_from_secrets_and_the_program_installs(path):
    workflow = _load(path)
    env = workflow["env"]
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PULUMI_ACCESS_TOKEN"):
        assert env[name] == "${{ secrets." + name + " }}"
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"}
    project = _project(path)
    assert (project / "requirements.txt").is_file()
    # the program's virtualenv is the one its Pulumi.yaml names, so `pulumi` runs the program with it
    program_venv = yaml.safe_load((project / "Pulumi.yaml").read_text())["runtime"]["options"]["virtualenv"]
    installs = [s["run"] for s in _steps(path) if "pip install -r requirements.txt" in s.get("run", "")]
    assert len(installs) == 2
    for script in installs:
        assert f"python -m venv {program_venv}\n" in script
        assert f"{program_venv}/bin/pip install -r requirements.txt" in script
