"""The activities that do the work the workflow decides: pin, step, mark, utility.

They compose the store (definitions through the cache, contexts), the node registry and
the nodes' shared resources. Pinning is :mod:`~drift_worker.pinning`'s, a fan-out's
branches :mod:`~drift_worker.fanout_activities`', running one node
:mod:`~drift_worker.node_runner`'s, the context cache :mod:`~drift_worker.engine_store`'s.

A step runs one state and, as long as the following states are pure, those too, then
writes the context once: fewer round trips per node, and every output lands in the store
before the workflow moves on.

Every store call goes through :func:`~drift_worker.store_guard.store_io`: a store that is
away fails the activity with ``StoreUnavailable``, which the workflow answers by trying
again later, never by spending the node's retries. A node's own failure keeps its type
and its node's retry policy.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any, Final

import msgspec
from temporalio import activity
from temporalio.exceptions import ApplicationError

from drift_models import NodeStatus, RunContext, RunStatus, UtilityResponse, WorkflowDefinition
from drift_nodes import Next, NodeError, NodeRegistry, NodeResources, Transition, transition
from drift_store import ContextStore, DefinitionReader
from drift_worker.engine_store import EngineStore
from drift_worker.enum_store import EnumStore
from drift_worker.events import RunEvents
from drift_worker.fanout_activities import BranchActivities
from drift_worker.first_step import ACTIVITY_BEGIN_STEP, BeginStepResult, FirstStepFailure
from drift_worker.heartbeat import heartbeating
from drift_worker.metrics import Metrics
from drift_worker.node_runner import NodeRunner
from drift_worker.outcomes import node_failure, status_after, step_result_of
from drift_worker.pinning import Pinned, PinningActivities
from drift_worker.plan import (
    ACTIVITY_MARK,
    ACTIVITY_STEP,
    ACTIVITY_UTILITY,
    STORE_UNAVAILABLE,
    BeginRequest,
    BeginResult,
    MarkRequest,
    StepRequest,
    StepResult,
    UtilityStepRequest,
)
from drift_worker.receipts import Receipt, StepReceipts
from drift_worker.store_guard import StoreOutages, start_attempt

__all__ = ["EngineActivities"]

_LOG = logging.getLogger(__name__)
CHAIN_LIMIT: Final = 64
"""Pure states one step runs at most (a pure loop still yields to the workflow)."""
_CONTEXT_DECODER: Final = msgspec.json.Decoder(RunContext)
_KEPT_FAILURES: Final = 1024
"""Failed first attempts kept while their run's context could not be created."""


_NODE_FAILURES: Final = frozenset({"RetryableNodeError", "PermanentNodeError"})


def first_step_request(request: BeginRequest, begun: BeginResult) -> StepRequest:
    """The step that runs a just-pinned run's start state (as the workflow would ask it)."""
    plan = begun.plan
    return plan.step(request.tenant_id, request.run_id, plan.start_node, begun.revision)


