"""The checks a definition passes before it is saved or published, against stored nodes.

The DSL validates a document (:mod:`drift_models`); a workflow's checks need the node
definitions it references, which live in a store. :func:`definition_problems` joins the
two over any :class:`~drift_store.reader.DefinitionReader` (the store or its cache), so
the API's validate-before-publish rule and every other path that publishes (``drift
dev``'s seeding) find the same problems.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

from drift_models import (
    NodeDefinition,
    NodeResolver,
    Pointer,
    Problem,
    ScriptChecker,
    VersionRef,
    WorkflowDefinition,
    validate_node_definition,
    validate_workflow,
)
from drift_store.errors import DefinitionNotFoundError
from drift_store.reader import DefinitionReader
from drift_store.records import Definition

__all__ = [
    "ScenarioCheck",
    "WorkflowLoader",
    "definition_problems",
    "node_resolver",
    "workflow_loader",
]

WorkflowLoader = Callable[
    [str, int | str], Awaitable[tuple[WorkflowDefinition, NodeResolver] | None]
]
"""Finds a workflow by id and version, with the resolver of its node definitions."""


class ScenarioCheck(Protocol):
    """Runs a workflow's stored scenarios: one problem per failing scenario.

    The API's publish gate (``drift_api.scenario_gate.ScenarioGate.problems``) is one.
    """

    def __call__(
        self,
        tenant: str,
        workflow: WorkflowDefinition,
        resolve: NodeResolver,
        load_child: WorkflowLoader | None = None,
    ) -> Awaitable[list[Problem]]:
        """The problems of ``workflow``'s scenarios (none: it may be published)."""
        ...


def workflow_loader(reader: DefinitionReader, tenant: str) -> WorkflowLoader:
    """Finds the publish gate's SYNC children: the version a state pins, else the LATEST.

    A child published by the same apply but not activated yet is still found.
    """

    async def load(
        workflow_id: str, version: int | str
    ) -> tuple[WorkflowDefinition, NodeResolver] | None:
        wanted: list[int | Pointer] = []
        if isinstance(version, int) or version in {"SNAPSHOT", "LATEST", "ACTIVE"}:
            wanted.append(cast("int | Pointer", version))
        wanted.append("LATEST")
        for ref in wanted:
            try:
                stored = await reader.get_workflow(tenant, workflow_id, ref)
            except DefinitionNotFoundError:
                continue
            child = stored.definition
            return child, await node_resolver(reader, tenant, child)
        return None

    return load


async def node_resolver(
    reader: DefinitionReader, tenant: str, workflow: WorkflowDefinition
) -> NodeResolver:
    """A resolver for the node definitions ``workflow`` references, read once each."""
    found: dict[tuple[str, Any], NodeDefinition | None] = {}
    for _, resource_id, version in workflow.node_references():
        if (resource_id, version) in found:
            continue
        try:
            stored = await reader.get_node(tenant, resource_id, version)
        except DefinitionNotFoundError:
            found[resource_id, version] = None
        else:
            found[resource_id, version] = stored.definition

    def resolve(node_id: str, version: VersionRef) -> NodeDefinition | None:
        return found.get((node_id, version))

    return resolve


async def definition_problems(
    reader: DefinitionReader,
    tenant: str,
    definition: Definition,
    *,
    check_script: ScriptChecker | None,
) -> list[Problem]:
    """Every problem of ``definition``, errors and warnings, with the nodes ``reader`` holds.

    The checks run on a worker thread: compiling the scripts of a large document takes
    up to about a second, which must not stall the event loop.
    """
    if isinstance(definition, NodeDefinition):
        return await asyncio.to_thread(
            validate_node_definition, definition, check_script=check_script
        )
    resolver = await node_resolver(reader, tenant, definition)
    return await asyncio.to_thread(
        validate_workflow, definition, resolver, check_script=check_script
    )
