"""templates/tenant: what `pulumi new` copies (only the program and its files), its prompts, and its program
run through the engine harness under a project name of the user's choosing."""

from __future__ import annotations

import json
import re
import runpy
import shutil
from importlib import metadata

import yaml
from conftest import REPO, stack_config
from helpers import flags
from packaging.specifiers import SpecifierSet

TEMPLATE = REPO / "templates" / "tenant"


def test_the_template_holds_only_the_program_and_its_files():
    assert sorted(p.name for p in TEMPLATE.iterdir()) == [
        ".github",  # the pull-request workflow (tests/test_workflow.py)
        "Pulumi.acme.yaml",
        "Pulumi.yaml",
        "__main__.py",
        "requirements.txt",
    ]


def test_the_template_prompts_for_what_a_tenant_needs():
    project = yaml.safe_load((TEMPLATE / "Pulumi.yaml").read_text())
    assert project["name"] == "${PROJECT}"  # `pulumi new` puts the user's project name here
    assert project["runtime"]["name"] == "python"
    prompts = project["template"]["config"]
    assert set(prompts) == {
        "twilio:accountSid",
        "twilio:authToken",
        "twilio-dialing:tenantName",
        "twilio-dialing:allowedCountries",
    }
    assert prompts["twilio:authToken"]["secret"] is True
    assert json.loads(prompts["twilio-dialing:allowedCountries"]["default"]) == ["US"]
    for stack_file in (TEMPLATE / "Pulumi.acme.yaml", REPO / "Pulumi.acme.yaml", REPO / "Pulumi.globex.yaml"):
        config = yaml.safe_load(stack_file.read_text())["config"]
        assert not any("authToken" in key or "apiSecret" in key for key in config)  # no secrets committed


def test_the_root_is_the_demo_project_running_the_templates_program():
    root = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert root["name"] == "twilio-dialing"
    assert "template" not in root  # `pulumi new <checkout>` would copy tests and sources: use templates/tenant
    assert (REPO / root["main"]).resolve() == TEMPLATE.resolve()  # the template's program, not a copy
    assert not (REPO / "__main__.py").exists()


def test_the_templates_requirement_admits_this_version():
    (requirement,) = [line for line in (TEMPLATE / "requirements.txt").read_text().splitlines() if line.strip()]
    match = re.fullmatch(r"pulumi-twilio-dialing(?P<spec>[<>=!~,.\d]+)", requirement)
    assert match, requirement
    assert metadata.version("pulumi-twilio-dialing") in SpecifierSet(match["spec"])


def test_the_templates_program_works_under_any_project_name(twilio_emulator, stack, tmp_path):
    # As `pulumi new --name acme-voice` leaves it: the template copied, the project renamed.
    project_dir = tmp_path / "acme-voice"
    shutil.copytree(TEMPLATE, project_dir)
    document = (project_dir / "Pulumi.yaml").read_text().replace("${PROJECT}", "acme-voice")
    (project_dir / "Pulumi.yaml").write_text(document.replace("${DESCRIPTION}", "Acme's voice tenants"))
    sample = yaml.safe_load((project_dir / "Pulumi.acme.yaml").read_text())["config"]
    config = stack_config(twilio_emulator, **{k: v if isinstance(v, str) else json.dumps(v) for k, v in sample.items()})

    engine = stack(config=config, project="acme-voice", cwd=project_dir)
    engine.up(lambda: runpy.run_path(str(project_dir / "__main__.py")))

    backend = twilio_emulator.backend
    (tenant,) = [a for a in backend.accounts.values() if a.is_subaccount]
    assert tenant.friendly_name == "Acme Ltd"
    assert [iso for iso, f in tenant.flags.items() if f != flags()] == ["GB", "IE"]
    assert tenant.flags["GB"] == flags(low=True)
