"""``transition``: what comes after a node ran, for each kind of result."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drift_models import (
    ChildMode,
    ResumeRules,
    RunStatus,
    View,
    WorkflowDefinition,
    WorkflowNode,
)
from drift_models.testing import instances
from drift_nodes import (
    Child,
    ChildStart,
    End,
    Failed,
    Next,
    NodeResult,
    Transition,
    ViewShown,
    Wait,
    WaitForDuration,
    WaitForEvent,
    WaitUntil,
    discover_nodes,
    failure_target,
    transition,
)

NODE_TYPES = discover_nodes().node_types
SCRIPT = NODE_TYPES.decode_node(
    b'{"type": "SCRIPT", "id": "s", "name": "S", "config": {"script": "1"}}'
)
INSTRUCTION = NODE_TYPES.decode_node(
    b'{"type": "INSTRUCTION", "id": "ask", "name": "Ask", "config": {"layoutId": "form",'
    b' "rules": {"required": ["decision"]}}}'
)
WORKFLOW = WorkflowDefinition(
    id="w",
    start_node="ask",
    states={
        "ask": WorkflowNode(resource_id="ask", next_node="route"),
        "route": WorkflowNode(resource_id="s"),
        "done": WorkflowNode(resource_id="s"),
    },
)
VIEW = View(node="ask", layout_id="form")


def test_a_plain_result_goes_on_at_the_states_next_node() -> None:
    assert transition(WORKFLOW, "ask", SCRIPT, NodeResult(output=1)) == Next(state="route")


def test_a_branchs_choice_wins_over_the_states_next_node() -> None:
    result = NodeResult(next_node="done")
    assert transition(WORKFLOW, "ask", SCRIPT, result) == Next(state="done")


def test_nowhere_to_go_fails_with_the_states_name() -> None:
    decided = transition(WORKFLOW, "route", SCRIPT, NodeResult())
    assert decided == Failed(
        state="route", error="'route' has no nextNode, so the run cannot go on"
    )


def test_a_terminal_ends_the_run_even_when_it_names_a_next_state() -> None:
    result = NodeResult(
        status=RunStatus.FAILED, disposition="NO", error_message="why", output=2, next_node="done"
    )
    assert transition(WORKFLOW, "route", SCRIPT, result) == End(
        state="route",
        status=RunStatus.FAILED,
        disposition="NO",
        error_message="why",
        output=2,
    )


def test_a_view_carries_the_instructions_rules_and_ignores_a_branch_choice() -> None:
    result = NodeResult(status=RunStatus.WAITING, view=VIEW, next_node="done")
    assert transition(WORKFLOW, "ask", INSTRUCTION, result) == ViewShown(
        state="ask", view=VIEW, rules=ResumeRules(required=("decision",)), next_node="route"
    )
    assert transition(WORKFLOW, "ask", SCRIPT, result) == ViewShown(
        state="ask", view=VIEW, next_node="route"
    )


def test_each_wait_keeps_its_fields_and_where_it_goes() -> None:
    moment = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    assert transition(WORKFLOW, "ask", SCRIPT, NodeResult(wait=WaitForDuration(seconds=3))) == Wait(
        state="ask", duration_seconds=3, next_node="route"
    )
    assert transition(WORKFLOW, "ask", SCRIPT, NodeResult(wait=WaitUntil(moment=moment))) == Wait(
        state="ask", until=moment, next_node="route"
    )
    event = WaitForEvent(name="docs", timeout_seconds=5, timeout_node="done")
    assert transition(WORKFLOW, "route", SCRIPT, NodeResult(wait=event)) == Wait(
        state="route", event="docs", timeout_seconds=5, timeout_node="done"
    )


def test_a_child_start_says_whether_the_parent_waits() -> None:
    start = ChildStart(
        workflow_id="pay", workflow_version=2, parameters={"a": 1}, mode=ChildMode.ASYNC
    )
    assert transition(WORKFLOW, "ask", SCRIPT, NodeResult(child=start)) == Child(
        state="ask", workflow_id="pay", version=2, params={"a": 1}, wait=False, next_node="route"
    )


@settings(max_examples=100, deadline=None)
@given(instances(Transition))
def test_transitions_round_trip_as_json_tagged_on_type(decided: Transition) -> None:
    encoded = msgspec.json.encode(decided)
    assert msgspec.json.decode(encoded)["type"] == type(decided).__struct_config__.tag
    assert msgspec.json.decode(encoded, type=Transition) == decided


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(WORKFLOW.states)), instances(NodeResult))
def test_every_result_gets_exactly_one_transition_about_its_state(
    state: str, result: NodeResult
) -> None:
    decided = transition(WORKFLOW, state, SCRIPT, result)
    if isinstance(decided, Next):
        assert decided.state in {result.next_node, WORKFLOW.states[state].next_node}
    else:
        assert decided.state == state


@pytest.mark.parametrize(
    ("state", "on_error", "default", "target"),
    [
        ("pay", "retryPay", "failed", "retryPay"),
        ("pay", None, "failed", "failed"),
        ("pay", None, None, None),
        ("failed", "elsewhere", "failed", None),
    ],
)
def test_a_failure_goes_to_on_error_then_the_default_but_never_loops_on_the_default(
    state: str, on_error: str | None, default: str | None, target: str | None
) -> None:
    assert failure_target(state, on_error=on_error, default_failure_node=default) == target
