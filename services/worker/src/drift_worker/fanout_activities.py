"""The activities of fan-out states: run a part of a branch or item, count a MAP's items.

A branch step reads the context the run had when the fan-out began (its revision is
fixed until the join), adds the pending records and the path's outputs so far, runs a
state and the pure states after it, and answers their outputs. It never writes the
store: branches running side by side would otherwise race for the same document. The
run writes every output once, with the step after the join.
"""

from __future__ import annotations

from typing import Any

import msgspec
from temporalio import activity
from temporalio.exceptions import ApplicationError

from drift_models import (
    MAP_INDEX,
    MAP_ITEM,
    RunContext,
    WorkflowDefinition,
)
from drift_nodes import NodeError
from drift_nodes.fanout_rules import FanoutRuleError, map_items, path_refusal
from drift_worker.engine_store import EngineStore
from drift_worker.fanout_plan import ACTIVITY_BRANCH, ACTIVITY_MAP_SIZE, BranchRequest, BranchResult
from drift_worker.heartbeat import heartbeating
from drift_worker.metrics import Metrics
from drift_worker.node_runner import NodeRunner
from drift_worker.outcomes import node_failure
from drift_worker.plan import StepRequest
from drift_worker.store_guard import StoreOutages, start_attempt

__all__ = ["BranchActivities"]

_CHAIN_LIMIT = 64


def _permanent(message: str) -> ApplicationError:
    return ApplicationError(message, type="PermanentNodeError", non_retryable=True)


class BranchActivities:
    """The fan-out activities; :class:`~drift_worker.activities.EngineActivities` has them.

    The attributes below are the engine's own (declared here so this part reads on its
    own).
    """

    _store: EngineStore
    _metrics: Metrics
    _nodes: NodeRunner
    outages: StoreOutages

    @activity.defn(name=ACTIVITY_MAP_SIZE)
    async def map_size(self, request: BranchRequest) -> int:
        """How many items the list of MAP state ``request.owner`` has."""
        start_attempt()
        workflow, context = await self._branch_context(request.step)
        return len(_items(workflow, request.owner, context))

    @activity.defn(name=ACTIVITY_BRANCH)
    async def branch(self, request: BranchRequest) -> BranchResult:
        """Run a state of a branch (or item) and the pure states after it; write nothing."""
        start_attempt()
        done = await heartbeating(self._branch(request), self._metrics)
        return msgspec.structs.replace(done, owner=request.owner, item_index=request.item_index)

    async def _branch_context(self, step: StepRequest) -> tuple[WorkflowDefinition, RunContext]:
        workflow = await self._store.workflow(step)
        record = await self._store.context(step.tenant_id, step.run_id, step.revision)
        self.outages.succeeded(step.tenant_id, step.run_id)
        # A copy: the cached document is shared by every branch running on this worker.
        shared = record.context
        context = RunContext(global_=dict(shared.global_), enum_store=shared.enum_store)
        for item in step.records:
            context.global_[item.key] = item.value
        return workflow, context

    async def _branch(self, request: BranchRequest) -> BranchResult:
        step = request.step
        workflow, context = await self._branch_context(step)
        if request.item_index is not None:
            items = _items(workflow, request.owner, context)
            if request.item_index >= len(items):
                msg = f"MAP {request.owner!r} has no item {request.item_index} any more"
                raise _permanent(msg)
            context.global_[MAP_ITEM] = items[request.item_index]
            context.global_[MAP_INDEX] = request.item_index
        outputs: list[tuple[str, Any]] = []
        name = step.state
        while True:
            definition = await self._store.definition(step, workflow, name)
            node_type = self._nodes.node_type(name, definition)
            if outputs and (not node_type.pure or len(outputs) >= _CHAIN_LIMIT):
                return BranchResult(outputs=outputs, next_state=name)
            try:
                result = await self._nodes.execute(
                    msgspec.structs.replace(step, state=name),
                    workflow=workflow,
                    name=name,
                    definition=definition,
                    node_type=node_type,
                    context=context,
                )
            except NodeError as error:
                if not outputs:
                    raise node_failure(error) from None
                # Run the failing state on its own, with its own retry policy.
                return BranchResult(outputs=outputs, next_state=name)
            outputs.append((name, result.output))
            context.set_output(name, result.output)
            if (
                result.is_terminal
                or result.wait is not None
                or result.child is not None
                or result.view is not None
            ):
                msg = path_refusal(name)
                return BranchResult(outputs=outputs, error=msg)
            following = result.next_node or workflow.states[name].next_node
            if following is None:
                return BranchResult(outputs=outputs)
            name = following


def _items(workflow: WorkflowDefinition, owner: str, context: RunContext) -> list[Any]:
    try:
        return map_items(workflow, owner, context)
    except FanoutRuleError as error:
        raise _permanent(str(error)) from None
