"""The run loop against a store that is away: it waits, without using node retries.

The activities are fakes that fail with ``StoreUnavailable`` as many times as a test
says; the workflow is the real one, on a real Temporal server.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer, Worker

from drift_models import (
    NodeStatus,
    RetryPolicy,
    RunInput,
    RunStatus,
    TerminateInput,
    UtilityInput,
    UtilityResponse,
    WorkflowResponse,
)
from drift_models.engine import QUERY_STATE, UPDATE_TERMINATE, UPDATE_UTILITY, WORKFLOW_NAME
from drift_worker.converter import DATA_CONVERTER
from drift_worker.plan import (
    ACTIVITY_BEGIN,
    ACTIVITY_MARK,
    ACTIVITY_STEP,
    ACTIVITY_UTILITY,
    STORE_UNAVAILABLE,
    BeginRequest,
    BeginResult,
    EndSpec,
    MarkRequest,
    Outcome,
    Plan,
    PlannedState,
    StepRequest,
    StepResult,
    UtilityStepRequest,
)
from drift_worker.sandbox import workflow_runner
from drift_worker.store_wait import store_unavailable
from drift_worker.workflow import DriftRunWorkflow

# run id -> how many more times each activity (or state) finds the store away
OUTAGES: dict[str, Counter[str]] = {}
CALLS: dict[str, Counter[str]] = {}
ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)


def _away(run_id: str, what: str) -> None:
    CALLS.setdefault(run_id, Counter())[what] += 1
    left = OUTAGES.setdefault(run_id, Counter())
    if left[what] > 0:
        left[what] -= 1
        raise ApplicationError(
            f"{what}: the store is unavailable", type=STORE_UNAVAILABLE, non_retryable=True
        )


@activity.defn(name=ACTIVITY_BEGIN)
async def begin(request: BeginRequest) -> BeginResult:
    _away(request.run_id, "begin")
    states = {
        "work": PlannedState(node_type="HTTP", pure=False, timeout_seconds=5, retry=ONE_ATTEMPT),
        "done": PlannedState(node_type="SUCCESS", pure=True, timeout_seconds=5, retry=ONE_ATTEMPT),
        "broken": PlannedState(node_type="HTTP", pure=False, timeout_seconds=5, retry=ONE_ATTEMPT),
    }
    start = "broken" if request.workflow_definition_id == "broken" else "work"
    # "short": a history limit any wait passes, so a long wait continues as new.
    limit = 12 if request.workflow_definition_id == "short" else 10_000
    plan = Plan(
        workflow_id="w", workflow_version=1, start_node=start, states=states, history_limit=limit
    )
    return BeginResult(plan=plan, revision=1)


@activity.defn(name=ACTIVITY_STEP)
async def step(request: StepRequest) -> StepResult:
    _away(request.run_id, request.state)
    if request.state == "broken":
        raise ApplicationError("the service said no", type="PermanentNodeError", non_retryable=True)
    if request.state == "work":
        return StepResult(revision=request.revision + 1, outcome=Outcome.NEXT, state="done")
    end = EndSpec(status=RunStatus.COMPLETED, output="ok")
    return StepResult(revision=request.revision + 1, outcome=Outcome.END, state="done", end=end)


@activity.defn(name=ACTIVITY_MARK)
async def mark(request: MarkRequest) -> int:
    _away(request.run_id, "mark")
    return request.revision + 1


@activity.defn(name=ACTIVITY_UTILITY)
async def utility(request: UtilityStepRequest) -> UtilityResponse:
    _away(request.step.run_id, "utility")
    return UtilityResponse(node=request.step.state, status=NodeStatus.COMPLETED, response=1)


@pytest.fixture
async def engine(temporal_client: Client, task_queue: str) -> AsyncIterator[Client]:
    async with Worker(
        temporal_client,
        task_queue=task_queue,
        workflows=[DriftRunWorkflow],
        activities=[begin, step, mark, utility],
        workflow_runner=workflow_runner(),
    ):
        yield temporal_client


async def _start(
    client: Client, task_queue: str, outages: dict[str, int], workflow: str = "w"
) -> tuple[str, WorkflowHandle[DriftRunWorkflow, WorkflowResponse]]:
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    OUTAGES[run_id] = Counter(outages)
    handle = await client.start_workflow(
        WORKFLOW_NAME,
        RunInput(tenant_id="t1", run_id=run_id, workflow_definition_id=workflow),
        id=f"t1/{run_id}",
        task_queue=task_queue,
        result_type=WorkflowResponse,
    )
    return run_id, handle


async def _replays(handle: WorkflowHandle[DriftRunWorkflow, WorkflowResponse]) -> None:
    """The run's history (with its waits for the store) replays against the workflow."""
    history = await handle.fetch_history()
    replayer = Replayer(
        workflows=[DriftRunWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=DATA_CONVERTER,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def test_store_errors_are_waited_out_beyond_the_nodes_retries(
    engine: Client, task_queue: str
) -> None:
    # Every state allows one attempt; each activity meets the store away twice.
    run_id, handle = await _start(engine, task_queue, {"begin": 2, "work": 2, "done": 2})
    final = await asyncio.wait_for(handle.result(), 60)
    assert final.workflow_status is RunStatus.COMPLETED
    assert final.output == "ok"
    assert CALLS[run_id] == Counter({"begin": 3, "work": 3, "done": 3})
    await _replays(handle)


async def test_a_nodes_own_failure_keeps_its_retry_policy(engine: Client, task_queue: str) -> None:
    # A store outage while failing the run (mark) is waited out too.
    run_id, handle = await _start(engine, task_queue, {"mark": 1}, workflow="broken")
    final = await asyncio.wait_for(handle.result(), 60)
    assert final.workflow_status is RunStatus.FAILED
    assert "the service said no" in (final.error_message or "")
    assert CALLS[run_id]["broken"] == 1  # one attempt, as its policy says
    assert CALLS[run_id]["mark"] == 2
    await _replays(handle)  # a wait in marking the run FAILED


async def test_a_run_waiting_for_the_store_answers_queries_updates_and_terminate(
    engine: Client, task_queue: str
) -> None:
    run_id, handle = await _start(engine, task_queue, {"work": 1000, "utility": 1, "mark": 1})
    for _ in range(200):
        if CALLS.get(run_id, Counter())["work"] >= 2:
            break
        await asyncio.sleep(0.05)
    state = await handle.query(QUERY_STATE, result_type=WorkflowResponse)
    assert state.workflow_status is RunStatus.RUNNING
    assert state.current_node == "work"
    answer = await handle.execute_update(
        UPDATE_UTILITY, UtilityInput(node="done"), result_type=UtilityResponse
    )
    assert answer.status is NodeStatus.COMPLETED  # after one wait for the store
    ended = await handle.execute_update(
        UPDATE_TERMINATE, TerminateInput(reason="enough"), result_type=WorkflowResponse
    )
    assert ended.workflow_status is RunStatus.TERMINATED
    assert CALLS[run_id]["utility"] == 2
    assert CALLS[run_id]["mark"] == 2
    await _replays(handle)  # waits in an activity step, a utility call and a mark


async def test_a_long_wait_for_the_store_continues_as_new_at_the_same_state(
    engine: Client, task_queue: str
) -> None:
    run_id, handle = await _start(engine, task_queue, {"work": 3}, workflow="short")
    final = await asyncio.wait_for(handle.result(), 60)
    assert final.workflow_status is RunStatus.COMPLETED
    assert CALLS[run_id] == Counter({"begin": 1, "work": 4, "done": 1})
    first = engine.get_workflow_handle(f"t1/{run_id}", run_id=handle.first_execution_run_id)
    assert handle.first_execution_run_id is not None
    assert (await first.describe()).status is WorkflowExecutionStatus.CONTINUED_AS_NEW


def test_only_the_non_retryable_store_error_is_waited_out() -> None:
    # drift-worker 0.2 raised a retryable StoreUnavailable that failed the node once its
    # retries ran out; its histories must replay that failure, not a wait.
    now = ApplicationError("away", type=STORE_UNAVAILABLE, non_retryable=True)
    before = ApplicationError("away", type=STORE_UNAVAILABLE)
    wrapped = ApplicationError("activity failed")
    wrapped.__cause__ = now
    assert store_unavailable(now)
    assert store_unavailable(wrapped)
    assert not store_unavailable(before)
    assert not store_unavailable(ApplicationError("no", type="PermanentNodeError"))
