"""The GitHub Actions workflow of examples/pull-request-previews: every `pulumi/actions` input it uses is one
the action accepts, every `twilio-dialing` command line parses with our CLI, every `pulumi` command line uses
flags `pulumi preview`/`up` have, and the paths it names exist in the template."""

from __future__ import annotations

import argparse
import importlib
import shlex

import pytest
import yaml
from conftest import REPO
from pulumi_twilio_dialing._commands import COMMANDS

WORKFLOWS = REPO / "examples" / "pull-request-previews" / ".github" / "workflows"

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


def _workflows() -> list[dict]:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert files, f"no workflow in {WORKFLOWS}"
    return [yaml.safe_load(path.read_text()) for path in files]


def _steps() -> list[dict]:
    return [step for workflow in _workflows() for job in workflow["jobs"].values() for step in job["steps"]]


def _commands(program: str) -> list[list[str]]:
    """Each invocation of ``program`` in the workflow's `run` scripts, up to the first shell operator."""
    found = []
    for step in _steps():
        for line in step.get("run", "").splitlines():
            words = shlex.split(line, comments=True)
            while program in words:
                words = words[words.index(program) :]
                end = next((i for i, w in enumerate(words) if w in SHELL_SEPARATORS), len(words))
                found.append(words[1:end])
                words = words[end:]
    return found


def test_pulumi_actions_inputs_are_ones_the_action_accepts():
    uses = [step for step in _steps() if step.get("uses", "").startswith("pulumi/actions@")]
    assert {step["with"]["command"] for step in uses} == {"preview", "up"}
    for step in uses:
        assert step["uses"] in ("pulumi/actions@v5", "pulumi/actions@v6")
        inputs = step["with"]
        assert set(inputs) <= PULUMI_ACTIONS_INPUTS, set(inputs) - PULUMI_ACTIONS_INPUTS
        assert inputs["command"] in PULUMI_ACTIONS_COMMANDS
        assert "stack-name" in inputs
        for name in PULUMI_ACTIONS_BOOLEANS & set(inputs):
            assert str(inputs[name]).lower() in ("true", "false"), name
        if "policyPacks" in inputs:
            assert (REPO / inputs["policyPacks"] / "PulumiPolicy.yaml").is_file()
    [preview] = [s for s in uses if s["with"]["command"] == "preview"]
    assert preview["with"]["comment-on-pr"] is True and preview["with"]["diff"] is True


def test_every_twilio_dialing_command_line_parses():
    lines = _commands("twilio-dialing")
    assert len(lines) >= 2
    parser = _parser()
    for argv in lines:
        args = parser.parse_args(argv)
        assert args.command == "preview-report"
    assert any(parser.parse_args(argv).fail_on_risk for argv in lines)
    with pytest.raises(SystemExit):  # the check itself rejects what the CLI rejects
        parser.parse_args(["preview-report", "preview.json", "--format", "html"])


def test_every_pulumi_command_line_uses_flags_pulumi_has():
    lines = _commands("pulumi")
    assert lines, "the workflow writes the preview JSON with `pulumi preview --json`"
    for argv in lines:
        assert argv[0] == "preview"
        flags = {word.split("=", 1)[0] for word in argv[1:] if word.startswith("-")}
        assert flags <= PULUMI_PREVIEW_FLAGS, flags - PULUMI_PREVIEW_FLAGS
        assert "--json" in flags
        if "--policy-pack" in argv:
            assert (REPO / argv[argv.index("--policy-pack") + 1] / "PulumiPolicy.yaml").is_file()


def test_credentials_come_from_secrets_and_the_program_installs():
    [workflow] = _workflows()
    env = workflow["env"]
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PULUMI_ACCESS_TOKEN"):
        assert env[name] == "${{ secrets." + name + " }}"
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"}
    installs = [s["run"] for s in _steps() if "pip install -r requirements.txt" in s.get("run", "")]
    assert len(installs) == 2 and (REPO / "requirements.txt").is_file()
    # the policy pack's virtualenv is where PulumiPolicy.yaml says it is
    policy = yaml.safe_load((REPO / "policy" / "PulumiPolicy.yaml").read_text())
    venv = policy["runtime"]["options"]["virtualenv"]
    for script in installs:
        assert f"python -m venv policy/{venv}" in script and "-r policy/requirements.txt" in script
