"""PARALLEL and MAP states: their paths, what their states may read, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from drift_models import (
    EdgeKind,
    MapSpec,
    NodeCatalog,
    NodeTypes,
    Severity,
    WorkflowGraph,
    resolve_states,
    validate_workflow,
    workflow_dot,
)

NODE_TYPES = NodeTypes()


def _http(*parameters: str) -> dict[str, Any]:
    return {
        "type": "HTTP",
        "id": "n-http",
        "name": "Call",
        "parameters": list(parameters),
        "config": {"url": "https://svc.example/x"},
    }


def _state(next_node: str | None = None, **parameters: str) -> dict[str, Any]:
    state: dict[str, Any] = {
        "nodeDefinition": _http(*parameters),
        "parameters": dict(parameters),
    }
    if next_node is not None:
        state["nextNode"] = next_node
    return state


def fanout_workflow() -> dict[str, Any]:
    """first -> checks (fraud: f1 -> f2 | stock: s1) -> lines (MAP over items: line) -> done."""
    return {
        "id": "fan",
        "parameters": ["orderId", "items"],
        "startNode": "first",
        "defaultFailureNode": "failed",
        "states": {
            "first": _state("checks", orderId="$.params.orderId"),
            "checks": {
                "parallel": {
                    "branches": {"fraud": {"startNode": "f1"}, "stock": {"startNode": "s1"}}
                },
                "nextNode": "lines",
            },
            "f1": _state("f2", order="$.first.body"),
            "f2": _state(previous="$.f1.body"),
            "s1": _state(order="$.params.orderId"),
            "lines": {
                "map": {"items": "$.params.items", "itemNode": "line", "maxConcurrency": 4},
                "nextNode": "done",
            },
            "line": _state(item="$._item", index="$._index", fraud="$.f2.body"),
            "done": {
                "nodeDefinition": {
                    "type": "SUCCESS",
                    "id": "n-ok",
                    "name": "Ok",
                    "config": {"output": "{{ summary }}"},
                    "parameters": ["summary", "fraud"],
                },
                "parameters": {"summary": "$.lines.results", "fraud": "$.checks.fraud"},
            },
            "failed": {"nodeDefinition": {"type": "FAILURE", "id": "n-failed", "name": "Failed"}},
        },
    }


def _problems(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    workflow = NODE_TYPES.convert_workflow(document)
    return [
        (p.path, p.code, p.message)
        for p in validate_workflow(workflow, NodeCatalog())
        if p.severity is Severity.ERROR
    ]


def test_a_fanout_workflow_is_valid_and_reads_after_the_join() -> None:
    workflow = NODE_TYPES.convert_workflow(fanout_workflow())
    problems = validate_workflow(workflow, NodeCatalog())
    assert problems == []


def test_the_graph_forks_and_joins() -> None:
    workflow = NODE_TYPES.convert_workflow(fanout_workflow())
    graph = WorkflowGraph(workflow, resolve_states(workflow, NodeCatalog()))
    forks = {(e.source, e.target) for e in graph.edges if e.kind is EdgeKind.FORK}
    joins = {(e.source, e.target) for e in graph.edges if e.kind is EdgeKind.JOIN}
    assert forks == {("checks", "f1"), ("checks", "s1"), ("lines", "line")}
    assert joins == {("f2", "lines"), ("s1", "lines"), ("line", "done")}
    assert [p.label for p in graph.owners("f2")] == ["branch 'fraud' of 'checks'"]
    assert graph.always_runs_before("checks", "done")
    dot = workflow_dot(graph)
    assert 'label="fraud"' in dot
    assert 'label="map lines: each item"' in dot
    assert '"checks" -> "f1"' in dot
    assert '"checks" -> "lines"' not in dot  # reached through the joins, not around them
    assert '"f2" -> "lines"' in dot


def _set(document: dict[str, Any], state: str, **fields: Any) -> dict[str, Any]:
    document["states"][state].update(fields)
    return document


CASES: list[tuple[str, Any, str, str, str]] = [
    (
        "sibling read",
        lambda d: _set(d, "s1", parameters={"order": "$.f1.body"}, nodeDefinition=_http("order")),
        "$.states.s1.parameters.order",
        "parameter-branch-sibling",
        "a branch may not read a sibling's output",
    ),
    (
        "item output read outside the body",
        lambda d: _set(d, "done", parameters={"summary": "$.line.body", "fraud": "$.checks.fraud"}),
        "$.states.done.parameters.summary",
        "parameter-map-item-output",
        "read the items' outputs as $.lines.results",
    ),
    (
        "item read outside a MAP",
        lambda d: _set(d, "first", parameters={"orderId": "$._item"}),
        "$.states.first.parameters.orderId",
        "parameter-item-outside-map",
        "exists only in the states of a MAP's body",
    ),
    (
        "a branch reads its own fan-out state",
        lambda d: _set(d, "s1", parameters={"order": "$.checks.fraud"}),
        "$.states.s1.parameters.order",
        "parameter-node-later",
        "exists only after the join",
    ),
    (
        "a view inside a branch",
        lambda d: _set(
            d,
            "s1",
            parameters={},
            nodeDefinition={
                "type": "INSTRUCTION",
                "id": "n-ask",
                "name": "Ask",
                "config": {"layoutId": "x"},
            },
        ),
        "$.states.s1",
        "fanout-node-refused",
        "shows a view (INSTRUCTION); inside branch 'stock' of 'checks'",
    ),
    (
        "an event wait inside a MAP body",
        lambda d: _set(
            d,
            "line",
            parameters={},
            nodeDefinition={
                "type": "WAIT",
                "id": "n-wait",
                "name": "Wait",
                "config": {"event": {"name": "go"}},
            },
        ),
        "$.states.line",
        "fanout-node-refused",
        "waits (WAIT); inside the body of MAP 'lines'",
    ),
    (
        "onError inside a branch",
        lambda d: _set(d, "f2", onError="failed"),
        "$.states.f2.onError",
        "fanout-on-error",
        "the onError of 'checks' routes the failure",
    ),
    (
        "a branch pointed at the join",
        lambda d: _set(d, "s1", nextNode="lines"),
        "$.states.lines",
        "fanout-state-entered",
        "the run joins by itself",
    ),
    (
        "a branch state as the default failure node",
        lambda d: {**d, "defaultFailureNode": "s1"},
        "$.defaultFailureNode",
        "fanout-state-entered",
        "'s1' belongs to branch 'stock' of 'checks'",
    ),
    (
        "a fan-out after the end",
        lambda d: {**d, "postWorkflowCompletionNodes": ["lines"]},
        "$.postWorkflowCompletionNodes[0]",
        "fanout-post-node",
        "may not be PARALLEL or MAP",
    ),
    (
        "a fan-out without nextNode",
        lambda d: _set(d, "lines", nextNode=None),
        "$.states.lines",
        "fanout-next-missing",
        "has no nextNode, where its paths join",
    ),
    (
        "a branch that starts nowhere",
        lambda d: _set(d, "checks", parallel={"branches": {"x": {"startNode": "nowhere"}}}),
        "$.states.checks.parallel.branches.x.startNode",
        "fanout-start-unknown",
        "branch 'x' of 'checks' starts at 'nowhere'",
    ),
    (
        "a fan-out that names a node",
        lambda d: _set(d, "checks", resourceId="some-node"),
        "$.states.checks",
        "fanout-names-node",
        "names no node",
    ),
    (
        "a MAP over an unknown state",
        lambda d: _set(d, "lines", map={"items": "$.later.items", "itemNode": "line"}),
        "$.states.lines.map.items",
        "parameter-node-unknown",
        "reads 'later'",
    ),
]


@pytest.mark.parametrize(
    ("change", "path", "code", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_broken_fanouts_are_refused_with_the_exact_place(
    change: Any, path: str, code: str, fragment: str
) -> None:
    document = change(fanout_workflow())
    document["states"] = {
        k: {f: v for f, v in s.items() if v is not None} for k, s in document["states"].items()
    }
    problems = _problems(document)
    matching = [p for p in problems if p[1] == code]
    assert matching, problems
    assert matching[0][0] == path
    assert fragment in matching[0][2]


@pytest.mark.parametrize(
    ("count", "percentage", "items", "tolerated"),
    [
        (None, None, 100, 0),
        (3, None, 100, 3),
        (None, 5.0, 100, 5),
        (10, 5.0, 100, 5),
        (2, 50, 3, 1),
    ],
)
def test_tolerated_failures_take_the_stricter_bound(
    count: int | None, percentage: float | None, items: int, tolerated: int
) -> None:
    spec = MapSpec(
        items="$.x",
        item_node="a",
        tolerated_failure_count=count,
        tolerated_failure_percentage=percentage,
    )
    assert spec.tolerated_failures(items) == tolerated
