"""What an index shows of each wheel: its licence, its links, one version, consistent ranges."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = sorted([*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")])
IDS = [p.parent.name for p in MEMBERS]
URL_KEYS = ("Homepage", "Repository", "Documentation", "Changelog")


def _project(pyproject: Path) -> dict[str, object]:
    project: dict[str, object] = tomllib.loads(pyproject.read_text())["project"]
    return project


def _versions() -> dict[str, str]:
    return {str(_project(p)["name"]): str(_project(p)["version"]) for p in MEMBERS}


def test_the_root_licence_is_the_apache_licence_2_0() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "APPENDIX: How to apply the Apache License to your work." in text
    assert len(text.splitlines()) == 202  # the text as the ASF publishes it, unabridged


@pytest.mark.parametrize("pyproject", MEMBERS, ids=IDS)
def test_every_wheel_ships_the_licence(pyproject: Path) -> None:
    """Each member holds a copy of the root LICENSE (not a link: the images' build context
    is packages/ and services/ without the root, and a link would dangle there)."""
    project = _project(pyproject)
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    licence = pyproject.parent / "LICENSE"
    assert not licence.is_symlink()
    assert licence.read_bytes() == (ROOT / "LICENSE").read_bytes()


@pytest.mark.parametrize("pyproject", MEMBERS, ids=IDS)
def test_every_member_links_to_one_repository(pyproject: Path) -> None:
    urls = _project(pyproject)["urls"]
    assert isinstance(urls, dict)
    assert tuple(urls) == URL_KEYS
    repository = urls["Repository"]
    assert urls["Homepage"] == repository
    member = pyproject.parent.relative_to(ROOT).as_posix()
    assert urls["Documentation"] == f"{repository}/tree/main/{member}#readme"
    assert urls["Changelog"] == f"{repository}/blob/main/{member}/CHANGELOG.md"
    assert (pyproject.parent / "CHANGELOG.md").is_file()
    repositories = {str(_project(p)["urls"]["Repository"]) for p in MEMBERS}  # type: ignore[index]
    assert repositories == {repository}
    assert urlsplit(str(repository)).scheme == "https"


@pytest.mark.parametrize("pyproject", MEMBERS, ids=IDS)
def test_readme_links_work_on_an_index(pyproject: Path) -> None:
    """An index renders the README alone: a relative link there points nowhere."""
    readme = (pyproject.parent / "README.md").read_text()
    repository = str(_project(pyproject)["urls"]["Repository"])  # type: ignore[index]
    for target in re.findall(r"\]\(([^)\s]+)\)", readme):
        assert re.match(r"https?://|#", target), (
            f"relative link {target!r} in {pyproject.parent.name}"
        )
        if target.startswith(repository):
            kind, branch, *path = target.removeprefix(repository + "/").split("#")[0].split("/")
            assert (kind, branch) in {("blob", "main"), ("tree", "main")}, target
            assert (ROOT / "/".join(path)).exists(), f"{target} names no file of the repository"


@pytest.mark.parametrize("pyproject", MEMBERS, ids=IDS)
def test_the_version_is_written_once(pyproject: Path) -> None:
    """pyproject.toml holds the version; the code reads it from the installed metadata."""
    version = str(_project(pyproject)["version"])
    copies = [
        str(path.relative_to(ROOT))
        for path in (pyproject.parent / "src").rglob("*.py")
        if re.search(rf"[\"']{re.escape(version)}[\"']", path.read_text())
    ]
    assert not copies, f"a second copy of {version}: {copies}"


@pytest.mark.parametrize("pyproject", MEMBERS, ids=IDS)
def test_siblings_are_required_at_their_current_minor(pyproject: Path) -> None:
    """Every sibling range is ``>=X.Y,<X.(Y+1)`` of the sibling's version: none wider."""
    versions = _versions()
    project = _project(pyproject)
    requirements = [str(r) for r in project.get("dependencies", [])]  # type: ignore[attr-defined]
    for extra in dict(project.get("optional-dependencies", {})).values():  # type: ignore[call-overload]
        requirements += [str(r) for r in extra]
    for requirement in requirements:
        match = re.fullmatch(r"(drift-[a-z]+)(\[[a-z,]+\])?(.*)", requirement)
        if match is None or match[1] not in versions:
            continue
        major, minor = versions[match[1]].split(".")[:2]
        assert match[3] == f">={major}.{minor},<{major}.{int(minor) + 1}", requirement


def test_store_clients_come_with_extras_the_services_ask_for() -> None:
    store = _project(ROOT / "packages/drift-store/pyproject.toml")
    required = " ".join(store["dependencies"])  # type: ignore[arg-type]
    assert "aiohappybase" not in required
    assert "redis" not in required
    extras = store["optional-dependencies"]
    assert isinstance(extras, dict)
    assert {"hbase", "redis", "testing"} <= set(extras)
    for service in ("api", "worker"):
        dependencies = _project(ROOT / "services" / service / "pyproject.toml")["dependencies"]
        assert any(str(d).startswith("drift-store[hbase,redis]>=") for d in dependencies), service  # type: ignore[attr-defined]


def test_plugin_authors_get_a_testing_extra() -> None:
    nodes = _project(ROOT / "packages/drift-nodes/pyproject.toml")
    testing = [str(r) for r in nodes["optional-dependencies"]["testing"]]  # type: ignore[index]
    names = {re.split(r"[\[<>=]", r)[0] for r in testing}
    assert {"pytest", "pytest-asyncio", "drift-models"} <= names
    assert any(r.startswith("drift-models[testing]") for r in testing)


def test_ci_checks_the_wheels_before_the_tests() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    wheels = lines.index('"$PY" scripts/wheels.py')
    assert wheels < lines.index("uv run pytest")
    assert (ROOT / "scripts" / "wheels.py").is_file()


def test_ci_runs_the_unit_suites_on_the_other_pythons_before_the_tests() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert lines.index("scripts/python-matrix") < lines.index("uv run pytest")
    matrix = (ROOT / "scripts" / "python-matrix").read_text()
    assert "versions=(3.12 3.13)" in matrix
    assert '-m "not server"' in matrix
    classifiers = _project(MEMBERS[0])["classifiers"]
    for version in ("3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers  # type: ignore[operator]
