"""Packaging: the licence the metadata names, classifiers and URLs, dependency floors that
`./scripts/test --lowest` can pin, and example requirements that install from this checkout today."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_the_licence_file_is_the_apache_2_text_the_metadata_names():
    text = (REPO / "LICENSE").read_text()
    assert PYPROJECT["license"] == "Apache-2.0"
    assert PYPROJECT["license-files"] == ["LICENSE"]
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_installed_metadata_has_classifiers_and_project_urls():
    installed = metadata.metadata("pulumi-twilio-dialing")
    classifiers = installed.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    urls = dict(line.split(", ", 1) for line in installed.get_all("Project-URL") or [])
    assert urls and all(url.startswith("https://") for url in urls.values())


def test_every_runtime_dependency_has_a_floor_and_a_ceiling():
    # ./scripts/test --lowest pins each floor exactly; a dependency without one would go untested.
    for requirement in PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["emulator"]:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+>=[\d.]+,<[\d.]+", requirement), requirement


def test_example_requirements_install_this_checkout():
    # pip resolves a requirement file's paths from where it runs, which for `pulumi install` is the
    # project's own directory.
    for requirements in sorted((REPO / "examples").glob("*/requirements.txt")):
        lines = [line for line in requirements.read_text().splitlines() if line and not line.startswith("#")]
        assert len(lines) == 1, requirements
        option, path = lines[0].split()
        assert option == "-e"
        target = (requirements.parent / path).resolve()
        assert target == REPO.resolve(), requirements
        assert tomllib.loads((target / "pyproject.toml").read_text())["project"]["name"] == "pulumi-twilio-dialing"
    assert (REPO / "requirements.txt").read_text().splitlines()[-1] == "-e ."


def test_the_sdist_ships_the_licence_and_the_template():
    included = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["sdist"]
    assert {"LICENSE", "templates/"} <= set(included["include"])
