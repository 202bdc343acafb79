"""What a run's page shows, read through the REST API's services.

The state (Temporal first, then the store), the node-by-node history
(:mod:`drift_api.run_history`), the stored context, the answer rules of the view's
INSTRUCTION node, the run's parent (Temporal's description) and its children (the
history's CHILD entries), and the workflow graph with the run's path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from drift_api.auth import Caller
from drift_api.definitions import DefinitionService
from drift_api.pictures import PictureFormat, render_dot
from drift_api.problems import ApiError
from drift_api.runs import RunGateway
from drift_models import (
    RESERVED_NAMES,
    Pointer,
    RunHistoryEntry,
    WorkflowResponse,
)
from drift_models.dot import workflow_dot
from drift_models.nodes.instruction import ResumeRules
from drift_store import ContextRecord, NotFoundError

__all__ = ["RunDetails", "TimelineEntry", "read_details", "run_graph_svg"]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the run's timeline.

    Attributes:
        entry: the history entry.
        seconds: how long after the previous entry it came (the step's duration).
    """

    entry: RunHistoryEntry
    seconds: float | None


@dataclass(slots=True)
class RunDetails:
    """Everything the run's page shows.

    Attributes:
        state: the run's state.
        timeline: the history, oldest first, with each step's duration.
        history_problem: why the history cannot be shown, when it cannot.
        context: the stored context's global values (``None``: not stored).
        outputs: each executed state's values in the context.
        rules: the answer rules of the view's node, when the run shows a view.
        parent: the parent run's id, for a child run.
        children: the ids of the runs this one started.
        visited: the states the run executed.
    """

    state: WorkflowResponse
    timeline: list[TimelineEntry] = field(default_factory=list)
    history_problem: str | None = None
    context: dict[str, Any] | None = None
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: ResumeRules | None = None
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)


def _outputs(context: dict[str, Any]) -> dict[str, dict[str, Any]]:
    outputs: dict[str, dict[str, Any]] = {}
    for key, value in context.items():
        name, _, part = key.partition(":")
        if name not in RESERVED_NAMES:
            outputs.setdefault(name, {})[part or "output"] = value
    return outputs


def _timeline(entries: list[RunHistoryEntry]) -> list[TimelineEntry]:
    timeline: list[TimelineEntry] = []
    previous: dt.datetime | None = None
    for entry in entries:
        seconds = (entry.at - previous).total_seconds() if previous is not None else None
        timeline.append(TimelineEntry(entry=entry, seconds=seconds))
        previous = entry.at
    return timeline


async def _rules(
    definitions: DefinitionService, tenant: str, state: WorkflowResponse
) -> ResumeRules | None:
    if state.view is None:
        return None
    version: int | Pointer = state.workflow_version or "LATEST"
    try:
        stored = await definitions.workflow(tenant, state.workflow_definition_id, version)
        enriched = await definitions.enrich(tenant, stored.definition)
    except NotFoundError:
        return None
    node = enriched.states.get(state.view.node)
    definition = node.node_definition if node is not None else None
    config = getattr(definition, "config", None)
    rules = getattr(config, "rules", None)
    return rules if isinstance(rules, ResumeRules) else None


async def _parent(runs: RunGateway, caller: Caller, run_id: str) -> str | None:
    return await runs.engine.parent(caller.tenant_id, run_id)


async def _record(runs: RunGateway, caller: Caller, run_id: str) -> ContextRecord | None:
    try:
        return await runs.record(caller, run_id)
    except NotFoundError:
        return None


async def read_details(
    runs: RunGateway, definitions: DefinitionService, caller: Caller, run_id: str
) -> RunDetails:
    """The run's page data.

    Raises:
        ApiError: 404 when the tenant has no such run, 503 when it cannot be read now.
    """
    state = (await runs.state(caller, run_id)).body
    details = RunDetails(state=state)
    try:
        history = await runs.engine.history(caller.tenant_id, run_id)
        details.timeline = _timeline(history.entries)
        details.children = [e.detail for e in history.entries if e.event == "CHILD" and e.detail]
    except ApiError as error:
        details.history_problem = error.detail
    record = await _record(runs, caller, run_id)
    if record is not None:
        details.context = record.context.global_
        details.outputs = _outputs(record.context.global_)
        details.visited = sorted(details.outputs)
    details.rules = await _rules(definitions, caller.tenant_id, state)
    details.parent = await _parent(runs, caller, run_id)
    return details


async def run_graph_svg(
    runs: RunGateway, definitions: DefinitionService, caller: Caller, run_id: str
) -> bytes:
    """The run's workflow drawn with its path and where it stands (SVG).

    Raises:
        ApiError: 404 for an unknown run; PictureError when Graphviz cannot draw.
    """
    state = (await runs.state(caller, run_id)).body
    record = await _record(runs, caller, run_id)
    visited = set(_outputs(record.context.global_)) if record is not None else set()
    version: int | Pointer = state.workflow_version or "LATEST"
    stored = await definitions.workflow(caller.tenant_id, state.workflow_definition_id, version)
    drawn = await definitions.graph(caller.tenant_id, stored.definition)
    dot = workflow_dot(
        drawn, visited=visited, current=state.current_node, status=state.workflow_status
    )
    return await render_dot(dot, PictureFormat.SVG)
