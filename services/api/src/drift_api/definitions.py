"""Definitions as the API serves them: decoding, validation, enrichment, pictures.

The store keeps the documents and the versions; the DSL validates them. This module
joins the two for one tenant: it decodes request bodies with the process's node types
(plugins included), resolves the node definitions a workflow references (through the
cache), validates before saving and before publishing, inlines node definitions on
request and builds a workflow's graph for its picture.
"""

from __future__ import annotations

from typing import Final, cast

import msgspec

from drift_api.problems import ApiError
from drift_api.scenario_gate import ScenarioGate
from drift_models import (
    NodeDefinition,
    NodeTypes,
    Pointer,
    Problem,
    ScriptChecker,
    WorkflowDefinition,
    WorkflowGraph,
    has_errors,
    resolve_states,
)
from drift_store import (
    Definition,
    DefinitionCache,
    DefinitionKind,
    DefinitionStore,
    StoredDefinition,
)
from drift_store.definition_checks import definition_problems, node_resolver, workflow_loader

__all__ = ["DefinitionService"]

_WHAT: Final = {DefinitionKind.NODE: "node definition", DefinitionKind.WORKFLOW: "workflow"}


class DefinitionService:
    """One process's view of every tenant's definitions.

    Args:
        store: the definition store (writes, drafts, history).
        cache: the cache in front of it (published versions and pointers).
        node_types: the node types bodies are decoded with.
        check_script: compiles scripts during validation.
        gate: runs a workflow's stored scenarios before it is published (``None``: no
            gate, every valid workflow is published).
    """

    def __init__(
        self,
        store: DefinitionStore,
        cache: DefinitionCache,
        node_types: NodeTypes,
        check_script: ScriptChecker | None,
        *,
        gate: ScenarioGate | None = None,
    ) -> None:
        self.store = store
        self.cache = cache
        self.node_types = node_types
        self.gate = gate
        self._check_script = check_script

    # -- documents -------------------------------------------------------------------

    def decode(self, kind: DefinitionKind, body: bytes) -> Definition:
        """Read a request body as a definition of ``kind``.

        Raises:
            DocumentError: with the exact path of the first fault.
        """
        if kind is DefinitionKind.NODE:
            return self.node_types.decode_node(body)
        return self.node_types.decode_workflow(body)

    async def problems(self, tenant: str, definition: Definition) -> list[Problem]:
        """Every problem of ``definition``, errors and warnings (nodes read through the cache)."""
        return await definition_problems(
            self.cache, tenant, definition, check_script=self._check_script
        )

    # -- writes ----------------------------------------------------------------------

    async def save(
        self, tenant: str, definition: Definition, *, create: bool
    ) -> tuple[StoredDefinition[Definition], list[Problem]]:
        """Store a SNAPSHOT; return it with its problems.

        A node definition with errors is refused (its problems are its own); a workflow
        draft is kept with its problems, since the nodes it names may come later, and
        publishing refuses it until they are fixed.

        Raises:
            ApiError: 422 listing every error of a node definition.
        """
        problems = await self.problems(tenant, definition)
        if isinstance(definition, NodeDefinition) and has_errors(problems):
            raise ApiError(
                422,
                "Invalid Definition",
                f"node definition {definition.id!r} has errors; nothing was saved",
                problems,
            )
        if create:
            stored = await self.store.create(tenant, definition)
        else:
            stored = await self.store.update(tenant, definition)
        return stored, problems

    async def publish(
        self, tenant: str, kind: DefinitionKind, definition_id: str
    ) -> StoredDefinition[Definition]:
        """Validate the SNAPSHOT, run its scenarios (the gate), then freeze it as the next number.

        Raises:
            ApiError: 422 listing every error when the draft is not publishable, or
                one problem per failing scenario when its scenarios fail.
            DefinitionNotFoundError: when there is no such definition.
        """
        draft = await self.store.get_exact(tenant, kind, definition_id, None)
        problems = await self.problems(tenant, draft.definition)
        if has_errors(problems):
            raise ApiError(
                422,
                "Invalid Definition",
                f"{_WHAT[kind]} {definition_id!r} cannot be published: fix its errors first",
                problems,
            )
        workflow = draft.definition
        if self.gate is not None and isinstance(workflow, WorkflowDefinition):
            resolver = await node_resolver(self.cache, tenant, workflow)
            failing = await self.gate.problems(
                tenant, workflow, resolver, workflow_loader(self.cache, tenant)
            )
            if failing:
                raise ApiError(
                    422,
                    "Scenarios Failed",
                    f"workflow {definition_id!r} cannot be published: {len(failing)} of its "
                    "scenarios fail",
                    failing,
                )
        return await self.store.publish(tenant, kind, definition_id)

    # -- reads -----------------------------------------------------------------------

    async def get(
        self, tenant: str, kind: DefinitionKind, definition_id: str, version: int | Pointer
    ) -> StoredDefinition[Definition]:
        """One version (pointers resolved); published versions come from the cache.

        Raises:
            DefinitionNotFoundError: naming what is missing.
        """
        return await self.cache.get(tenant, kind, definition_id, version)

    async def enrich(self, tenant: str, workflow: WorkflowDefinition) -> WorkflowDefinition:
        """The workflow with every referenced node definition inlined beside its reference.

        A reference that resolves to nothing is left as it is.
        """
        resolver = await node_resolver(self.cache, tenant, workflow)
        states = dict(workflow.states)
        for name, state in workflow.states.items():
            if state.resource_id is None or state.node_definition is not None:
                continue
            resolved = resolver(state.resource_id, state.resource_version)
            if resolved is not None:
                states[name] = msgspec.structs.replace(state, node_definition=resolved)
        return msgspec.structs.replace(workflow, states=states)

    async def graph(self, tenant: str, workflow: WorkflowDefinition) -> WorkflowGraph:
        """The workflow's graph, with the node definitions its states use."""
        resolver = await node_resolver(self.cache, tenant, workflow)
        return WorkflowGraph(workflow, resolve_states(workflow, resolver))

    async def workflow(
        self, tenant: str, definition_id: str, version: int | Pointer
    ) -> StoredDefinition[WorkflowDefinition]:
        """One version of a workflow.

        Raises:
            DefinitionNotFoundError: naming what is missing.
        """
        stored = await self.get(tenant, DefinitionKind.WORKFLOW, definition_id, version)
        return cast("StoredDefinition[WorkflowDefinition]", stored)
