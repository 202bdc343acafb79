"""The run loop's control flow, with scripted activities (unit tests of the workflow).

The activities here are fakes that answer what each test scripts; the real activities
(store, nodes) are exercised end to end in tests/. The workflow itself is the real one,
on a real Temporal server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.worker import Worker

from drift_models import (
    EventSignal,
    NodeStatus,
    PossibleValue,
    ResumeInput,
    ResumeRules,
    RetryPolicy,
    RunInput,
    RunStatus,
    TerminateInput,
    UtilityInput,
    UtilityResponse,
    View,
    ViewOption,
    ViewResponse,
    WorkflowResponse,
)
from drift_models.engine import (
    SIGNAL_EVENT,
    UPDATE_RESUME,
    UPDATE_STATE,
    UPDATE_TERMINATE,
    UPDATE_UTILITY,
    WORKFLOW_NAME,
)
from drift_worker.plan import (
    ACTIVITY_BEGIN,
    ACTIVITY_CALLBACK,
    ACTIVITY_MARK,
    ACTIVITY_STEP,
    ACTIVITY_UTILITY,
    BeginRequest,
    BeginResult,
    CallbackRequest,
    EndSpec,
    MarkRequest,
    Outcome,
    Plan,
    PlannedState,
    StepRequest,
    StepResult,
    UtilityStepRequest,
    WaitSpec,
)
from drift_worker.sandbox import workflow_runner
from drift_worker.workflow import DriftRunWorkflow

Behaviour = Callable[[StepRequest], StepResult]


@dataclass
class Script:
    """What the fake engine answers for one workflow."""

    states: dict[str, PlannedState]
    behaviour: dict[str, Behaviour]
    start: str = "a"
    failure_node: str | None = None
    history_limit: int = 10_000
    steps: list[StepRequest] = field(default_factory=list)
    marks: list[MarkRequest] = field(default_factory=list)
    callbacks: list[CallbackRequest] = field(default_factory=list)


SCRIPTS: dict[str, Script] = {}


def _planned(*, pure: bool = True, on_error: str | None = None) -> PlannedState:
    return PlannedState(
        node_type="SCRIPT" if pure else "HTTP",
        pure=pure,
        timeout_seconds=5,
        retry=RetryPolicy(maximum_attempts=2, initial_interval_seconds=0.01),
        on_error=on_error,
    )


@activity.defn(name=ACTIVITY_BEGIN)
async def fake_begin(request: BeginRequest) -> BeginResult:
    script = SCRIPTS[request.workflow_definition_id]
    plan = Plan(
        workflow_id=request.workflow_definition_id,
        workflow_version=1,
        start_node=script.start,
        default_failure_node=script.failure_node,
        states=script.states,
        history_limit=script.history_limit,
    )
    return BeginResult(plan=plan, revision=1)


@activity.defn(name=ACTIVITY_STEP)
async def fake_step(request: StepRequest) -> StepResult:
    script = SCRIPTS[request.workflow_id]
    script.steps.append(request)
    return script.behaviour[request.state](request)


@activity.defn(name=ACTIVITY_MARK)
async def fake_mark(request: MarkRequest) -> int:
    SCRIPTS_BY_RUN[request.run_id].marks.append(request)
    return request.revision + 1


@activity.defn(name=ACTIVITY_UTILITY)
async def fake_utility(request: UtilityStepRequest) -> UtilityResponse:
    if request.parameters.get("explode"):
        raise ApplicationError("the service said no", type="PermanentNodeError", non_retryable=True)
    return UtilityResponse(
        node=request.step.state, status=NodeStatus.COMPLETED, response={"echo": request.parameters}
    )


@activity.defn(name=ACTIVITY_CALLBACK)
async def fake_callback(request: CallbackRequest) -> None:
    SCRIPTS_BY_RUN[request.body.workflow_id].callbacks.append(request)


SCRIPTS_BY_RUN: dict[str, Script] = {}


def nxt(state: str) -> Behaviour:
    return lambda r: StepResult(
        revision=r.revision + 1, outcome=Outcome.NEXT, state=state, executed=[r.state]
    )


def end(status: RunStatus = RunStatus.COMPLETED, **extra: Any) -> Behaviour:
    def behaviour(request: StepRequest) -> StepResult:
        output = {"records": [(rec.key, rec.value) for rec in request.records]}
        return StepResult(
            revision=request.revision + 1,
            outcome=Outcome.END,
            state=request.state,
            end=EndSpec(status=status, output=output, **extra),
        )

    return behaviour


VIEW = View(
    node="ask",
    layout_id="confirm",
    input_options=[
        ViewOption(
            id="decision",
            possible_values=[
                PossibleValue(display_value="Yes", value="yes"),
                PossibleValue(display_value="No", value="no"),
            ],
        )
    ],
)


def view(next_node: str) -> Behaviour:
    return lambda r: StepResult(
        revision=r.revision + 1,
        outcome=Outcome.VIEW,
        state=r.state,
        view=VIEW,
        rules=ResumeRules(required=("decision",), single=("decision",)),
        next_node=next_node,
        disposition="ASKING",
    )


def fail(message: str) -> Behaviour:
    def behaviour(_: StepRequest) -> StepResult:
        raise ApplicationError(message, type="PermanentNodeError", non_retryable=True)

    return behaviour


@pytest.fixture
async def engine(temporal_client: Client, task_queue: str) -> AsyncIterator[Client]:
    async with Worker(
        temporal_client,
        task_queue=task_queue,
        workflows=[DriftRunWorkflow],
        activities=[fake_begin, fake_step, fake_mark, fake_utility, fake_callback],
        workflow_runner=workflow_runner(),
    ):
        yield temporal_client


async def start(
    client: Client, task_queue: str, script: Script, **run: Any
) -> tuple[Any, WorkflowResponse]:
    name = f"wf-{uuid.uuid4().hex[:8]}"
    SCRIPTS[name] = script
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    SCRIPTS_BY_RUN[run_id] = script
    operation: WithStartWorkflowOperation[Any, WorkflowResponse] = WithStartWorkflowOperation(
        WORKFLOW_NAME,
        RunInput(tenant_id="t1", run_id=run_id, workflow_definition_id=name, **run),
        id=f"t1/{run_id}",
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    state = await client.execute_update_with_start_workflow(
        UPDATE_STATE, start_workflow_operation=operation, result_type=WorkflowResponse
    )
    await operation.workflow_handle()
    return client.get_workflow_handle(f"t1/{run_id}", result_type=WorkflowResponse), state


async def test_sync_start_answers_the_first_view_and_resume_the_end(
    engine: Client, task_queue: str
) -> None:
    script = Script(
        states={"a": _planned(), "ask": _planned(pure=False), "done": _planned()},
        behaviour={"a": nxt("ask"), "ask": view("done"), "done": end(disposition="DONE")},
    )
    handle, state = await start(engine, task_queue, script, callback_url="http://cb.example/hook")
    assert state.workflow_status is RunStatus.WAITING
    assert state.view == VIEW
    assert state.current_node == "ask"
    assert state.disposition == "ASKING"
    assert state.workflow_version == 1

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            UPDATE_RESUME,
            ResumeInput(view_response=ViewResponse(selected_options={"decision": ["maybe"]})),
            result_type=WorkflowResponse,
        )
    assert "'maybe' is not a choice of widget 'decision'" in str(refused.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as wrong_view:
        await handle.execute_update(
            UPDATE_RESUME,
            ResumeInput(
                view_response=ViewResponse(selected_options={"decision": ["yes"]}), node="elsewhere"
            ),
            result_type=WorkflowResponse,
        )
    assert "the run waits at 'ask', not at 'elsewhere'" in str(wrong_view.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as expired:
        await handle.execute_update(
            UPDATE_RESUME,
            ResumeInput(
                view_response=ViewResponse(selected_options={"decision": ["yes"]}),
                answer_by=1_000,  # long past: its caller was told it was not applied
            ),
            result_type=WorkflowResponse,
        )
    assert isinstance(expired.value.cause, ApplicationError)
    assert expired.value.cause.type == "Expired"

    final = await handle.execute_update(
        UPDATE_RESUME,
        ResumeInput(view_response=ViewResponse(selected_options={"decision": ["yes"]})),
        result_type=WorkflowResponse,
    )
    assert final.workflow_status is RunStatus.COMPLETED
    assert final.disposition == "DONE"
    assert final.output == {
        "records": [["ask:viewResponse", {"selectedOptions": {"decision": ["yes"]}}]]
    }
    assert await handle.result() == final
    assert [s.state for s in script.steps] == ["a", "ask", "done"]
    assert [s.revision for s in script.steps] == [1, 2, 3]
    assert [(c.sequence, c.body.workflow_status) for c in script.callbacks] == [
        (1, RunStatus.WAITING),
        (2, RunStatus.COMPLETED),
    ]


async def test_a_failing_state_goes_to_its_on_error_then_the_failure_node(
    engine: Client, task_queue: str
) -> None:
    script = Script(
        states={
            "a": _planned(pure=False, on_error="recover"),
            "recover": _planned(),
            "b": _planned(),
            "failed": _planned(),
        },
        behaviour={
            "a": fail("the order service said 404"),
            "recover": nxt("b"),
            "b": fail("b broke"),
            "failed": end(RunStatus.FAILED, error_message="could not refund"),
        },
        failure_node="failed",
    )
    _, state = await start(engine, task_queue, script)
    assert state.workflow_status is RunStatus.FAILED
    assert state.error_message == "could not refund"
    assert [s.state for s in script.steps] == ["a", "recover", "b", "failed"]
    recover = next(s for s in script.steps if s.state == "recover")
    assert recover.records[0].key == "a:error"
    assert "the order service said 404" in recover.records[0].value["message"]


async def test_a_failure_with_nowhere_to_go_fails_the_run_readably(
    engine: Client, task_queue: str
) -> None:
    script = Script(states={"a": _planned()}, behaviour={"a": fail("division by zero in line 3")})
    _, state = await start(engine, task_queue, script)
    assert state.workflow_status is RunStatus.FAILED
    assert "division by zero in line 3" in (state.error_message or "")
    assert state.current_node == "a"
    assert [m.status for m in script.marks] == [RunStatus.FAILED]


async def test_terminate_stops_a_waiting_run(engine: Client, task_queue: str) -> None:
    script = Script(
        states={"a": _planned(), "ask": _planned()}, behaviour={"a": nxt("ask"), "ask": view("a")}
    )
    handle, state = await start(engine, task_queue, script)
    assert state.workflow_status is RunStatus.WAITING
    final = await handle.execute_update(
        UPDATE_TERMINATE, TerminateInput(reason="customer hung up"), result_type=WorkflowResponse
    )
    assert final.workflow_status is RunStatus.TERMINATED
    assert final.error_message == "customer hung up"
    assert [m.status for m in script.marks] == [RunStatus.TERMINATED]
    with pytest.raises(RPCError, match="workflow execution already completed"):
        await handle.execute_update(
            UPDATE_TERMINATE, TerminateInput(), result_type=WorkflowResponse
        )


async def test_utility_calls_leave_the_run_where_it_was(engine: Client, task_queue: str) -> None:
    script = Script(
        states={"a": _planned(), "ask": _planned(), "verify": _planned(pure=False)},
        behaviour={"a": nxt("ask"), "ask": view("a")},
    )
    handle, _ = await start(engine, task_queue, script)
    for code in ("111", "222"):
        answer = await handle.execute_update(
            UPDATE_UTILITY,
            UtilityInput(node="verify", parameters={"code": code}),
            result_type=UtilityResponse,
        )
        assert answer == UtilityResponse(
            node="verify", status=NodeStatus.COMPLETED, response={"echo": {"code": code}}
        )
    failed = await handle.execute_update(
        UPDATE_UTILITY,
        UtilityInput(node="verify", parameters={"explode": True}),
        result_type=UtilityResponse,
    )
    assert failed.status is NodeStatus.FAILED
    assert "the service said no" in (failed.error_message or "")
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            UPDATE_UTILITY, UtilityInput(node="nope"), result_type=UtilityResponse
        )
    state = await handle.execute_update(UPDATE_STATE, result_type=WorkflowResponse)
    assert state.workflow_status is RunStatus.WAITING
    assert state.current_node == "ask"


async def test_event_waits_continue_on_the_event_or_time_out(
    engine: Client, task_queue: str
) -> None:
    def wait_for_docs(request: StepRequest) -> StepResult:
        return StepResult(
            revision=request.revision + 1,
            outcome=Outcome.WAIT,
            state="docs",
            wait=WaitSpec(
                event="uploaded", timeout_seconds=2, timeout_node="late", next_node="done"
            ),
        )

    script = Script(
        states={"docs": _planned(), "done": _planned(), "late": _planned()},
        behaviour={
            "docs": wait_for_docs,
            "done": end(),
            "late": end(RunStatus.FAILED, error_message="late"),
        },
        start="docs",
    )
    handle, state = await start(engine, task_queue, script)
    assert state.workflow_status is RunStatus.SCHEDULER_WAITING
    await handle.signal(SIGNAL_EVENT, EventSignal(name="uploaded", payload={"files": 2}))
    final = await handle.result()
    assert final.workflow_status is RunStatus.COMPLETED
    assert final.output == {"records": [["docs", {"files": 2}]]}

    handle, _ = await start(engine, task_queue, script)
    final = await handle.result()
    assert final.workflow_status is RunStatus.FAILED
    assert final.current_node == "late"


async def test_timers_wait_until_the_moment(engine: Client, task_queue: str) -> None:
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)

    def timer(request: StepRequest) -> StepResult:
        return StepResult(
            revision=request.revision + 1,
            outcome=Outcome.WAIT,
            state="pause",
            wait=WaitSpec(until=soon, next_node="done"),
        )

    script = Script(
        states={"pause": _planned(), "done": _planned()},
        behaviour={"pause": timer, "done": end()},
        start="pause",
    )
    handle, state = await start(engine, task_queue, script)
    assert state.workflow_status is RunStatus.SCHEDULER_WAITING
    final = await handle.result()
    assert final.workflow_status is RunStatus.COMPLETED
    assert dt.datetime.now(dt.UTC) >= soon


async def test_long_loops_continue_as_new_without_losing_their_place(
    engine: Client, task_queue: str
) -> None:
    counter = {"n": 0}

    def loop(request: StepRequest) -> StepResult:
        counter["n"] += 1
        target = "loop" if counter["n"] < 60 else "done"
        return StepResult(
            revision=request.revision + 1, outcome=Outcome.NEXT, state=target, executed=["loop"]
        )

    script = Script(
        states={"loop": _planned(), "done": _planned()},
        behaviour={"loop": loop, "done": end()},
        start="loop",
        history_limit=100,
    )
    handle, state = await start(engine, task_queue, script)
    assert state.workflow_status is RunStatus.COMPLETED
    assert counter["n"] == 60
    assert [s.revision for s in script.steps] == list(range(1, 62))
    description = await handle.describe()
    assert description.run_id != handle.first_execution_run_id
    _ = asyncio
