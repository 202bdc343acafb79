"""What the workflow and its activities exchange to run PARALLEL and MAP states.

A branch (or one MAP item) runs through ``drift.branch``: the activity reads the
context the run had when the fan-out began, adds the branch's outputs so far (and the
item), runs the state and the pure states after it, and answers the outputs instead of
writing them. Branches never write the store; the run writes every output at once, in
branch (input) order, with the step after the join. Big MAPs run in batches of items,
each a child workflow (``drift.map-batch``), so no history outgrows Temporal's limits.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from drift_models import RetryPolicy, WorkflowNode
from drift_worker.plan import MapPlan, ParallelPlan, Plan, PlannedState, Record, StepRequest

__all__ = [
    "ACTIVITY_BRANCH",
    "ACTIVITY_MAP_SIZE",
    "MAP_BATCH_WORKFLOW",
    "BatchInput",
    "BatchResult",
    "BranchRequest",
    "BranchResult",
    "ItemFailure",
    "fanout_planned_state",
]

ACTIVITY_BRANCH: Final = "drift.branch"
"""(Local) activity: run a state of a branch or item, answer its outputs (BranchResult)."""
ACTIVITY_MAP_SIZE: Final = "drift.map-size"
"""Local activity: how many items a MAP state's list has."""
MAP_BATCH_WORKFLOW: Final = "drift.map-batch"
"""The child workflow that runs one batch of a big MAP's items."""
FANOUT_ENGINE_TIMEOUT: Final = 30.0
"""The limit of one attempt of the MAP's item count (``drift.map-size``)."""


class _Struct(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of the fan-out messages."""


class BranchRequest(_Struct, kw_only=True):
    """Run a state of a path without writing the store.

    Attributes:
        step: the run, the pinned workflow, the state, and in ``records`` the values to
            add to the context first (pending records, the path's outputs so far).
        owner: the fan-out state.
        item_index: for a MAP item, its position in the list.
    """

    step: StepRequest
    owner: str
    item_index: int | None = None


class BranchResult(_Struct, kw_only=True):
    """What a part of a path did.

    Attributes:
        outputs: each state run and its output, in order.
        next_state: the state to run next (an I/O state, or one after a failed pure
            state); ``None`` when the path has ended.
        error: set when the path failed for good (a refused outcome).
        owner: the fan-out state (for the run's history).
        item_index: the MAP item's position, if it is one (for the run's history).
    """

    outputs: list[tuple[str, Any]] = []
    next_state: str | None = None
    error: str | None = None
    owner: str | None = None
    item_index: int | None = None


class ItemFailure(_Struct, kw_only=True):
    """An item of a MAP that failed.

    Attributes:
        index: its position.
        error: why, for a person.
    """

    index: int
    error: str


class BatchInput(_Struct, kw_only=True):
    """One batch of a big MAP's items, run by a child workflow.

    Attributes:
        tenant_id: the run's tenant.
        run_id: the parent run (the context the items read).
        revision: the parent context's revision when the MAP began.
        records: the parent's pending records.
        plan: the parent's pinned plan (how each state of the body runs).
        owner: the MAP state.
        start: the first item's index.
        end: one past the last item's index.
        may_fail: how many items of this batch may fail before it stops.
    """

    tenant_id: str
    run_id: str
    revision: int
    records: list[Record] = []
    plan: Plan
    owner: str
    start: int
    end: int
    may_fail: int


class BatchResult(_Struct, kw_only=True):
    """The outputs of one batch, in item order (``None`` for failed items).

    Attributes:
        results: each item's output.
        failures: the failed items.
        stopped: the batch stopped early, having more failures than it may.
    """

    results: list[Any] = []
    failures: list[ItemFailure] = []
    stopped: bool = False


def fanout_planned_state(state: WorkflowNode) -> PlannedState:
    """The plan of a PARALLEL or MAP state (it runs no node of its own)."""
    parallel = None
    mapped = None
    if state.parallel is not None:
        parallel = ParallelPlan(
            branches={name: b.start_node for name, b in state.parallel.branches.items()},
            fail_fast=state.parallel.fail_fast,
            next_node=state.next_node,
        )
    if state.map is not None:
        mapped = MapPlan(
            item_node=state.map.item_node,
            next_node=state.next_node,
            max_concurrency=state.map.max_concurrency,
            tolerated_count=state.map.tolerated_failure_count,
            tolerated_percentage=state.map.tolerated_failure_percentage,
        )
    return PlannedState(
        node_type="PARALLEL" if parallel is not None else "MAP",
        pure=False,
        timeout_seconds=state.timeout_seconds or FANOUT_ENGINE_TIMEOUT,
        retry=state.retry or RetryPolicy(maximum_attempts=1),
        on_error=state.on_error,
        parallel=parallel,
        map=mapped,
    )
