"""The step activity decides what ``transition`` decides, on generated workflows.

Each example draws a workflow of scripted nodes (a test node type, pure, that answers
a drawn :class:`~drift_nodes.NodeResult` for each state), pins it with the real begin
activity on a real (in-memory) SQLite store, and runs the real step activity from a
drawn state. The step chains pure states, so its answer is checked against the chain
walked with :func:`drift_nodes.transition` alone: the states run, the stop (read back
through the payload converter as the workflow reads it), the disposition and the state
the context is written at. The combined ``drift.begin-step`` activity is checked against
begin then step on the same drawn workflows, run as a local and as a regular activity.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, ClassVar

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from temporalio.testing import ActivityEnvironment

from drift_models import (
    NodeDefinition,
    RetryPolicy,
    RunStatus,
    View,
    WorkflowDefinition,
    WorkflowNode,
    define_node_type,
)
from drift_models.testing import instances, json_values
from drift_nodes import (
    ChildStart,
    Next,
    NodeCall,
    NodeResources,
    NodeResult,
    NodeSettings,
    NodeType,
    Transition,
    WaitFor,
    discover_nodes,
    transition,
)
from drift_store import ContextStore, Store, open_store
from drift_worker.activities import CHAIN_LIMIT, EngineActivities, first_step_request
from drift_worker.converter import DATA_CONVERTER
from drift_worker.enum_store import EnumStore
from drift_worker.first_step import BeginStepResult, later_attempts
from drift_worker.outcomes import transition_of
from drift_worker.plan import BeginRequest, StepRequest, StepResult

TENANT = "t1"
STATE_NAMES = ("lookup", "route", "confirm", "done")


class _ScriptedConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A scripted node has nothing to configure: its answers are the test's."""


ScriptedNode = define_node_type("test.SCRIPTED", _ScriptedConfig)
_NEW_SCRIPTED: Any = ScriptedNode  # a defined type: its ``config`` is unknown to mypy


class Scripted(NodeType[Any]):
    """A pure node that answers what the running example scripted for its state."""

    definition: ClassVar[type[NodeDefinition]] = ScriptedNode
    pure: ClassVar[bool] = True

    def __init__(self) -> None:
        self.answers: dict[str, NodeResult] = {}

    async def execute(self, definition: Any, call: NodeCall) -> NodeResult:
        """The scripted answer of ``call.instance``."""
        del definition
        return self.answers[call.instance]


SCRIPTED = Scripted()


ScriptedIONode = define_node_type("test.SCRIPTED_IO", _ScriptedConfig)
_NEW_SCRIPTED_IO: Any = ScriptedIONode


class ScriptedIO(Scripted):
    """A scripted node that counts as doing I/O (it runs as a regular activity)."""

    definition: ClassVar[type[NodeDefinition]] = ScriptedIONode
    pure: ClassVar[bool] = False


SCRIPTED_IO = ScriptedIO()


@dataclasses.dataclass
class Engine:
    """The real activities on a real store, with the scripted node type registered."""

    store: Store
    contexts: ContextStore
    activities: EngineActivities


@pytest.fixture(scope="module")
async def engine() -> AsyncIterator[Engine]:
    registry = discover_nodes()
    registry.add(SCRIPTED, source="tests")
    registry.add(SCRIPTED_IO, source="tests")
    async with (
        open_store("sqlite://:memory:", node_types=registry.node_types) as store,
        NodeResources(NodeSettings()) as resources,
    ):
        contexts = ContextStore(store.backend.contexts)
        activities = EngineActivities(
            definitions=store.definitions,
            contexts=contexts,
            registry=registry,
            resources=resources,
            enum_store=EnumStore(),
        )
        yield Engine(store=store, contexts=contexts, activities=activities)


