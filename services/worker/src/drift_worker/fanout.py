"""The workflow side of PARALLEL and MAP states: fork, run the paths, join.

Every branch (every MAP item) is a coroutine of the one workflow, so their activities
are scheduled together in the same workflow task; a path whose states are pure still
runs them chained in local activities. Outputs travel back in the activities' answers
and are merged in branch (input) order, whatever order they finished in, into records
that the step after the join writes to the store with its one write. A MAP of more
than :data:`BATCH_ITEMS` items runs its items in child workflows of that many items,
one batch after another, so every history stays small.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from temporalio import workflow
from temporalio.common import RetryPolicy as TemporalRetry
from temporalio.exceptions import CancelledError as ActivityCancelled
from temporalio.exceptions import ChildWorkflowError, FailureError

with workflow.unsafe.imports_passed_through():
    from drift_models import RunStatus, temporal_workflow_id
    from drift_nodes.fanout_rules import PathOutcome, map_failure, map_value, parallel_join
    from drift_worker.fanout_plan import (
        ACTIVITY_BRANCH,
        ACTIVITY_MAP_SIZE,
        MAP_BATCH_WORKFLOW,
        BatchInput,
        BatchResult,
        BranchRequest,
        BranchResult,
        ItemFailure,
    )
    from drift_worker.node_activity import run_node_activity
    from drift_worker.plan import (
        ACTIVITY_MARK,
        MapPlan,
        MarkRequest,
        ParallelPlan,
        Plan,
        Record,
        StepRequest,
    )
    from drift_worker.retries import failure_message
    from drift_worker.store_wait import until_stored

__all__ = [
    "BATCH_ITEMS",
    "FanoutFailed",
    "FanoutRun",
    "fans_out",
    "run_fanout",
    "run_items",
]

BATCH_ITEMS: Final = 500
"""Items a MAP runs in its own history; bigger lists run in child batches of this size."""
_HEARTBEAT_TIMEOUT: Final = timedelta(seconds=2)
_SIZE_TIMEOUT: Final = timedelta(seconds=30)


class FanoutFailed(Exception):  # noqa: N818 - a control-flow signal, not an error
    """A fan-out state failed; ``records`` keeps what its paths produced."""

    def __init__(self, state: str, message: str, records: list[Record]) -> None:
        super().__init__(message)
        self.state = state
        self.message = message
        self.records = records


class _PathFailed(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class FanoutRun:
    """What a fan-out needs to know of its run.

    Attributes:
        tenant_id: the tenant.
        run_id: the run whose context the paths read.
        plan: the pinned plan.
        revision: the context's revision when the fan-out began (fixed until the join).
        records: values not written yet; a fan-out writes them before it forks (and
            moves ``revision`` on), so that no path carries them in every request.
    """

    tenant_id: str
    run_id: str
    plan: Plan
    revision: int
    records: list[Record] = field(default_factory=list)

    def request(self, state: str, outputs: list[tuple[str, Any]]) -> StepRequest:
        """The step of ``state`` with the path's ``outputs`` so far."""
        records = [*self.records, *(Record(key=k, value=v) for k, v in outputs)]
        return self.plan.step(self.tenant_id, self.run_id, state, self.revision, records=records)


def fans_out(plan: Plan, state: str) -> bool:
    """Whether ``state`` is a PARALLEL or MAP state."""
    planned = plan.states[state]
    return planned.parallel is not None or planned.map is not None


async def run_fanout(run: FanoutRun, state: str) -> tuple[str, list[Record]]:
    """Run PARALLEL or MAP ``state``; answer the join's next state and records to write.

    Raises:
        FanoutFailed: when a branch failed (or more items than tolerated).
    """
    planned = run.plan.states[state]
    if run.records:
        await _flush(run, state)
    if planned.parallel is not None:
        joined, following = (
            await _parallel(run, state, planned.parallel),
            planned.parallel.next_node,
        )
    elif planned.map is not None:
        joined, following = await _map(run, state, planned.map), planned.map.next_node
    else:
        raise FanoutFailed(state, f"{state!r} is neither PARALLEL nor MAP", [])
    if following is None:
        raise FanoutFailed(state, f"{state!r} has no nextNode to join at", joined)
    return following, [*run.records, *joined]


