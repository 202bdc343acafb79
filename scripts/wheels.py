"""Build every wheel, install each alone in a fresh venv and run its README example.

What a user of the index gets is the wheel, not the workspace: this proves that each
wheel declares everything it imports, ships its licence and links, and that the example
its README shows runs with nothing else installed. Third-party packages are pinned to
``uv.lock`` (exported as constraints) and come from the uv cache or the package index;
the Drift siblings a wheel needs come only from the wheels built here. Last, a plugin
author's venv (``drift-nodes[testing]`` and ``examples/custom-node``) runs the plugin's
tests.

Usage: ``python scripts/wheels.py [--keep DIR]`` from anywhere (uv on PATH; ``UV_PYTHON``
names the interpreter of the venvs). Exit status 1 names the wheel and the step that
failed, with its output.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Members whose README has no Python example: the README's command, run offline.
#: drift-worker's example starts a worker against Temporal; ``--check`` reads the same
#: settings and stops there. drift-cli's ``drift validate`` needs no server at all.
COMMAND_EXAMPLES: dict[str, list[list[str]]] = {
    "drift-worker": [["drift-worker", "--version"], ["drift-worker", "--check"]],
    "drift-cli": [["drift", "--version"], ["drift", "validate", str(ROOT / "examples")]],
}
WORKER_ENV = {
    "DRIFT_TEMPORAL_ADDRESS": "127.0.0.1:7233",
    "DRIFT_STORE_URL": "sqlite:///.drift/drift.db",
}

#: Run in drift-store's venv (installed without extras): an hbase:// URL must be
#: refused with the extra to install, and SQLite must work.
STORE_WITHOUT_EXTRAS = """
import asyncio
from drift_store import MissingExtraError, open_store

async def main() -> None:
    try:
        async with open_store("hbase://127.0.0.1:1"):
            raise SystemExit("hbase:// opened without the hbase extra")
    except MissingExtraError as error:
        assert 'pip install "drift-store[hbase]"' in str(error), error
        print("hbase:// without the extra:", error)

asyncio.run(main())
"""


class StepError(Exception):
    """One step of one wheel failed; the message holds its output."""


@dataclass(frozen=True)
class Member:
    """A workspace member: its distribution name, folder, version and sibling needs."""

    name: str
    folder: Path
    version: str
    siblings: tuple[str, ...]

    @property
    def wheel_stem(self) -> str:
        """The wheel file's name up to the tags."""
        return f"{self.name.replace('-', '_')}-{self.version}"


def _members() -> dict[str, Member]:
    pyprojects = sorted(
        [*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]
    )
    projects = {p.parent: tomllib.loads(p.read_text())["project"] for p in pyprojects}
    names = {str(project["name"]) for project in projects.values()}
    members = {}
    for folder, project in projects.items():
        required = [re.split(r"[\[<>=!~ ;]", str(d))[0] for d in project.get("dependencies", [])]
        siblings = tuple(sorted(name for name in required if name in names))
        members[project["name"]] = Member(project["name"], folder, project["version"], siblings)
    return members


def _closure(member: Member, members: dict[str, Member]) -> list[Member]:
    """The member and every sibling it needs, transitively."""
    seen: dict[str, Member] = {}
    todo = [member.name]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen[name] = members[name]
            todo.extend(members[name].siblings)
    return sorted(seen.values(), key=lambda m: m.name)


