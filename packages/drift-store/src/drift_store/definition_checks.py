"""The checks a definition passes before it is saved or published, against stored nodes.

The DSL validates a document (:mod:`drift_models`); a workflow's checks need the node
definitions it references, which live in a store. :func:`definition_problems` joins the
two over any :class:`~drift_store.reader.DefinitionReader` (the store or its cache), so
the API's validate-before-publish rule and every other path that publishes (``drift
dev``'s seeding) find the same problems.
"""

from __future__ import annotations

import asyncio
from typing import Any

from drift_models import (
    NodeDefinition,
    NodeResolver,
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

__all__ = ["definition_problems", "node_resolver"]


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
