"""Definition files: read node and workflow definitions from JSON files and folders.

Authors keep definitions in git, one JSON document per file. A document with
``states`` is a workflow definition; one with ``type`` is a node definition. The CLI,
``drift dev`` and the tests read files through :func:`load_definitions`, which never
stops at the first bad file: every problem comes back with its file and JSON path.
Scenario files (``*.scenarios.json``, run by ``drift test``) may sit among them in a
folder: they are not definitions and are passed over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import msgspec

from drift_models.decoding import DocumentError, decode_strict
from drift_models.nodes import NodeDefinition
from drift_models.problems import Problem
from drift_models.registry import NodeTypes
from drift_models.workflow import WorkflowDefinition

__all__ = ["SCENARIO_FILE_SUFFIX", "DefinitionFiles", "FileProblem", "load_definitions"]

SCENARIO_FILE_SUFFIX: Final = ".scenarios.json"
"""How the name of a scenario file ends; folders are read without them."""


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A problem found in a definition file.

    Attributes:
        file: the file.
        problem: what is wrong, with its JSON path inside the file.
    """

    file: Path
    problem: Problem

    def __str__(self) -> str:
        return f"{self.file}: {self.problem.path}: {self.problem.message}"


@dataclass(slots=True)
class DefinitionFiles:
    """The definitions read from files, and what could not be read.

    Attributes:
        nodes: node definitions with the file each came from.
        workflows: workflow definitions with the file each came from.
        problems: files (or parts of files) that could not be read.
    """

    nodes: list[tuple[Path, NodeDefinition]] = field(default_factory=list)
    workflows: list[tuple[Path, WorkflowDefinition]] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


def load_definitions(paths: Iterable[Path], node_types: NodeTypes) -> DefinitionFiles:
    """Read every ``*.json`` file in ``paths`` (files, or folders searched recursively).

    Files are read in sorted order so results are stable. A folder's scenario files
    (``*.scenarios.json``) are not read; a scenario file named on its own is (and is
    reported as not a definition).
    """
    result = DefinitionFiles()
    for file in _json_files(paths, result):
        _load_file(file, node_types, result)
    return result


def _json_files(paths: Iterable[Path], result: DefinitionFiles) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*.json")
                    if p.is_file() and not p.name.endswith(SCENARIO_FILE_SUFFIX)
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            result.problems.append(
                FileProblem(path, Problem(path="$", message="no such file or folder", code="file"))
            )
    return files


def _load_file(file: Path, node_types: NodeTypes, result: DefinitionFiles) -> None:
    try:
        data = file.read_bytes()
    except OSError as error:
        message = f"cannot read the file: {error.strerror}"
        result.problems.append(FileProblem(file, Problem(path="$", message=message, code="file")))
        return
    try:
        shape = msgspec.json.decode(data)
    except msgspec.DecodeError:
        shape = None
    try:
        if isinstance(shape, dict) and "states" in shape:
            result.workflows.append((file, node_types.decode_workflow(data)))
        elif isinstance(shape, dict) and "type" in shape:
            result.nodes.append((file, node_types.decode_node(data)))
        elif shape is None:
            decode_strict(data, dict, what="file")  # raises the syntax error with its place
        else:
            message = "not a definition: a workflow has 'states', a node definition has 'type'"
            result.problems.append(
                FileProblem(file, Problem(path="$", message=message, code="kind"))
            )
    except DocumentError as error:
        result.problems.extend(FileProblem(file, problem) for problem in error.problems)
