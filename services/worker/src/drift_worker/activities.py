"""The activities that do the work the workflow decides: pin, step, mark, utility.

They compose the store (definitions through the cache, contexts), the node registry and
the nodes' shared resources. A step runs one state and, as long as the following states
are pure, those too, then writes the context once: fewer round trips per node, and every
output lands in the store before the workflow moves on.

Every store call goes through :func:`~drift_worker.store_guard.store_io`: a store that is
away fails the activity with ``StoreUnavailable``, which the workflow answers by trying
again later, never by spending the node's retries. A node's own failure keeps its type
and its node's retry policy.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

import msgspec
from temporalio import activity
from temporalio.exceptions import ApplicationError

from drift_models import (
    NodeDefinition,
    NodeStatus,
    RunContext,
    RunStatus,
    ThreadContext,
    UtilityResponse,
    WorkflowDefinition,
)
from drift_nodes import (
    NodeCall,
    NodeError,
    NodeRegistry,
    NodeResources,
    NodeResult,
    resolve_parameters,
    transition,
)
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
from drift_worker.events import RunEvents
from drift_worker.fanout_activities import BranchActivities
from drift_worker.fanout_plan import fanout_planned_state
from drift_worker.heartbeat import heartbeating
from drift_worker.metrics import Metrics
from drift_worker.outcomes import node_failure, status_after, step_outcome_of
from drift_worker.plan import (
    ACTIVITY_BEGIN,
    ACTIVITY_MARK,
    ACTIVITY_STEP,
    ACTIVITY_UTILITY,
    BeginRequest,
    BeginResult,
    MarkRequest,
    Outcome,
    Plan,
    PlannedState,
    StepRequest,
    StepResult,
    UtilityStepRequest,
)
from drift_worker.receipts import StepReceipts
from drift_worker.store_guard import StoreOutages, start_attempt, store_io
from drift_worker.tracing import tracer

__all__ = ["EngineActivities"]

_LOG = logging.getLogger(__name__)
CHAIN_LIMIT: Final = 64
"""Pure states one step runs at most (a pure loop still yields to the workflow)."""


class EngineActivities(BranchActivities):
    """The engine's activities, bound to one worker's store, nodes and settings.

    Args:
        definitions: where definitions are read (the cache in production).
        contexts: where run contexts live.
        registry: the node types of this worker.
        resources: the nodes' shared HTTP session and script engine.
        enum_store: each tenant's lookup values.
        events: where progress events go (Redis), if anywhere.
        metrics: the worker's Prometheus metrics.
        history_limit: continue runs as new past this many history events.
    """

    def __init__(
        self,
        *,
        definitions: DefinitionReader,
        contexts: ContextStore,
        registry: NodeRegistry,
        resources: NodeResources,
        enum_store: EnumStore,
        events: RunEvents | None = None,
        metrics: Metrics | None = None,
        history_limit: int = 10_000,
    ) -> None:
        self._definitions = definitions
        self._contexts = contexts
        self._registry = registry
        self._resources = resources
        self._enum_store = enum_store
        self._events = events
        self._metrics = metrics or Metrics()
        self._history_limit = history_limit
        self._receipts = StepReceipts()
        self.outages = StoreOutages(self._metrics)
        self._store = EngineStore(definitions, contexts, self.outages, self._metrics)

    def all(self) -> list[Any]:
        """Every activity, for ``Worker(activities=...)``."""
        return [self.begin, self.step, self.mark, self.utility, self.branch, self.map_size]

    # ------------------------------------------------------------------ begin

    @activity.defn(name=ACTIVITY_BEGIN)
    async def begin(self, request: BeginRequest) -> BeginResult:
        """Pin the workflow and every node it may run; create the run's context."""
        start_attempt()
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
        async with store_io(self.outages, tenant, request.run_id, "creating the context"):
            record = await self._create(tenant, request.run_id, context, workflow, version)
        self.outages.succeeded(tenant, request.run_id)
        self._store.remember(tenant, request.run_id, record)
        self._metrics.run_started(workflow.id)
        return BeginResult(plan=plan, revision=record.revision)

    async def _create(
        self,
        tenant: str,
        run_id: str,
        context: RunContext,
        workflow: WorkflowDefinition,
        version: int,
    ) -> ContextRecord:
        try:
            return await self._contexts.create(
                tenant,
                run_id,
                context,
                current_node=workflow.start_node,
                status=RunStatus.RUNNING,
                workflow_id=workflow.id,
                workflow_version=version or None,
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
        node_type = self._node_type(name, definition)
        return PlannedState(
            node_type=definition.type_name,
            pure=node_type.pure,
            timeout_seconds=state.timeout_seconds or node_type.timeout_seconds(definition),
            retry=state.retry or node_type.retry_policy(definition),
            node_version=pinned,
            on_error=state.on_error,
        )

    def _node_type(self, name: str, definition: NodeDefinition) -> Any:
        try:
            return self._registry.for_definition(definition)
        except KeyError:
            msg = (
                f"state {name!r} uses node type {definition.type_name!r}, which this worker "
                f"does not have (it has: {', '.join(self._registry.names())})"
            )
            raise definition_error(msg) from None

    # ------------------------------------------------------------------ step

    @activity.defn(name=ACTIVITY_STEP)
    async def step(self, request: StepRequest) -> StepResult:
        """Run ``request.state`` and the pure states after it; write the context once."""
        start_attempt()
        try:
            return await heartbeating(self._step(request), self._metrics)
        except BaseException:
            # The context in memory may be half changed: read it again next time.
            self._store.forget(request.tenant_id, request.run_id)
            raise

    async def _step(self, request: StepRequest) -> StepResult:
        tenant = request.tenant_id
        workflow = await self._store.workflow(request)
        record = await self._store.context(tenant, request.run_id, request.revision)
        landed = self._receipts.landed(request, record)
        if landed is not None:
            # The last try's write went through although its answer was lost.
            self.outages.succeeded(tenant, request.run_id)
            return msgspec.structs.replace(landed, revision=record.revision)
        context = record.context
        for item in request.records:
            context.global_[item.key] = item.value
        executed: list[str] = []
        dispositions: list[str] = []
        outcome = await self._chain(request, workflow, context, executed, dispositions)
        status = status_after(outcome)
        disposition = outcome.disposition or (dispositions[-1] if dispositions else None)
        result = msgspec.structs.replace(outcome, executed=executed, disposition=disposition)
        try:
            if request.after_end:
                written = await self._store.write(tenant, request.run_id, record, context)
            else:
                written = await self._store.write(
                    tenant,
                    request.run_id,
                    record,
                    context,
                    current_node=outcome.state,
                    status=status,
                )
        except ApplicationError:
            self._receipts.keep(request, context, result)
            raise
        if self._events is not None:
            await self._events.progress(tenant, request.run_id, executed, outcome.outcome, status)
        return msgspec.structs.replace(result, revision=written.revision)

    async def _chain(
        self,
        request: StepRequest,
        workflow: WorkflowDefinition,
        context: RunContext,
        executed: list[str],
        dispositions: list[str],
    ) -> StepResult:
        """Run states from ``request.state`` until one stops the chain; return the outcome.

        ``executed`` and ``dispositions`` collect the states run and the dispositions set.
        """
        name = request.state
        while True:
            if executed and workflow.states[name].is_fanout:
                return StepResult(revision=0, outcome=Outcome.NEXT, state=name)
            definition = await self._store.definition(request, workflow, name)
            node_type = self._node_type(name, definition)
            first = not executed
            if not first and (
                not node_type.pure or not request.chain or len(executed) >= CHAIN_LIMIT
            ):
                return StepResult(revision=0, outcome=Outcome.NEXT, state=name)
            try:
                result = await self._execute(
                    request,
                    workflow=workflow,
                    name=name,
                    definition=definition,
                    node_type=node_type,
                    context=context,
                )
            except NodeError as error:
                if first:
                    raise node_failure(error) from None
                # A later state failed: keep what ran, and let the workflow run the failing
                # state on its own, with its own retry policy and failure routing.
                return StepResult(revision=0, outcome=Outcome.NEXT, state=name)
            executed.append(name)
            context.set_output(name, result.output)
            if result.disposition is not None:
                dispositions.append(result.disposition)
            decided = step_outcome_of(transition(workflow, name, definition, result))
            if isinstance(decided, StepResult):
                return decided
            name = decided

    async def _execute(
        self,
        request: StepRequest,
        *,
        workflow: WorkflowDefinition,
        name: str,
        definition: NodeDefinition,
        node_type: Any,
        context: RunContext,
        overrides: dict[str, Any] | None = None,
    ) -> NodeResult:
        state = workflow.states[name]
        attributes = {
            "drift.run_id": request.run_id,
            "drift.tenant_id": request.tenant_id,
            "drift.state": name,
            "drift.node_type": definition.type_name,
            "drift.node_id": definition.id,
        }
        started = time.perf_counter()
        status = "COMPLETED"
        with tracer().start_as_current_span(f"drift.node {name}", attributes=attributes):
            try:
                parameters = resolve_parameters(
                    name,
                    state.parameters,
                    context,
                    declared=definition.parameters,
                    overrides=overrides,
                )
                thread = context.global_.get("threadContext")
                call = NodeCall(
                    instance=name,
                    parameters=parameters,
                    context=context,
                    resources=self._resources,
                    run_id=request.run_id,
                    thread_context=(
                        None if thread is None else msgspec.convert(thread, ThreadContext)
                    ),
                    attempt=activity.info().attempt,
                    timeout_seconds=state.timeout_seconds or node_type.timeout_seconds(definition),
                )
                result: NodeResult = await node_type.execute(definition, call)
            except NodeError:
                status = "FAILED"
                raise
            finally:
                self._metrics.node_ran(definition.type_name, status, time.perf_counter() - started)
        return result

    # ------------------------------------------------------------------ mark

    @activity.defn(name=ACTIVITY_MARK)
    async def mark(self, request: MarkRequest) -> int:
        """Write the run's status (and pending records) without running a node."""
        start_attempt()
        record = await self._store.context(request.tenant_id, request.run_id, request.revision)
        context = record.context
        for item in request.records:
            context.global_[item.key] = item.value
        written = await self._store.write(
            request.tenant_id,
            request.run_id,
            record,
            context,
            current_node=request.current_node,
            status=request.status,
        )
        if self._events is not None:
            await self._events.progress(request.tenant_id, request.run_id, [], None, request.status)
        return written.revision

    # ------------------------------------------------------------------ utility

    @activity.defn(name=ACTIVITY_UTILITY)
    async def utility(self, request: UtilityStepRequest) -> UtilityResponse:
        """Run one state with the given parameters; the run's context is left as it was."""
        start_attempt()
        step = request.step
        workflow = await self._store.workflow(step)
        record = await self._store.context(step.tenant_id, step.run_id, step.revision)
        context = record.context  # read only: nodes never change the context they see
        definition = await self._store.definition(step, workflow, step.state)
        self.outages.succeeded(step.tenant_id, step.run_id)
        node_type = self._node_type(step.state, definition)
        try:
            result = await heartbeating(
                self._execute(
                    step,
                    workflow=workflow,
                    name=step.state,
                    definition=definition,
                    node_type=node_type,
                    context=context,
                    overrides=request.parameters,
                ),
                self._metrics,
            )
        except NodeError as error:
            if error.retryable:
                raise node_failure(error) from None
            return UtilityResponse(
                node=step.state, status=NodeStatus.FAILED, error_message=error.message
            )
        return UtilityResponse(node=step.state, status=NodeStatus.COMPLETED, response=result.output)