@st.composite
def scripted_workflows(draw: st.DrawFn) -> tuple[WorkflowDefinition, str, dict[str, NodeResult]]:
    """A workflow of scripted states, the state to start the step at, and each answer."""
    names = draw(st.lists(st.sampled_from(STATE_NAMES), min_size=1, max_size=4, unique=True))
    targets = st.sampled_from(names)
    states = {
        name: WorkflowNode(
            node_definition=_NEW_SCRIPTED(id=name, name=name, config=_ScriptedConfig()),
            next_node=draw(st.none() | targets),
        )
        for name in names
    }
    answers = {name: draw(_answers(targets)) for name in names}
    workflow = WorkflowDefinition(
        id=f"drawn-{uuid.uuid4().hex[:12]}", start_node=names[0], states=states
    )
    return workflow, draw(st.sampled_from(names)), answers


def _answers(targets: st.SearchStrategy[str]) -> st.SearchStrategy[NodeResult]:
    """A node's answer: half of them plain (the chain goes on), the rest anything."""
    plain = st.builds(
        NodeResult,
        output=json_values(),
        next_node=st.none() | targets,
        disposition=st.none() | st.text(min_size=1, max_size=6),
    )
    anything = st.builds(
        NodeResult,
        output=json_values(),
        next_node=st.none() | targets,
        view=st.none() | instances(View),
        disposition=st.none() | st.text(min_size=1, max_size=6),
        status=st.none() | st.sampled_from(list(RunStatus)),
        error_message=st.none() | st.text(max_size=6),
        wait=st.none() | instances(WaitFor),
        child=st.none() | instances(ChildStart),
    )
    return plain | anything


def _walked(
    workflow: WorkflowDefinition, start: str, answers: dict[str, NodeResult]
) -> tuple[list[str], Transition]:
    """The chain ``transition`` alone walks: every ``Next`` goes on, up to the chain limit."""
    name = start
    executed: list[str] = []
    while True:
        if len(executed) >= CHAIN_LIMIT:
            return executed, Next(state=name)
        definition = workflow.states[name].node_definition
        assert definition is not None
        decided = transition(workflow, name, definition, answers[name])
        executed.append(name)
        if not isinstance(decided, Next):
            return executed, decided
        name = decided.state


def _environment() -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, is_local=True, start_to_close_timeout=timedelta(seconds=30)
    )
    return env


def _recorded(result: StepResult) -> StepResult:
    """``result`` as the workflow receives it: through the payload converter."""
    converter = DATA_CONVERTER.payload_converter
    decoded = converter.from_payloads(converter.to_payloads([result]), [StepResult])
    assert isinstance(decoded[0], StepResult)
    return decoded[0]


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(scripted_workflows())
async def test_the_step_activity_decides_what_transition_decides(
    engine: Engine, drawn: tuple[WorkflowDefinition, str, dict[str, NodeResult]]
) -> None:
    workflow, start, answers = drawn
    SCRIPTED.answers = answers
    await engine.store.definitions.put(TENANT, workflow)
    run_id = f"run-{uuid.uuid4().hex[:12]}"
    begun = await _environment().run(
        engine.activities.begin,
        BeginRequest(
            tenant_id=TENANT, run_id=run_id, workflow_definition_id=workflow.id, version="SNAPSHOT"
        ),
    )
    request = StepRequest(
        tenant_id=TENANT,
        run_id=run_id,
        workflow_id=workflow.id,
        workflow_version=begun.plan.workflow_version,
        state=start,
        revision=begun.revision,
    )
    answered: StepResult = await _environment().run(engine.activities.step, request)
    executed, stop = _walked(workflow, start, answers)
    event(type(stop).__name__)
    event(f"{len(executed) if len(executed) < 5 else 'five or more'} states run")
    assert answered.executed == executed
    assert transition_of(_recorded(answered)) == stop
    dispositions = [answers[n].disposition for n in executed if answers[n].disposition]
    assert answered.disposition == (dispositions[-1] if dispositions else None)
    written = await engine.contexts.require(TENANT, run_id)
    assert written.current_node == stop.state
    assert written.revision == answered.revision


def _with_io_start(workflow: WorkflowDefinition) -> WorkflowDefinition:
    """``workflow`` with its start state's node swapped for the I/O one."""
    name = workflow.start_node
    state = workflow.states[name]
    io = _NEW_SCRIPTED_IO(id=name, name=name, config=_ScriptedConfig())
    states = {**workflow.states, name: msgspec.structs.replace(state, node_definition=io)}
    return msgspec.structs.replace(workflow, states=states)


