"""The engine acts on the transition function's decisions, on generated workflows.

``drift_nodes.transition`` is the one decider of what comes after a node ran: the step
activity turns it into its answer (``step_result_of``), the answer travels as a recorded
activity result (``StepResult``), and the workflow reads it back (``transition_of``) and
acts on that. These property tests draw workflows, a state of theirs, a node definition
and a node result, and check that what the workflow acts on is the transition itself,
through Temporal's payload converter.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from drift_models import (
    RunStatus,
    View,
    WorkflowDefinition,
    WorkflowNode,
)
from drift_models.testing import instances, json_values
from drift_nodes import (
    ChildStart,
    Failed,
    Next,
    NodeResult,
    WaitFor,
    discover_nodes,
    transition,
)
from drift_worker.converter import DATA_CONVERTER
from drift_worker.outcomes import step_result_of, transition_of
from drift_worker.plan import Outcome, StepResult

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
def test_the_workflow_acts_on_the_transition(
    drawn: tuple[WorkflowDefinition, str, Any, NodeResult],
) -> None:
    # What the step activity answers, recorded as an activity result and read back the
    # way the workflow reads it, is the transition itself: the workflow decides nothing
    # of its own about what comes after a node.
    workflow, state, definition, result = drawn
    decided = transition(workflow, state, definition, result)
    event(type(decided).__name__)
    assert transition_of(_recorded(step_result_of(decided))) == decided


def _recorded(result: StepResult) -> StepResult:
    """``result`` after the trip through Temporal: encoded as a payload, decoded back."""
    converter = DATA_CONVERTER.payload_converter
    payloads = converter.to_payloads([result])
    decoded = converter.from_payloads(payloads, [StepResult])
    assert isinstance(decoded[0], StepResult)
    return decoded[0]


@pytest.mark.parametrize("outcome", [Outcome.END, Outcome.WAIT, Outcome.CHILD], ids=str)
def test_an_outcome_without_its_details_reads_as_a_failure(outcome: Outcome) -> None:
    decided = transition_of(StepResult(revision=3, outcome=outcome, state="lookup"))
    assert decided == Failed(
        state="lookup", error=f"the step answered {outcome} without its details"
    )


def test_a_failed_outcome_without_an_error_says_the_node_failed() -> None:
    decided = transition_of(StepResult(revision=3, outcome=Outcome.FAILED, state="lookup"))
    assert decided == Failed(state="lookup", error="the node failed")


@PROPERTY_SETTINGS
@given(decisions())
def test_a_transition_names_the_state_that_ran_unless_it_moves_on(
    drawn: tuple[WorkflowDefinition, str, Any, NodeResult],
) -> None:
    workflow, state, definition, result = drawn
    decided = transition(workflow, state, definition, result)
    if isinstance(decided, Next):
        assert decided.state in {result.next_node, workflow.states[state].next_node} - {None}
    else:
        assert decided.state == state
