"""Pinning a run: the workflow and every node it may run, fixed when the run starts.

The begin activity reads the workflow definition (a published version; ``SNAPSHOT``
only when asked for), plans each state (local or regular activity, timeout, retry
policy, the referenced node's pinned version, where its failure goes) and creates the
run's context. A retry after a lost answer finds the context there and goes on with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from temporalio import activity

from drift_models import RunContext, RunStatus, ThreadContext, WorkflowDefinition
from drift_nodes import activity_kind
from drift_store import (
    AlreadyExistsError,
    BackendUnavailableError,
    ContextRecord,
    ContextStore,
    DefinitionNotFoundError,
    DefinitionReader,
    RunNotFoundError,
)
from drift_worker.engine_store import EngineStore, definition_error
from drift_worker.enum_store import EnumStore
from drift_worker.fanout_plan import fanout_planned_state
from drift_worker.metrics import Metrics
from drift_worker.node_runner import NodeRunner
from drift_worker.plan import ACTIVITY_BEGIN, BeginRequest, BeginResult, Plan, PlannedState
from drift_worker.store_guard import StoreOutages, start_attempt, store_io

__all__ = ["Pinned", "PinningActivities"]


@dataclass(frozen=True, slots=True)
class Pinned:
    """A run's plan and its first context, before anything is written.

    Attributes:
        plan: the pinned plan.
        workflow: the workflow definition it was planned from.
        context: the run's context as it starts (its parameters, caller, lookup values).
    """

    plan: Plan
    workflow: WorkflowDefinition
    context: RunContext


class PinningActivities:
    """The begin activity; :class:`~drift_worker.activities.EngineActivities` has it.

    The attributes below are the engine's own (declared here so this part reads on its
    own).
    """

    _definitions: DefinitionReader
    _contexts: ContextStore
    _enum_store: EnumStore
    _history_limit: int
    _metrics: Metrics
    _store: EngineStore
    _nodes: NodeRunner
    outages: StoreOutages

    @activity.defn(name=ACTIVITY_BEGIN)
    async def begin(self, request: BeginRequest) -> BeginResult:
        """Pin the workflow and every node it may run; create the run's context."""
        start_attempt()
        return await self.create_pinned(request, await self.pin(request))

    async def pin(self, request: BeginRequest) -> Pinned:
        """Read and plan the run's definitions and make its first context, writing nothing."""
        tenant = request.tenant_id
        try:
            async with store_io(self.outages, tenant, request.run_id, "reading the workflow"):
                stored = await self._definitions.get_workflow(
                    tenant,
                    request.workflow_definition_id,
                    request.version,
                )
        except DefinitionNotFoundError as error:
            raise definition_error(str(error)) from None
        workflow = stored.definition
        version = workflow.version
        if not isinstance(version, int):
            msg = (
                f"workflow {workflow.id!r} resolved to its SNAPSHOT; runs need a published version"
            )
            if request.version != "SNAPSHOT":
                raise definition_error(msg)
            version = 0
        if workflow.start_node not in workflow.states:
            # Only a SNAPSHOT (a draft, never checked) can say so; a run of it cannot start.
            msg = (
                f"workflow {workflow.id!r}: its startNode {workflow.start_node!r} is not one "
                "of its states"
            )
            raise definition_error(msg)
        async with store_io(self.outages, tenant, request.run_id, "reading node definitions"):
            states = {
                name: await self._plan_state(tenant, workflow, name) for name in workflow.states
            }
        plan = Plan(
            workflow_id=workflow.id,
            workflow_version=version,
            start_node=workflow.start_node,
            default_failure_node=workflow.default_failure_node,
            post_nodes=workflow.post_workflow_completion_nodes,
            states=states,
            history_limit=self._history_limit,
        )
        thread = (
            None
            if request.thread_context is None
            else msgspec.convert(request.thread_context, ThreadContext)
        )
        context = RunContext.start(request.params, thread, self._enum_store.for_tenant(tenant))
        return Pinned(plan=plan, workflow=workflow, context=context)

    async def create_pinned(self, request: BeginRequest, pinned: Pinned) -> BeginResult:
        """Create a pinned run's first context, at its start state.

        A retry after a lost answer finds the context there and goes on with it, as an
        earlier try left it.
        """
        plan = pinned.plan
        record = await self.create_context(
            request, pinned, pinned.context, current_node=plan.start_node, status=RunStatus.RUNNING
        )
        return BeginResult(plan=plan, revision=record.revision)

    async def create_context(
        self,
        request: BeginRequest,
        pinned: Pinned,
        context: RunContext,
        *,
        current_node: str,
        status: RunStatus,
        stepped: bool = False,
    ) -> ContextRecord:
        """Create the run's context: its first write.

        With ``stepped`` the context is the one the first step computed, and the store
        must end up holding it: a retry after a lost answer that finds an earlier try's
        context (its nodes ran, then this try's ran again) replaces it, so the store
        holds what the workflow is told; one that finds this very context answers it.
        """
        tenant, run_id = request.tenant_id, request.run_id
        async with store_io(self.outages, tenant, run_id, "creating the context"):
            record = await self._create(request, pinned, context, current_node, status)
            if (
                stepped
                and record.context is not context
                and not _holds(record, context, current_node, status)
            ):
                record = await self._contexts.update(
                    tenant,
                    run_id,
                    expected_revision=record.revision,
                    context=context,
                    current_node=current_node,
                    status=status,
                )
        self.outages.succeeded(tenant, run_id)
        self._metrics.run_started(pinned.workflow.id)
        if stepped and status.is_final:
            self._metrics.run_ended(pinned.workflow.id, status.value)
            self._store.forget(tenant, run_id)
        else:
            self._store.remember(tenant, run_id, record)
        return record

    async def _create(
        self,
        request: BeginRequest,
        pinned: Pinned,
        context: RunContext,
        current_node: str,
        status: RunStatus,
    ) -> ContextRecord:
        tenant, run_id = request.tenant_id, request.run_id
        try:
            return await self._contexts.create(
                tenant,
                run_id,
                context,
                current_node=current_node,
                status=status,
                workflow_id=pinned.plan.workflow_id,
                workflow_version=pinned.plan.workflow_version or None,
            )
        except AlreadyExistsError:
            pass
        # A retry of this activity after a lost answer: the context is already there.
        try:
            return await self._contexts.require(tenant, run_id)
        except RunNotFoundError:
            # Taken but not readable: a create cut off between its two steps (HBase),
            # whose claim another try takes over once its lease has passed.
            detail = f"the context of run {run_id!r} is being created by an earlier try"
            raise BackendUnavailableError("context store", detail) from None

    async def _plan_state(
        self, tenant: str, workflow: WorkflowDefinition, name: str
    ) -> PlannedState:
        state = workflow.states[name]
        if state.is_fanout:
            return fanout_planned_state(state)
        pinned: int | None = None
        if state.node_definition is not None:
            definition = state.node_definition
        elif state.resource_id is not None:
            try:
                stored = await self._definitions.get_node(
                    tenant, state.resource_id, state.resource_version
                )
            except DefinitionNotFoundError as error:
                msg = f"state {name!r}: {error}"
                raise definition_error(msg) from None
            definition = stored.definition
            pinned = definition.version if isinstance(definition.version, int) else None
        else:
            msg = f"state {name!r} names no node definition"
            raise definition_error(msg)
        node_type = self._nodes.node_type(name, definition)
        return PlannedState(
            node_type=definition.type_name,
            pure=activity_kind(node_type) == "local",
            timeout_seconds=state.timeout_seconds or node_type.timeout_seconds(definition),
            retry=state.retry or node_type.retry_policy(definition),
            node_version=pinned,
            on_error=state.on_error,
        )


def _holds(
    record: ContextRecord, context: RunContext, current_node: str, status: RunStatus
) -> bool:
    """Whether the stored ``record`` is the first write of ``context`` at that node and status."""
    return (
        record.revision == 1
        and record.status is status
        and record.current_node == current_node
        and msgspec.json.encode(record.context) == msgspec.json.encode(context)
    )
