"""``drift test``: run workflows' scenario files locally, no server and no network.

Definitions are read from the given files and folders as ``drift validate`` reads them;
files named ``*.scenarios.json`` are scenario files (see docs/scenarios.md). Each
scenario runs through the real node code and the engine's transition function
(:class:`drift_nodes.ScenarioRunner`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from drift_models import SCENARIO_FILE_SUFFIX, DocumentError, NodeCatalog, load_definitions
from drift_nodes import (
    NodeResources,
    NodeSettings,
    ScenarioFile,
    ScenarioReport,
    ScenarioRunner,
    decode_scenario_file,
    discover_nodes,
)

__all__ = ["ScenarioRun", "run_scenario_files"]


@dataclass(slots=True)
class ScenarioRun:
    """What ``drift test`` found: each scenario's report, and files that did not load.

    Attributes:
        reports: (scenario file, report), in file order.
        problems: ``file: path: message`` lines for files that could not be used.
    """

    reports: list[tuple[Path, ScenarioReport]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every file loaded and every scenario passed."""
        return not self.problems and all(report.passed for _, report in self.reports)


def _split(paths: list[Path]) -> tuple[list[Path], list[Path], list[str]]:
    definitions: list[Path] = []
    scenarios: list[Path] = []
    missing: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.json") if p.is_file())
        elif path.is_file():
            found = [path]
        else:
            missing.append(f"{path}: no such file or folder")
            continue
        for file in found:
            (scenarios if file.name.endswith(SCENARIO_FILE_SUFFIX) else definitions).append(file)
    return definitions, scenarios, missing


async def run_scenario_files(paths: list[Path], *, keyword: str | None = None) -> ScenarioRun:
    """Run every scenario under ``paths`` (only those whose name contains ``keyword``)."""
    definitions, scenario_files, missing = _split(paths)
    outcome = ScenarioRun(problems=missing)
    registry = discover_nodes()
    files = load_definitions(definitions, registry.node_types)
    outcome.problems.extend(
        f"{p.file}: {p.problem.path}: {p.problem.message}" for p in files.problems
    )
    workflows = {workflow.id: workflow for _, workflow in files.workflows}
    catalog = NodeCatalog([node for _, node in files.nodes], drafts_stand_in=True)
    loaded: list[tuple[Path, ScenarioFile]] = []
    for file in scenario_files:
        try:
            scenarios = decode_scenario_file(file.read_bytes())
        except DocumentError as error:
            outcome.problems.extend(f"{file}: {p.path}: {p.message}" for p in error.problems)
            continue
        if scenarios.workflow not in workflows:
            outcome.problems.append(
                f"{file}: $.workflow: no workflow {scenarios.workflow!r} among the definitions"
            )
            continue
        loaded.append((file, scenarios))
    if not loaded and not outcome.problems:
        outcome.problems.append(f"no {SCENARIO_FILE_SUFFIX} files under the paths given")
    async with NodeResources(NodeSettings()) as resources:
        runner = ScenarioRunner(
            registry=registry, resolve=catalog, resources=resources, workflows=workflows
        )
        for file, scenarios in loaded:
            for scenario in scenarios.scenarios:
                if keyword is not None and keyword not in scenario.name:
                    continue
                report = await runner.run(workflows[scenarios.workflow], scenario)
                outcome.reports.append((file, report))
    return outcome