def _run(
    step: str, command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        output = result.stdout + result.stderr
        msg = f"{step}: {' '.join(command)} exited {result.returncode}\n{output}"
        raise StepError(msg)
    return result.stdout


def _readme_python(member: Member) -> str | None:
    """The README's Python blocks in order, as one script (later blocks build on earlier)."""
    readme = (member.folder / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    return "\n".join(blocks) if blocks else None


def _check_wheel_file(member: Member, wheel: Path) -> None:
    """The licence and the project URLs are in the wheel's metadata."""
    with zipfile.ZipFile(wheel) as archive:
        info = f"{member.wheel_stem}.dist-info"
        licence = archive.read(f"{info}/licenses/LICENSE").decode()
        metadata = archive.read(f"{info}/METADATA").decode()
    if (ROOT / "LICENSE").read_text() != licence:
        msg = f"{wheel.name}: its LICENSE is not the repository's"
        raise StepError(msg)
    for key in ("Homepage", "Repository", "Documentation", "Changelog"):
        if f"Project-URL: {key}, https://" not in metadata:
            msg = f"{wheel.name}: no Project-URL {key} in its METADATA"
            raise StepError(msg)
    if "License-Expression: Apache-2.0" not in metadata:
        msg = f"{wheel.name}: no License-Expression: Apache-2.0 in its METADATA"
        raise StepError(msg)


def _check_member(
    member: Member, members: dict[str, Member], dist: Path, work: Path, constraints: Path
) -> None:
    wheels = [next(dist.glob(f"{m.wheel_stem}-*.whl")) for m in _closure(member, members)]
    _check_wheel_file(member, next(dist.glob(f"{member.wheel_stem}-*.whl")))
    venv = work / f"venv-{member.name}"
    _run("venv", ["uv", "venv", "--quiet", "--clear", str(venv)])
    python = venv / "bin" / "python"
    _run(
        "install",
        [
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "--constraints",
            str(constraints),
            *map(str, wheels),
        ],
    )
    cwd = work / f"run-{member.name}"
    cwd.mkdir(exist_ok=True)
    example = _readme_python(member)
    if example is not None:
        print(_run("README example", [str(python), "-c", example], cwd=cwd).rstrip())
    for command in COMMAND_EXAMPLES.get(member.name, []):
        executable = str(venv / "bin" / command[0])
        print(_run("README command", [executable, *command[1:]], cwd=cwd, env=WORKER_ENV).rstrip())
    if example is None and member.name not in COMMAND_EXAMPLES:
        msg = f"{member.name}: its README has no Python example and none is configured here"
        raise StepError(msg)
    if member.name == "drift-store":
        print(_run("extras", [str(python), "-c", STORE_WITHOUT_EXTRAS], cwd=cwd).rstrip())


EXPORT = ["uv", "export", "--quiet", "--frozen", "--all-packages", "--all-extras", "--no-dev"]
EXPORT_FORMAT = ["--no-emit-workspace", "--no-hashes", "--no-header", "--no-annotate"]


def _check_plugin_author(
    members: dict[str, Member], dist: Path, work: Path, constraints: Path
) -> None:
    """A plugin author's venv: ``drift-nodes[testing]`` and the example plugin; its tests pass."""
    nodes = members["drift-nodes"]
    wheels = {m.name: next(dist.glob(f"{m.wheel_stem}-*.whl")) for m in _closure(nodes, members)}
    venv = work / "venv-plugin-author"
    _run("venv", ["uv", "venv", "--quiet", "--clear", str(venv)])
    python = venv / "bin" / "python"
    testing = f"drift-nodes[testing] @ {wheels.pop('drift-nodes').as_uri()}"
    example = ROOT / "examples" / "custom-node"
    install = ["uv", "pip", "install", "--quiet", "--python", str(python)]
    _run(
        "install",
        [
            *install,
            "--constraints",
            str(constraints),
            testing,
            *map(str, wheels.values()),
            str(example),
        ],
    )
    pytest = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    config = ["-c", str(example / "pyproject.toml"), "--rootdir", str(example)]
    print(_run("plugin tests", [*pytest, *config, str(example / "tests")], cwd=work).rstrip())


def _check_all(work: Path) -> None:
    started = time.monotonic()
    dist = work / "dist"
    build = ["uv", "build", "--quiet", "--all-packages", "--out-dir", str(dist)]
    _run("build", build, cwd=ROOT)
    constraints = work / "constraints.txt"
    export = [*EXPORT, *EXPORT_FORMAT, "--output-file", str(constraints)]
    _run("constraints", export, cwd=ROOT)
    built = len(list(dist.glob("*.whl")))
    print(f"built {built} wheels in {time.monotonic() - started:.1f} s")
    members = _members()
    for member in sorted(members.values(), key=lambda m: m.name):
        began = time.monotonic()
        siblings = ", ".join(member.siblings) or "no sibling"
        print(f"-- {member.name} {member.version} alone (+ {siblings})")
        _check_member(member, members, dist, work, constraints)
        print(f"   ok in {time.monotonic() - began:.1f} s")
    began = time.monotonic()
    print("-- a plugin author: drift-nodes[testing] + examples/custom-node, its tests")
    _check_plugin_author(members, dist, work, constraints)
    print(f"   ok in {time.monotonic() - began:.1f} s")


def main() -> int:
    """Build, install and run; 0 when every wheel passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="drift-wheels-") as scratch:
        work = Path(args.keep or scratch).resolve()
        work.mkdir(parents=True, exist_ok=True)
        try:
            _check_all(work)
        except StepError as error:
            print(f"FAILED {error}", file=sys.stderr)
            return 1
    elapsed = time.monotonic() - started
    print(f"every wheel installs alone and runs its README example ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