class EngineActivities(PinningActivities, BranchActivities):
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
        self._enum_store = enum_store
        self._events = events
        self._metrics = metrics or Metrics()
        self._nodes = NodeRunner(registry=registry, resources=resources, metrics=self._metrics)
        self._history_limit = history_limit
        self._receipts = StepReceipts()
        self._first_failures: OrderedDict[tuple[str, str], FirstStepFailure] = OrderedDict()
        self.outages = StoreOutages(self._metrics)
        self._store = EngineStore(definitions, contexts, self.outages, self._metrics)

    def all(self) -> list[Any]:
        """Every activity, for ``Worker(activities=...)``."""
        return [
            self.begin,
            self.begin_step,
            self.step,
            self.mark,
            self.utility,
            self.branch,
            self.map_size,
        ]

    # ------------------------------------------------------------------ begin + step

    @activity.defn(name=ACTIVITY_BEGIN_STEP)
    async def begin_step(self, request: BeginRequest) -> BeginStepResult:
        """Pin the run and create its context, then run its first step (``first_step``).

        The step runs unless this is a local activity and the start state does I/O, or
        the start state fans out: then the answer carries no step and the workflow runs
        it apart.
        """
        return await heartbeating(self._begin_step(request), self._metrics)

    async def _begin_step(self, request: BeginRequest) -> BeginStepResult:
        start_attempt()
        pinned = await self.pin(request)
        plan = pinned.plan
        planned = plan.states[plan.start_node]
        fans_out = planned.parallel is not None or planned.map is not None
        if fans_out or (activity.info().is_local and not planned.pure):
            return BeginStepResult(begun=await self.create_pinned(request, pinned))
        # The step runs over the context in memory, and its write creates the context:
        # one write up to the first stable point. Its receipt is kept at revision 0.
        step = first_step_request(request, BeginResult(plan=plan, revision=0))
        key = (request.tenant_id, request.run_id)
        attempt = self._first_failures.pop(key, None) or self._receipts.take(step)
        if attempt is None:
            attempt = await self._first_attempt(step, pinned)
        if attempt is None:
            # A store outage inside the step: nothing of it is kept, the workflow's own
            # step runs it again, waiting the outage out.
            return BeginStepResult(begun=await self.create_pinned(request, pinned))
        if isinstance(attempt, FirstStepFailure):
            # The context starts as it was before the state; the workflow retries it.
            try:
                begun = await self.create_pinned(request, pinned)
            except ApplicationError:
                self._remember_failure(key, attempt)
                raise
            return BeginStepResult(begun=begun, failure=attempt)
        try:
            record = await self.create_context(
                request,
                pinned,
                attempt.context,
                current_node=attempt.outcome.state,
                status=attempt.status,
                stepped=True,
            )
        except ApplicationError:
            # The nodes ran: the next try writes what they did instead of running them.
            self._receipts.keep(step, attempt)
            raise
        outcome = attempt.outcome
        if self._events is not None:
            await self._events.progress(
                request.tenant_id, request.run_id, outcome.executed, outcome.outcome, attempt.status
            )
        return BeginStepResult(
            begun=BeginResult(plan=plan, revision=record.revision),
            step=msgspec.structs.replace(outcome, revision=record.revision),
        )

    async def _first_attempt(
        self, step: StepRequest, pinned: Pinned
    ) -> Receipt | FirstStepFailure | None:
        """Run the start state's chain over the new context, in memory.

        Returns what to write, the node's failure, or ``None`` when the store failed
        inside the step.
        """
        planned = pinned.plan.states[step.state]
        # Over a copy: a chain cut short leaves ``pinned.context`` as it was before it.
        working = _CONTEXT_DECODER.decode(msgspec.json.encode(pinned.context))
        try:
            context, result, status = await asyncio.wait_for(
                self._run_chain(step, pinned.workflow, working), planned.timeout_seconds
            )
        except ApplicationError as error:
            if error.type == STORE_UNAVAILABLE:
                return None
            if error.type not in _NODE_FAILURES:
                raise
            return FirstStepFailure(message=error.message, retryable=not error.non_retryable)
        except TimeoutError:
            message = f"state {step.state!r} did not finish within {planned.timeout_seconds:g} s"
            return FirstStepFailure(message=message, retryable=True)
        return Receipt(context, result, status, landed=False)

    def _remember_failure(self, key: tuple[str, str], failure: FirstStepFailure) -> None:
        """Keep a failed first attempt whose context could not be created, for the next try."""
        self._first_failures[key] = failure
        while len(self._first_failures) > _KEPT_FAILURES:
            self._first_failures.popitem(last=False)

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
        receipt = self._receipts.find(request, record)
        if receipt is not None and receipt.landed:
            # The last try's write went through although its answer was lost.
            self.outages.succeeded(tenant, request.run_id)
            return msgspec.structs.replace(receipt.outcome, revision=record.revision)
        if receipt is not None:
            # The last try's write did not land: write what its nodes did, not run them again.
            context, result, status = receipt.context, receipt.outcome, receipt.status
        else:
            context, result, status = await self._run_chain(request, workflow, record.context)
        try:
            if request.after_end:
                written = await self._store.write(tenant, request.run_id, record, context)
            else:
                written = await self._store.write(
                    tenant,
                    request.run_id,
                    record,
                    context,
                    current_node=result.state,
                    status=status,
                )
        except ApplicationError:
            self._receipts.keep(request, Receipt(context, result, status, landed=False))
            raise
        if self._events is not None:
            await self._events.progress(
                tenant, request.run_id, result.executed, result.outcome, status
            )
        return msgspec.structs.replace(result, revision=written.revision)

    async def _run_chain(
        self, request: StepRequest, workflow: WorkflowDefinition, context: RunContext
    ) -> tuple[RunContext, StepResult, RunStatus]:
        """Run the step's states over ``context``: the context, the outcome, the status."""
        for item in request.records:
            context.global_[item.key] = item.value
        executed: list[str] = []
        dispositions: list[str] = []
        decided = await self._chain(request, workflow, context, executed, dispositions)
        outcome = step_result_of(decided)
        disposition = dispositions[-1] if dispositions else None
        result = msgspec.structs.replace(outcome, executed=executed, disposition=disposition)
        return context, result, status_after(decided)

    async def _chain(
        self,
        request: StepRequest,
        workflow: WorkflowDefinition,
        context: RunContext,
        executed: list[str],
        dispositions: list[str],
    ) -> Transition:
        """Run states from ``request.state`` until one stops the chain; return the stop.

        The stop is the transition that ended the chain, or ``Next`` at the state the
        chain was cut before (an I/O or fan-out state, a chain too long, a later state
        that failed). ``executed`` and ``dispositions`` collect the states run and the
        dispositions set.
        """
        name = request.state
        while True:
            if executed and workflow.states[name].is_fanout:
                return Next(state=name)
            definition = await self._store.definition(request, workflow, name)
            node_type = self._nodes.node_type(name, definition)
            first = not executed
            if not first and (
                not node_type.pure or not request.chain or len(executed) >= CHAIN_LIMIT
            ):
                return Next(state=name)
            try:
                result = await self._nodes.execute(
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
                return Next(state=name)
            executed.append(name)
            context.set_output(name, result.output)
            if result.disposition is not None:
                dispositions.append(result.disposition)
            decided = transition(workflow, name, definition, result)
            if not isinstance(decided, Next):
                return decided
            name = decided.state

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
        node_type = self._nodes.node_type(step.state, definition)
        try:
            result = await heartbeating(
                self._nodes.execute(
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
