"""Read the images' Dockerfiles and .dockerignore, and rehearse a build stage without Docker.

The Dockerfiles are parsed by the ``dockerfile`` wheel (BuildKit's own parser). No
container engine runs here, so :func:`rehearse_build_stage` runs the build stage's
``COPY`` and ``RUN`` instructions on this machine instead: in a copy of the build context
(filtered by ``.dockerignore``), with the stage's ``ENV``, and with the stage's absolute
paths moved under a temporary folder. What the stage would install, it installs.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dockerfile  # type: ignore[import-not-found]

from tests.helm.chart import ROOT

IMAGES = ROOT / "images"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: ``RUN``, its flags and its arguments."""

    command: str
    arguments: tuple[str, ...]
    flags: tuple[str, ...]
    exec_form: bool
    line: int


@dataclass
class Stage:
    """One ``FROM`` and the instructions up to the next."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, command: str) -> list[Instruction]:
        """Every instruction ``command`` of this stage."""
        return [i for i in self.instructions if i.command == command]


def instructions(path: Path) -> list[Instruction]:
    """The instructions of a Dockerfile, in order."""
    return [
        Instruction(
            command=str(parsed.cmd).upper(),
            arguments=tuple(str(v) for v in parsed.value),
            flags=tuple(str(f) for f in parsed.flags),
            exec_form=bool(parsed.json),
            line=int(parsed.start_line),
        )
        for parsed in dockerfile.parse_file(str(path))
    ]


def stages(path: Path) -> tuple[dict[str, str], list[Stage]]:
    """The global ``ARG`` defaults and the stages of a Dockerfile."""
    args: dict[str, str] = {}
    found: list[Stage] = []
    for instruction in instructions(path):
        if instruction.command == "FROM":
            words = instruction.arguments
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(base=words[0], name=name))
        elif not found and instruction.command == "ARG":
            key, _, default = instruction.arguments[0].partition("=")
            args[key] = default
        elif found:
            found[-1].instructions.append(instruction)
    return args, found


def expand(text: str, args: dict[str, str]) -> str:
    """``${NAME}`` and ``$NAME`` replaced by the ``ARG`` defaults."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m.group(1) or m.group(2)], text)


# ---------------------------------------------------------------------------- the context


@dataclass(frozen=True)
class IgnoreRule:
    """One line of .dockerignore: a pattern, maybe negated with ``!``."""

    pattern: str
    negated: bool

    def matches(self, path: str) -> bool:
        """Whether the rule matches ``path`` or one of its parent folders."""
        parts = path.split("/")
        return any(_match(self.pattern, "/".join(parts[:end])) for end in range(1, len(parts) + 1))


def _match(pattern: str, path: str) -> bool:
    if pattern == "**":
        return True
    if pattern.startswith("**/"):
        rest = pattern[3:]
        parts = path.split("/")
        return any(fnmatch.fnmatchcase("/".join(parts[i:]), rest) for i in range(len(parts)))
    return fnmatch.fnmatchcase(path, pattern)


def ignore_rules() -> list[IgnoreRule]:
    """The rules of the repository's .dockerignore, in order (the last match wins)."""
    rules = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        rules.append(IgnoreRule(pattern=pattern, negated=negated))
    return rules


def ignored(path: str, rules: list[IgnoreRule]) -> bool:
    """Whether Docker leaves ``path`` (relative, with ``/``) out of the build context."""
    result = False
    for rule in rules:
        if rule.matches(path):
            result = not rule.negated
    return result


def context_files(root: Path = ROOT) -> Iterator[str]:
    """The files Docker would send as the build context of ``root``."""
    rules = ignore_rules()
    reopened = [r.pattern for r in rules if r.negated]
    for folder, folders, files in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        # Do not descend into an ignored folder unless a "!" rule may reopen part of it.
        folders[:] = [
            f
            for f in folders
            if not ignored(prefix + f, rules)
            or any(p == prefix + f or p.startswith(f"{prefix}{f}/") for p in reopened)
        ]
        for name in files:
            if not ignored(prefix + name, rules):
                yield prefix + name


# ---------------------------------------------------------------------------- rehearsal


def tool(name: str) -> str:
    """The full path of a command on PATH (the test fails without it)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed"
    return found


@dataclass(frozen=True)
class Rehearsal:
    """Where a rehearsed build stage left its results: image path → folder here."""

    workdir: Path
    moved: dict[str, Path]


class _Relocator:
    """Moves the image's absolute paths (``/wheels``, ``/opt/drift``) under a folder."""

    _KEPT = frozenset({"/usr", "/bin", "/etc"})
    _PATH = re.compile(r"(?<![\w./-])/[\w.-]+(?:/[\w.*-]+)*")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.moved: dict[str, Path] = {}

    def __call__(self, text: str) -> str:
        return self._PATH.sub(self._move, text)

    def _move(self, match: re.Match[str]) -> str:
        absolute = match.group(0)
        top = "/" + absolute.split("/")[1]
        if top in self._KEPT:
            return absolute
        self.moved.setdefault(top, self.root / top.lstrip("/"))
        return str(self.moved[top]) + absolute[len(top) :]


def _copy(arguments: tuple[str, ...], context: Path, workdir: Path) -> None:
    *sources, destination = arguments
    target = workdir / destination
    for source in sources:
        origin = context / source
        if origin.is_dir():  # a folder's contents, as Docker copies them
            shutil.copytree(origin, target, dirs_exist_ok=True)
        elif destination.endswith("/") or len(sources) > 1:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target / origin.name)
        else:
            shutil.copy2(origin, target)


def _run(command: str, workdir: Path, env: dict[str, str], where: str) -> None:
    done = subprocess.run(
        [tool("bash"), "-euo", "pipefail", "-c", command],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{where} failed:\n{command}\n{done.stderr[-3000:]}"


def rehearse_build_stage(dockerfile_path: Path, stage: Stage, scratch: Path) -> Rehearsal:
    """Run ``stage``'s COPY and RUN instructions here; absolute paths move under ``scratch``.

    ``UV_PYTHON`` points at this interpreter instead of the image's; everything else is
    the stage's own.
    """
    context = scratch / "context"
    for relative in context_files():
        target = context / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target)
    relocate = _Relocator(scratch / "root")
    hidden = {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"}
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    workdir = relocate.root
    for instruction in stage.instructions:
        if instruction.command == "WORKDIR":
            workdir = Path(relocate(instruction.arguments[0]))
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.command == "ENV":
            pairs = instruction.arguments
            env.update({pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)})
            env["UV_PYTHON"] = sys.executable
        elif instruction.command == "COPY" and not instruction.flags:
            _copy(instruction.arguments, context, workdir)
        elif instruction.command == "RUN":
            where = f"{dockerfile_path}:{instruction.line}"
            _run(relocate(instruction.arguments[0]), workdir, env, where)
    return Rehearsal(workdir=workdir, moved=relocate.moved)
