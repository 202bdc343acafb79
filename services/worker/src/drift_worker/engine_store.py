"""The engine's reads and writes: pinned definitions and each run's context.

Every call is guarded (:func:`~drift_worker.store_guard.store_io`: an outage becomes
``StoreUnavailable``), and the contexts this worker wrote are kept in memory, so a
run's next step on the same worker skips the read.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final, Literal

import msgspec
from msgspec import UNSET, UnsetType
from temporalio.exceptions import ApplicationError

from drift_models import NodeDefinition, RunContext, RunStatus, WorkflowDefinition
from drift_store import ContextRecord, ContextStore, DefinitionReader
from drift_worker.metrics import Metrics
from drift_worker.plan import StepRequest
from drift_worker.store_guard import StoreOutages, store_io

__all__ = ["EngineStore", "definition_error"]

_CACHED_RUNS: Final = 2048


def definition_error(message: str) -> ApplicationError:
    """The non-retryable error of a definition that cannot be run as it is."""
    return ApplicationError(message, type="DefinitionError", non_retryable=True)


class EngineStore:
    """Definitions and run contexts as the engine's activities read and write them.

    Args:
        definitions: where definitions are read (the cache in production).
        contexts: where run contexts live.
        outages: the watch of store outages (logs and metrics).
        metrics: the worker's metrics (runs that ended).
    """

    def __init__(
        self,
        definitions: DefinitionReader,
        contexts: ContextStore,
        outages: StoreOutages,
        metrics: Metrics,
    ) -> None:
        self._definitions = definitions
        self._contexts = contexts
        self._outages = outages
        self._metrics = metrics
        self._runs: OrderedDict[tuple[str, str], ContextRecord] = OrderedDict()

    async def workflow(self, request: StepRequest) -> WorkflowDefinition:
        """The pinned workflow of a step."""
        version: int | Literal["SNAPSHOT"] = request.workflow_version or "SNAPSHOT"
        async with store_io(
            self._outages, request.tenant_id, request.run_id, "reading the workflow"
        ):
            stored = await self._definitions.get_workflow(
                request.tenant_id, request.workflow_id, version
            )
        return stored.definition

    async def definition(
        self, request: StepRequest, workflow: WorkflowDefinition, name: str
    ) -> NodeDefinition:
        """The pinned node definition of state ``name``."""
        state = workflow.states.get(name)
        if state is None:
            msg = f"{name!r} is not a state of workflow {workflow.id!r}"
            raise definition_error(msg)
        if state.node_definition is not None:
            return state.node_definition
        if state.resource_id is None:
            msg = f"state {name!r} names no node definition"
            raise definition_error(msg)
        version: int | Literal["SNAPSHOT"] = request.pins.get(name, "SNAPSHOT")
        async with store_io(
            self._outages, request.tenant_id, request.run_id, f"reading the node of {name!r}"
        ):
            stored = await self._definitions.get_node(request.tenant_id, state.resource_id, version)
        return stored.definition

    async def context(self, tenant: str, run_id: str, revision: int) -> ContextRecord:
        """The run's context: from memory when this worker wrote the revision asked for.

        A run's steps usually land on the worker that ran its previous step (local
        activities always do), so most steps skip the read.
        """
        cached = self._runs.get((tenant, run_id))
        if cached is not None and cached.revision == revision:
            self._runs.move_to_end((tenant, run_id))
            return cached
        async with store_io(self._outages, tenant, run_id, "reading the context"):
            return await self._contexts.require(tenant, run_id)

    async def write(
        self,
        tenant: str,
        run_id: str,
        record: ContextRecord,
        context: RunContext,
        *,
        current_node: str | UnsetType | None = UNSET,
        status: RunStatus | UnsetType = UNSET,
    ) -> ContextRecord:
        """Write the context (and, when given, the current state and status) by CAS.

        A lost race (``RevisionConflict``) is a ``StoreUnavailable`` too: the next try
        reads the context again, so the run goes on from what is stored.
        """
        try:
            async with store_io(self._outages, tenant, run_id, "writing the context"):
                written = await self._contexts.update(
                    tenant,
                    run_id,
                    expected_revision=record.revision,
                    context=context,
                    current_node=current_node,
                    status=status,
                )
        except ApplicationError:
            self.forget(tenant, run_id)
            raise
        self._outages.succeeded(tenant, run_id)
        self.remember(tenant, run_id, msgspec.structs.replace(written, context=context))
        if isinstance(status, RunStatus) and status.is_final:
            self._metrics.run_ended(record.workflow_id or "", status.value)
            self.forget(tenant, run_id)
        return written

    def remember(self, tenant: str, run_id: str, record: ContextRecord) -> None:
        """Keep a run's context as this worker wrote it."""
        self._runs[(tenant, run_id)] = record
        self._runs.move_to_end((tenant, run_id))
        while len(self._runs) > _CACHED_RUNS:
            self._runs.popitem(last=False)

    def forget(self, tenant: str, run_id: str) -> None:
        """Drop a run's context from memory (it may be half changed, or stale)."""
        self._runs.pop((tenant, run_id), None)
