"""How a state's node runs on Temporal: one rule, for the engine's plan and a run's start.

A pure node (no I/O) runs as a *local* activity, in the workflow task that asked for it;
any other as a regular activity that heartbeats. The worker's plan takes each state's
kind from :func:`activity_kind`; the API takes the start state's from
:func:`start_activity` when it starts a run, so the engine can pin the run and run its
first step in one activity (:attr:`drift_models.RunInput.start_activity`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from drift_models import NodeDefinition, StartActivity, VersionRef, WorkflowDefinition
from drift_nodes.api import NodeType
from drift_nodes.discovery import NodeRegistry

__all__ = ["NodeReader", "activity_kind", "start_activity"]

NodeReader = Callable[[str, VersionRef], Awaitable[NodeDefinition | None]]
"""Reads a referenced node definition (id, version reference); ``None`` when missing."""


def activity_kind(node_type: NodeType[Any]) -> StartActivity:
    """The kind of activity a state of ``node_type`` runs as: local when it is pure."""
    return "local" if node_type.pure else "regular"


async def start_activity(
    workflow: WorkflowDefinition, registry: NodeRegistry, read_node: NodeReader
) -> StartActivity:
    """The kind of activity ``workflow``'s start state runs as, as far as it can be told.

    ``"local"`` when it cannot be told (a fan-out start, a node missing or of a type
    this registry does not have): the engine, finding the state impure, then only pins
    the run in that local activity and runs the step apart, as a run without the hint
    does. ``"regular"`` only for a node known to do I/O.
    """
    state = workflow.states.get(workflow.start_node)
    if state is None or state.is_fanout:
        return "local"
    definition = state.node_definition
    if definition is None and state.resource_id is not None:
        definition = await read_node(state.resource_id, state.resource_version)
    if definition is None:
        return "local"
    try:
        node_type = registry.for_definition(definition)
    except KeyError:
        return "local"
    return activity_kind(node_type)
