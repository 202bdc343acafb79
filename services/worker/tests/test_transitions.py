"""The transition function decides what the step activity decided, on generated workflows.

``drift_nodes.transition`` is the one decider of what comes after a node ran; the step
activity reads it through ``step_outcome_of``. These property tests draw workflows, a
state of theirs, a node definition and a node result, and check that reading against the
activity's decider as it was before it was wired to ``transition`` (``step_outcome`` and
its chain's rule that a state with nowhere to go fails the step, kept below verbatim as
the oracle): the same stop, the same fields, the same next state. The oracle goes once
the workflow's ``_follow`` reads transitions too and the engine's end-to-end tests cover
the same ground.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from drift_models import (
    InstructionNode,
    NodeDefinition,
    RunStatus,
    View,
    WorkflowDefinition,
    WorkflowNode,
)
from drift_models.testing import instances, json_values
from drift_nodes import (
    ChildStart,
    NodeResult,
    WaitFor,
    WaitForDuration,
    WaitForEvent,
    WaitUntil,
    discover_nodes,
    transition,
)
from drift_worker.outcomes import step_outcome_of
from drift_worker.plan import ChildSpec, EndSpec, Outcome, StepResult, WaitSpec

NODE_TYPES = discover_nodes().node_types
STATE_NAMES = ("lookup", "route", "confirm", "done", "elsewhere")
"""State names the drawn workflows use (``elsewhere`` is also a target outside some)."""
PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def decisions(draw: st.DrawFn) -> tuple[WorkflowDefinition, str, Any, NodeResult]:
    """A workflow, one of its states, a node definition and a result that node gave."""
    names = draw(st.lists(st.sampled_from(STATE_NAMES), min_size=1, max_size=4, unique=True))
    states = {
        name: WorkflowNode(resource_id="node", next_node=draw(_maybe(st.sampled_from(names))))
        for name in names
    }
    workflow = WorkflowDefinition(id="drawn", start_node=names[0], states=states)
    state = draw(st.sampled_from(names))
    targets = st.sampled_from(STATE_NAMES)
    result = NodeResult(
        output=draw(json_values()),
        next_node=draw(_maybe(targets)),
        view=draw(_maybe(instances(View))),
        disposition=draw(_maybe(st.text(max_size=6))),
        status=draw(_maybe(st.sampled_from(list(RunStatus)))),
        error_message=draw(_maybe(st.text(max_size=6))),
        wait=draw(_maybe(instances(WaitFor))),
        child=draw(_maybe(instances(ChildStart))),
    )
    return workflow, state, draw(instances(NODE_TYPES.union)), result


@PROPERTY_SETTINGS
@given(decisions())
def test_the_transition_is_the_activitys_decision(
    drawn: tuple[WorkflowDefinition, str, Any, NodeResult],
) -> None:
    workflow, state, definition, result = drawn
    decided = transition(workflow, state, definition, result)
    event(type(decided).__name__)
    assert step_outcome_of(decided) == _activity_decision(workflow, state, definition, result)


def _activity_decision(
    workflow: WorkflowDefinition, state: str, definition: Any, result: NodeResult
) -> StepResult | str:
    """The activity's decision as its chain read it: with nowhere to go, the step failed."""
    outcome, following = _step_outcome_before(workflow, state, definition, result)
    if outcome is not None:
        return outcome
    if following is None:
        error = f"{state!r} has no nextNode, so the run cannot go on"
        return StepResult(revision=0, outcome=Outcome.FAILED, state=state, error=error)
    return following


def _step_outcome_before(
    workflow: WorkflowDefinition,
    name: str,
    definition: NodeDefinition,
    result: NodeResult,
) -> tuple[StepResult | None, str | None]:
    """The activity's decider as it was before it asked ``transition`` (kept verbatim)."""
    state = workflow.states[name]
    following = result.next_node or state.next_node
    if result.is_terminal:
        end = EndSpec(
            status=result.status or RunStatus.COMPLETED,
            disposition=result.disposition,
            error_message=result.error_message,
            output=result.output,
        )
        return StepResult(
            revision=0, outcome=Outcome.END, state=name, end=end, view=result.view
        ), None
    if result.status is RunStatus.WAITING:
        rules = definition.config.rules if isinstance(definition, InstructionNode) else None
        return StepResult(
            revision=0,
            outcome=Outcome.VIEW,
            state=name,
            view=result.view,
            rules=rules,
            next_node=state.next_node,
        ), None
    if result.wait is not None:
        return StepResult(
            revision=0, outcome=Outcome.WAIT, state=name, wait=_wait_spec_before(result, following)
        ), None
    if result.child is not None:
        child = ChildSpec(
            workflow_definition_id=result.child.workflow_id,
            version=result.child.workflow_version,
            params=dict(result.child.parameters),
            wait=result.child.mode == "SYNC",
            next_node=state.next_node,
        )
        return StepResult(revision=0, outcome=Outcome.CHILD, state=name, child=child), None
    return None, following


def _wait_spec_before(result: NodeResult, following: str | None) -> WaitSpec:
    wait = result.wait
    if isinstance(wait, WaitForDuration):
        return WaitSpec(duration_seconds=wait.seconds, next_node=following)
    if isinstance(wait, WaitUntil):
        return WaitSpec(until=wait.moment, next_node=following)
    if isinstance(wait, WaitForEvent):
        return WaitSpec(
            event=wait.name,
            timeout_seconds=wait.timeout_seconds,
            timeout_node=wait.timeout_node,
            next_node=following,
        )
    return WaitSpec(next_node=following)


@PROPERTY_SETTINGS
@given(decisions())
def test_a_transition_names_the_state_that_ran_unless_it_moves_on(
    drawn: tuple[WorkflowDefinition, str, Any, NodeResult],
) -> None:
    workflow, state, definition, result = drawn
    decided = transition(workflow, state, definition, result)
    outcome = step_outcome_of(decided)
    if isinstance(outcome, str):
        assert outcome in {result.next_node, workflow.states[state].next_node} - {None}
    else:
        assert outcome.state == state
