"""The step activity decides what ``transition`` decides, on generated workflows.

Each example draws a workflow of scripted nodes (a test node type, pure, that answers
a drawn :class:`~drift_nodes.NodeResult` for each state), pins it with the real begin
activity on a real (in-memory) SQLite store, and runs the real step activity from a
drawn state. The step chains pure states, so its answer is checked against the chain
walked with :func:`drift_nodes.transition` alone: the states run, the stop (read back
through the payload converter as the workflow reads it), the disposition and the state
the context is written at.
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
from drift_worker.activities import CHAIN_LIMIT, EngineActivities
from drift_worker.converter import DATA_CONVERTER
from drift_worker.enum_store import EnumStore
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