def _environment_of(kind: str) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info,
        is_local=kind == "local",
        start_to_close_timeout=timedelta(hours=1),
        heartbeat_timeout=None if kind == "local" else timedelta(seconds=10),
    )
    return env


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(scripted_workflows(), st.sampled_from(["local", "regular"]), st.booleans())
async def test_begin_step_answers_what_begin_then_step_answer(
    engine: Engine,
    drawn: tuple[WorkflowDefinition, str, dict[str, NodeResult]],
    kind: str,
    io_start: bool,
) -> None:
    workflow, _, answers = drawn
    if io_start:
        workflow = _with_io_start(workflow)
    SCRIPTED.answers = SCRIPTED_IO.answers = answers
    await engine.store.definitions.put(TENANT, workflow)

    def begin_request(run_id: str) -> BeginRequest:
        return BeginRequest(
            tenant_id=TENANT, run_id=run_id, workflow_definition_id=workflow.id, version="SNAPSHOT"
        )

    apart, together = f"run-{uuid.uuid4().hex[:12]}", f"run-{uuid.uuid4().hex[:12]}"
    begun = await _environment().run(engine.activities.begin, begin_request(apart))
    stepped: StepResult = await _environment_of(kind).run(
        engine.activities.step, first_step_request(begin_request(apart), begun)
    )
    both: BeginStepResult = await _environment_of(kind).run(
        engine.activities.begin_step, begin_request(together)
    )
    event(f"{kind}, {'I/O' if io_start else 'pure'} start")
    assert both.failure is None
    if kind == "local" and io_start:
        # An I/O state never runs in a local activity: only pinned, the step comes apart.
        assert both.begun == begun
        assert both.step is None
        assert (await engine.contexts.require(TENANT, together)).revision == begun.revision
        return
    # The same plan and step; the step's write is the context's first (one write, not two).
    assert both.begun == msgspec.structs.replace(begun, revision=1)
    assert both.step is not None
    assert _recorded(both.step) == msgspec.structs.replace(_recorded(stepped), revision=1)
    written = [await engine.contexts.require(TENANT, run) for run in (apart, together)]
    assert (written[0].revision, written[1].revision) == (2, 1)
    assert written[1].current_node == written[0].current_node
    assert written[1].status == written[0].status
    assert written[1].context.global_ == written[0].context.global_


@given(
    st.builds(
        RetryPolicy,
        maximum_attempts=st.integers(min_value=0, max_value=1000).filter(lambda n: n != 1),
        initial_interval_seconds=st.floats(min_value=0.01, max_value=100),
        backoff_coefficient=st.floats(min_value=1, max_value=100),
        maximum_interval_seconds=st.none() | st.floats(min_value=0.01, max_value=1000),
    )
)
def test_the_attempts_after_a_folded_first_one_wait_as_the_policy_says(
    policy: RetryPolicy,
) -> None:
    later = later_attempts(policy)

    def wait_before(attempt: int, of: RetryPolicy) -> float:
        # Temporal's wait before attempt ``attempt`` (2, 3, ...) of a policy.
        wait = of.initial_interval_seconds * of.backoff_coefficient ** (attempt - 2)
        cap = of.maximum_interval_seconds
        return wait if cap is None else min(wait, cap)

    # Attempt n + 1 of the later policy is attempt n + 2 of the node's.
    for attempt in (2, 3, 4):
        assert wait_before(attempt, later) == pytest.approx(wait_before(attempt + 1, policy))
    if policy.maximum_attempts:
        assert later.maximum_attempts == policy.maximum_attempts - 1
    else:
        assert later.maximum_attempts == 0  # no limit stays no limit


def test_a_policy_of_one_attempt_has_none_after_the_first() -> None:
    with pytest.raises(ValueError, match="one attempt"):
        later_attempts(RetryPolicy(maximum_attempts=1))
