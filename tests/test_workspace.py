"""The workspace keeps its promises: layout, versions, docs, and CI running README's tests."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = sorted([*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")])


def _project(pyproject: Path) -> dict[str, object]:
    project: dict[str, object] = tomllib.loads(pyproject.read_text())["project"]
    return project


def test_the_layout_of_the_spec_is_there() -> None:
    names = {str(_project(p)["name"]) for p in MEMBERS}
    assert {"drift-models", "drift-store", "drift-nodes", "drift-api", "drift-worker"} <= names
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert root["tool"]["uv"]["package"] is False
    assert root["tool"]["uv"]["workspace"]["members"] == ["packages/*", "services/*"]
    assert (ROOT / "uv.lock").is_file()


@pytest.mark.parametrize("pyproject", MEMBERS, ids=[p.parent.name for p in MEMBERS])
def test_every_member_is_a_complete_package(pyproject: Path) -> None:
    member = pyproject.parent
    project = _project(pyproject)
    module = str(project["name"]).replace("-", "_")
    source = member / "src" / module
    assert (source / "__init__.py").is_file()
    assert (source / "py.typed").is_file()
    assert (member / "README.md").read_text().strip()
    changelog = (member / "CHANGELOG.md").read_text()
    assert f"## [{project['version']}]" in changelog, "CHANGELOG lacks the current version"
    imported = importlib.import_module(module)
    assert imported.__version__ == project["version"]
    assert imported.__doc__


@pytest.mark.parametrize("pyproject", MEMBERS, ids=[p.parent.name for p in MEMBERS])
def test_siblings_are_required_by_range_never_pinned(pyproject: Path) -> None:
    for requirement in _project(pyproject).get("dependencies", []):  # type: ignore[attr-defined]
        if str(requirement).startswith("drift-"):
            assert "==" not in requirement
            assert re.search(r">=\d+\.\d+,<\d+\.\d+", requirement), requirement


def test_models_depend_on_msgspec_only() -> None:
    project = _project(ROOT / "packages/drift-models/pyproject.toml")
    assert [str(d).split(">")[0] for d in project["dependencies"]] == ["msgspec"]  # type: ignore[attr-defined]


def test_dependencies_point_one_way() -> None:
    """Store and nodes depend on models; nothing depends on a service."""
    services = {str(_project(p)["name"]) for p in ROOT.glob("services/*/pyproject.toml")}
    for pyproject in MEMBERS:
        requirements = " ".join(_project(pyproject).get("dependencies", []))  # type: ignore[arg-type]
        for service in services - {"drift-cli"}:
            assert service not in requirements or pyproject.parent.name == "cli", pyproject


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- setup-commands -->")[1].split("<!-- /setup-commands -->")[0]
    return [
        line.strip()
        for line in block.splitlines()
        if line.strip() and not line.startswith(("```", "#"))
    ]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    commands = _readme_commands()
    assert len(commands) == 2, commands
    run_platform, run_tests = commands
    assert "drift dev" in run_platform
    ci = (ROOT / ".ci" / "run").read_text()
    assert any(line.strip() == run_tests for line in ci.splitlines()), (
        f".ci/run must run the README's test command verbatim: {run_tests!r}"
    )


def test_the_drift_command_answers() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "drift_cli.main", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("drift ")


def test_the_readme_commands_are_installed_console_scripts() -> None:
    bin_dir = Path(sys.executable).parent
    for script in ("drift", "drift-api", "drift-worker"):
        assert (bin_dir / script).is_file(), f"{script} is not installed"
    help_text = subprocess.run(
        [str(bin_dir / "drift"), "dev", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--data-dir" in help_text
    assert "--api-port" in help_text
