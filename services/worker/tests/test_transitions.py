"""The transition function decides what the step activity decided, on generated workflows.

``drift_nodes.transition`` is the one decider of what comes after a node ran. These
property tests draw workflows, a state of theirs, a node definition and a node result,
and check that the step activity's reading of the transition (``step_outcome_of``) is the
outcome the activity's own decider gives (``step_outcome``, and its chain's rule that a
state with nowhere to go fails the step): the same stop, the same fields, the same next
state.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from drift_models import RunStatus, View, WorkflowDefinition, WorkflowNode
from drift_models.testing import instances, json_values
from drift_nodes import ChildStart, NodeResult, WaitFor, discover_nodes, transition
from drift_worker.outcomes import step_outcome, step_outcome_of
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
def test_the_transition_is_the_activitys_decision(
    drawn: tuple[WorkflowDefinition, str, Any, NodeResult],
) -> None:
    workflow, state, definition, result = drawn
    decided = transition(workflow, state, definition, result)
    event(type(decided).__name__)
    assert step_outcome_of(decided) == _activity_decision(workflow, state, definition, result)


def _activity_decision(
    workflow: WorkflowDefinition, state: str, definition: Any, result: NodeResult
) -> tuple[StepResult | None, str | None]:
    """The activity's decider as its chain reads it: with nowhere to go, the step fails."""
    outcome, following = step_outcome(workflow, state, definition, result)
    if outcome is None and following is None:
        error = f"{state!r} has no nextNode, so the run cannot go on"
        return StepResult(revision=0, outcome=Outcome.FAILED, state=state, error=error), None
    return outcome, following


@PROPERTY_SETTINGS
@given(decisions())
def test_a_transition_names_the_state_that_ran_unless_it_moves_on(
    drawn: tuple[WorkflowDefinition, str, Any, NodeResult],
) -> None:
    workflow, state, definition, result = drawn
    decided = transition(workflow, state, definition, result)
    outcome, following = step_outcome_of(decided)
    if outcome is None:
        assert following in {result.next_node, workflow.states[state].next_node} - {None}
    else:
        assert following is None
        assert outcome.state == state