async def _flush(run: FanoutRun, state: str) -> None:
    """Write the pending records first, so no path carries them in every request."""
    request = MarkRequest(
        tenant_id=run.tenant_id,
        run_id=run.run_id,
        status=RunStatus.RUNNING,
        current_node=state,
        revision=run.revision,
        records=run.records,
    )
    run.revision = await until_stored(
        f"writing what {state!r} reads",
        lambda: workflow.execute_local_activity(
            ACTIVITY_MARK,
            request,
            result_type=int,
            start_to_close_timeout=_SIZE_TIMEOUT,
            retry_policy=TemporalRetry(initial_interval=timedelta(milliseconds=200)),
        ),
        run_id=run.run_id,
        describe=failure_message,
    )
    run.records = []


# ---------------------------------------------------------------------- PARALLEL


async def _parallel(run: FanoutRun, state: str, spec: ParallelPlan) -> list[Record]:
    names = list(spec.branches)
    tasks = [
        asyncio.ensure_future(_run_path(run, state, spec.branches[name], None)) for name in names
    ]
    cancelled: list[asyncio.Future[Any]] = []
    try:
        when = asyncio.FIRST_EXCEPTION if spec.fail_fast else asyncio.ALL_COMPLETED
        await workflow.wait(tasks, return_when=when)
    finally:
        cancelled = await _cancel(tasks)
    branches: list[tuple[str, PathOutcome]] = []
    for name, task in zip(names, tasks, strict=True):
        if task in cancelled:
            branches.append((name, PathOutcome(cancelled=True)))
            continue
        error = task.exception()
        if error is None:
            branches.append((name, PathOutcome(outputs=task.result())))
        else:
            message = error.message if isinstance(error, _PathFailed) else str(error)
            branches.append((name, PathOutcome(error=message)))
    joined, failure = parallel_join(state, branches)
    records = [Record(key=key, value=value) for key, value in joined]
    if failure is not None:
        raise FanoutFailed(state, failure, records)
    return records


# ---------------------------------------------------------------------- MAP


async def _map(run: FanoutRun, state: str, spec: MapPlan) -> list[Record]:
    size = await _map_size(run, state)
    tolerated = spec.tolerated(size)
    if size <= BATCH_ITEMS:
        done = await run_items(run, state, spec, 0, size, may_fail=tolerated)
    else:
        done = await _batches(run, state, size, tolerated)
    failures = [(f.index, f.error) for f in done.failures]
    records = [Record(key=state, value=map_value(done.results, failures))]
    message = map_failure(size, tolerated, failures)
    if message is not None:
        raise FanoutFailed(state, message, records)
    return records


async def _map_size(run: FanoutRun, state: str) -> int:
    request = BranchRequest(step=run.request(state, []), owner=state)
    try:
        size: int = await until_stored(
            f"the items of {state!r}",
            lambda: workflow.execute_local_activity(
                ACTIVITY_MAP_SIZE,
                request,
                result_type=int,
                start_to_close_timeout=_SIZE_TIMEOUT,
                retry_policy=TemporalRetry(
                    maximum_attempts=3, non_retryable_error_types=["PermanentNodeError"]
                ),
            ),
            run_id=run.run_id,
            describe=failure_message,
        )
    except FailureError as error:
        raise FanoutFailed(state, failure_message(error), []) from error
    return size


