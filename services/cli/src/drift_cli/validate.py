"""``drift validate``: check definition files locally, no server needed.

Every problem of every file is printed with its file, JSON path and a sentence; node
definitions in the given files stand in for the references workflows make (a draft file
validates against the drafts beside it), and scripts are compiled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec

from drift_models import (
    NodeCatalog,
    NodeTypes,
    Problem,
    Severity,
    load_definitions,
    validate_node_definition,
    validate_workflow,
)
from drift_nodes import check_script

__all__ = ["Finding", "validate_files"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one file."""

    file: Path
    problem: Problem

    @property
    def is_error(self) -> bool:
        """Whether it blocks publishing."""
        return self.problem.severity is Severity.ERROR

    def line(self) -> str:
        """``file: path: message`` (warnings say so)."""
        kind = "" if self.is_error else "warning: "
        return f"{self.file}: {self.problem.path}: {kind}{self.problem.message}"

    def to_json(self) -> dict[str, object]:
        """The finding for ``--json``."""
        return {"file": str(self.file), **msgspec.to_builtins(self.problem)}


def validate_files(paths: list[Path], node_types: NodeTypes) -> tuple[int, int, list[Finding]]:
    """Validate every definition under ``paths``; return (nodes, workflows, findings)."""
    files = load_definitions(paths, node_types)
    findings = [Finding(p.file, p.problem) for p in files.problems]
    catalog = NodeCatalog([node for _, node in files.nodes], drafts_stand_in=True)
    for file, node in files.nodes:
        findings.extend(
            Finding(file, p) for p in validate_node_definition(node, check_script=check_script)
        )
    for file, workflow in files.workflows:
        findings.extend(
            Finding(file, p)
            for p in validate_workflow(workflow, catalog, check_script=check_script)
        )
    findings.sort(key=lambda f: (str(f.file), not f.is_error))
    return len(files.nodes), len(files.workflows), findings
