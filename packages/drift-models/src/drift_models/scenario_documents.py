"""Scenario documents as ``drift apply`` and the REST API carry them.

A workflow's scenario file (``*.scenarios.json``, see docs/scenarios.md) is stored
beside the workflow (``PUT /v3/workflowDefinition/{id}/scenarios``) and run by the
API's publish gate. drift-models does not read scenarios (drift-nodes does); it finds
the files, reads which workflow each tests, and carries the bytes unchanged, so the
API decodes them strictly and its problems point into the file as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from drift_models._base import ApiStruct
from drift_models.documents import SCENARIO_FILE_SUFFIX, FileProblem
from drift_models.problems import Problem

__all__ = ["ScenarioDocuments", "ScenariosSaved", "load_scenario_documents", "same_scenarios"]


class ScenariosSaved(ApiStruct, kw_only=True):
    """The answer to storing a workflow's scenario document.

    Attributes:
        workflow_id: the workflow the scenarios test.
        scenarios: how many scenarios the document holds.
        updated_at: when it was stored (epoch millis).
    """

    workflow_id: str
    scenarios: int
    updated_at: int


class _Names(msgspec.Struct):
    """The one field of a scenario file drift-models reads."""

    workflow: str


@dataclass(slots=True)
class ScenarioDocuments:
    """The scenario files found, by the workflow each tests.

    Attributes:
        documents: workflow id → the file and its bytes.
        problems: files that cannot be used (unreadable, no ``workflow``, a second file
            for one workflow).
    """

    documents: dict[str, tuple[Path, bytes]] = field(default_factory=dict)
    problems: list[FileProblem] = field(default_factory=list)


def load_scenario_documents(paths: Iterable[Path]) -> ScenarioDocuments:
    """Every ``*.scenarios.json`` file under ``paths`` (files or folders), by workflow."""
    found = ScenarioDocuments()
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob(f"*{SCENARIO_FILE_SUFFIX}") if p.is_file()))
        elif path.is_file() and path.name.endswith(SCENARIO_FILE_SUFFIX):
            files.append(path)
    for file in files:
        try:
            data = file.read_bytes()
            workflow = msgspec.json.decode(data, type=_Names).workflow
        except OSError as error:
            found.problems.append(_problem(file, "$", f"cannot read the file: {error.strerror}"))
            continue
        except msgspec.DecodeError as error:  # ValidationError included
            found.problems.append(_problem(file, "$.workflow", f"not a scenario file: {error}"))
            continue
        if workflow in found.documents:
            first = found.documents[workflow][0]
            message = f"a second scenario file for workflow {workflow!r} (the first is {first})"
            found.problems.append(_problem(file, "$.workflow", message))
            continue
        found.documents[workflow] = (file, data)
    return found


def same_scenarios(a: bytes, b: bytes) -> bool:
    """Whether two scenario documents say the same (as JSON, whatever their layout)."""
    try:
        return bool(msgspec.json.decode(a) == msgspec.json.decode(b))
    except msgspec.DecodeError:
        return a == b


def _problem(file: Path, path: str, message: str) -> FileProblem:
    return FileProblem(file, Problem(path=path, message=message, code="scenario-file"))