async def run_items(
    run: FanoutRun, owner: str, spec: MapPlan, start: int, end: int, *, may_fail: int
) -> BatchResult:
    """Run items ``start`` to ``end`` of MAP ``owner``, at most ``max_concurrency`` at once.

    Stops (cancelling the items in flight) once more than ``may_fail`` items failed.
    """
    results: list[Any] = [None] * (end - start)
    failures: list[ItemFailure] = []
    cursor = start

    async def lane() -> None:
        nonlocal cursor
        while cursor < end and len(failures) <= may_fail:
            index = cursor
            cursor += 1
            try:
                outputs = await _run_path(run, owner, spec.item_node, index)
            except _PathFailed as error:
                failures.append(ItemFailure(index=index, error=error.message))
                continue
            results[index - start] = outputs[-1][1] if outputs else None

    lanes = [asyncio.ensure_future(lane()) for _ in range(min(spec.max_concurrency, end - start))]
    try:
        await workflow.wait_condition(
            lambda: all(t.done() for t in lanes) or len(failures) > may_fail
        )
    finally:
        await _cancel(lanes)
    for task in lanes:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error
    failures.sort(key=lambda f: f.index)
    return BatchResult(results=results, failures=failures, stopped=len(failures) > may_fail)


async def _batches(run: FanoutRun, state: str, size: int, tolerated: int) -> BatchResult:
    results: list[Any] = []
    failures: list[ItemFailure] = []
    info = workflow.info()
    parent = temporal_workflow_id(run.tenant_id, run.run_id)
    for number, start in enumerate(range(0, size, BATCH_ITEMS)):
        batch = BatchInput(
            tenant_id=run.tenant_id,
            run_id=run.run_id,
            revision=run.revision,
            records=run.records,
            plan=run.plan,
            owner=state,
            start=start,
            end=min(start + BATCH_ITEMS, size),
            may_fail=tolerated - len(failures),
        )
        try:
            done: BatchResult = await workflow.execute_child_workflow(
                MAP_BATCH_WORKFLOW,
                batch,
                # From the run's own names (as a CHILD's id is): replays give the same.
                id=f"{parent}.{info.run_id[:8]}.{state}.batch{number}",
                result_type=BatchResult,
            )
        except ChildWorkflowError as error:
            raise FanoutFailed(
                state, f"batch {number} failed: {failure_message(error)}", []
            ) from error
        results.extend(done.results)
        failures.extend(done.failures)
        if done.stopped:
            break
    results.extend([None] * (size - len(results)))
    return BatchResult(results=results, failures=failures, stopped=len(failures) > tolerated)


# ---------------------------------------------------------------------- paths


async def _run_path(
    run: FanoutRun, owner: str, start: str, item: int | None
) -> list[tuple[str, Any]]:
    """Run a path from ``start`` to its end; answer each state's output, in order."""
    outputs: list[tuple[str, Any]] = []
    state: str | None = start
    while state is not None:
        request = BranchRequest(step=run.request(state, outputs), owner=owner, item_index=item)
        result = await _branch_step(run, state, request)
        outputs.extend((name, value) for name, value in result.outputs)
        if result.error is not None:
            raise _PathFailed(result.error)
        state = result.next_state
    return outputs


async def _branch_step(run: FanoutRun, state: str, request: BranchRequest) -> BranchResult:
    planned = run.plan.states[state]

    def attempt() -> Awaitable[BranchResult]:
        return run_node_activity(
            ACTIVITY_BRANCH,
            request,
            planned,
            BranchResult,
            heartbeat_timeout=_HEARTBEAT_TIMEOUT,
        )

    what = f"state {state!r}" + ("" if request.item_index is None else f" [{request.item_index}]")
    try:
        return await until_stored(what, attempt, run_id=run.run_id, describe=failure_message)
    except FailureError as error:
        if isinstance(error.__cause__, ActivityCancelled):
            # Cancelled by this fan-out (a sibling failed): not a failure of its own.
            raise asyncio.CancelledError from error
        message = f"{state!r}: {failure_message(error)}"
        raise _PathFailed(message) from error


async def _cancel(tasks: Sequence[asyncio.Future[Any]]) -> list[asyncio.Future[Any]]:
    """Cancel the tasks still running, wait until they have stopped; answer those."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return pending
