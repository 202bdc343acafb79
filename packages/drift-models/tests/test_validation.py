"""Validation before publish: a table of broken workflows, each with the exact problem."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drift_models import (
    NodeCatalog,
    NodeTypes,
    ScriptIssue,
    Severity,
    validate_node_definition,
    validate_workflow,
)
from drift_models.documents import load_definitions

NODE_TYPES = NodeTypes()
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _node(type_: str, config: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"type": type_, "id": f"n-{type_.lower()}", "name": type_.title()}
    if config is not None:
        node["config"] = config
    node.update(extra)
    return node


def base_workflow() -> dict[str, Any]:
    """lookup (HTTP) -> score (SCRIPT) -> route (BRANCH) -> ask (INSTRUCTION) -> done."""
    return {
        "id": "table",
        "parameters": ["orderId"],
        "startNode": "lookup",
        "defaultFailureNode": "failed",
        "states": {
            "lookup": {
                "nodeDefinition": _node(
                    "HTTP", {"url": "https://orders.example/{{ orderId }}"}, parameters=["orderId"]
                ),
                "parameters": {"orderId": "$.params.orderId"},
                "nextNode": "score",
            },
            "score": {
                "nodeDefinition": _node(
                    "SCRIPT", {"script": "order['total'] * 2"}, parameters=["order"]
                ),
                "parameters": {"order": "$.lookup.body"},
                "nextNode": "route",
            },
            "route": {
                "nodeDefinition": _node(
                    "BRANCH",
                    {"choices": [{"rule": "score > 10", "nextNode": "ask"}], "defaultNode": "done"},
                    parameters=["score"],
                ),
                "parameters": {"score": "$.score"},
            },
            "ask": {
                "nodeDefinition": _node(
                    "INSTRUCTION",
                    {
                        "layoutId": "confirm",
                        "inputOptions": [
                            {
                                "id": "decision",
                                "possibleValues": [{"displayValue": "Yes", "value": "y"}],
                            }
                        ],
                        "rules": {"required": ["decision"]},
                    },
                ),
                "nextNode": "done",
            },
            "done": {"nodeDefinition": _node("SUCCESS", {"disposition": "DONE"})},
            "failed": {"nodeDefinition": _node("FAILURE")},
        },
    }


Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return edit


def _delete(path: str) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = doc
        for key in parents:
            target = target[key]
        del target[last]

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        for one in edits:
            one(doc)

    return edit


CASES: list[tuple[str, Edit, str, str]] = [
    (
        "start node unknown",
        _set("startNode", "lokup"),
        "$.startNode",
        (
            "startNode 'lokup' is not a state of this workflow "
            "(states: lookup, score, route, ask, done, failed)"
        ),
    ),
    (
        "next node unknown",
        _set("states/score/nextNode", "rout"),
        "$.states.score.nextNode",
        (
            "nextNode 'rout' is not a state of this workflow "
            "(states: lookup, score, route, ask, done, failed)"
        ),
    ),
    (
        "onError unknown",
        _set("states/lookup/onError", "nowhere"),
        "$.states.lookup.onError",
        (
            "onError 'nowhere' is not a state of this workflow "
            "(states: lookup, score, route, ask, done, failed)"
        ),
    ),
    (
        "failure node unknown",
        _set("defaultFailureNode", "fail"),
        "$.defaultFailureNode",
        (
            "defaultFailureNode 'fail' is not a state of this workflow "
            "(states: lookup, score, route, ask, done, failed)"
        ),
    ),
    (
        "branch target unknown",
        _set("states/route/nodeDefinition/config/choices/0/nextNode", "asc"),
        "$.states.route.nodeDefinition.config.choices[0].nextNode",
        (
            "the node sends runs to 'asc', which is not a state of this workflow "
            "(states: lookup, score, route, ask, done, failed)"
        ),
    ),
    (
        "branch default unknown",
        _set("states/route/nodeDefinition/config/defaultNode", "end"),
        "$.states.route.nodeDefinition.config.defaultNode",
        (
            "the node sends runs to 'end', which is not a state of this workflow "
            "(states: lookup, score, route, ask, done, failed)"
        ),
    ),
    (
        "post-completion node unknown",
        _set("postWorkflowCompletionNodes", ["audit"]),
        "$.postWorkflowCompletionNodes[0]",
        "'audit' is not a state of this workflow (states: lookup, score, route, ask, done, failed)",
    ),
    (
        "post-completion node is a terminal",
        _set("postWorkflowCompletionNodes", ["done"]),
        "$.postWorkflowCompletionNodes[0]",
        (
            "'done' is a terminal; post-completion states run after the end and cannot end the "
            "run again"
        ),
    ),
    (
        "missing nextNode",
        _delete("states/score/nextNode"),
        "$.states.score",
        (
            "'score' has no nextNode and is not a terminal, so a run would stop there without "
            "ending; add nextNode or make it SUCCESS/FAILURE"
        ),
    ),
    (
        "a loop with no way out",
        _both(
            _set("states/ask/nextNode", "recheck"),
            _set(
                "states/recheck",
                {"nodeDefinition": _node("SCRIPT", {"script": "1"}), "nextNode": "ask"},
            ),
            _set("defaultFailureNode", None),
        ),
        "$.states.ask",
        (
            "no SUCCESS or FAILURE state can be reached from 'ask'; a run that gets there can "
            "never end"
        ),
    ),
    (
        "terminal with nextNode",
        _set("states/done/nextNode", "lookup"),
        "$.states.done.nextNode",
        "'done' is a terminal: the run ends there, so nextNode is never followed; remove it",
    ),
    (
        "branch with nextNode",
        _set("states/route/nextNode", "ask"),
        "$.states.route.nextNode",
        (
            "'route' is a BRANCH: its rules choose the next state, so nextNode is never followed; "
            "remove it"
        ),
    ),
    (
        "no node named",
        _set("states/ask", {"nextNode": "done"}),
        "$.states.ask",
        (
            "the state names no node: give resourceId (and resourceVersion) or an inline "
            "nodeDefinition"
        ),
    ),
    (
        "reference and inline node both",
        _set("states/done/resourceId", "n-success"),
        "$.states.done",
        "a state uses either resourceId or an inline nodeDefinition, not both",
    ),
    (
        "referenced node does not exist",
        _set("states/ask", {"resourceId": "ask-agent", "resourceVersion": 3, "nextNode": "done"}),
        "$.states.ask.resourceId",
        "node definition 'ask-agent' has no version 3; create or publish it first",
    ),
    (
        "instanceName differs from key",
        _set("states/done/instanceName", "finished"),
        "$.states.done.instanceName",
        (
            "instanceName 'finished' differs from its key 'done'; make them equal or leave "
            "instanceName out"
        ),
    ),
    (
        "reserved state name",
        _both(
            _set("states/params", {"nodeDefinition": _node("SUCCESS")}),
            _set("states/route/nodeDefinition/config/defaultNode", "params"),
        ),
        "$.states.params",
        "'params' is reserved for the run's context; choose another state name",
    ),
    (
        "node parameter not mapped",
        _set("states/lookup/parameters", {}),
        "$.states.lookup.parameters",
        "node parameter 'orderId' is not mapped; map it to a $.-path or a literal",
    ),
    (
        "mapping of a parameter the node lacks",
        _set("states/lookup/parameters/orderid", "$.params.orderId"),
        "$.states.lookup.parameters.orderid",
        "the node has no parameter 'orderid' (it declares: orderId)",
    ),
    (
        "undeclared workflow parameter",
        _set("states/lookup/parameters/orderId", "$.params.order"),
        "$.states.lookup.parameters.orderId",
        (
            "'$.params.order' reads workflow parameter 'order', which the workflow does not "
            "declare in parameters (declared: orderId)"
        ),
    ),
    (
        "reads a state that runs later",
        _set("states/score/parameters/order", "$.route.choice"),
        "$.states.score.parameters.order",
        "'$.route.choice' reads 'route', which cannot run before 'score'",
    ),
    (
        "reads a state that does not exist",
        _set("states/score/parameters/order", "$.lokup.body"),
        "$.states.score.parameters.order",
        (
            "'$.lokup.body' reads 'lokup', which is neither params, _enum_store, threadContext "
            "nor a state of this workflow (states: lookup, score, route, ask, done, failed)"
        ),
    ),
    (
        "malformed path",
        _set("states/score/parameters/order", "$.lookup..body"),
        "$.states.score.parameters.order",
        "'$.lookup..body' is not a valid path: expected a name after '.'",
    ),
    (
        "view response of a node that shows no view",
        _set("states/score/parameters/order", "$.lookup:viewResponse"),
        "$.states.score.parameters.order",
        "'$.lookup:viewResponse' reads the answer of 'lookup', which is not an INSTRUCTION",
    ),
    (
        "unknown suffix",
        _set("states/score/parameters/order", "$.lookup:answer"),
        "$.states.score.parameters.order",
        "'$.lookup:answer': the only suffix a state name takes is :viewResponse",
    ),
    (
        "template names an undeclared parameter",
        _set("states/lookup/nodeDefinition/config/url", "https://orders.example/{{ order }}"),
        "$.states.lookup.nodeDefinition.config.url",
        (
            "placeholder {{ order }} at column 24 uses 'order', which is not a parameter of this "
            "node (parameters: orderId; _global and _enum_store are always available)"
        ),
    ),
    (
        "unclosed placeholder",
        _set("states/lookup/nodeDefinition/config/url", "https://x/{{ orderId"),
        "$.states.lookup.nodeDefinition.config.url",
        "placeholder opened at column 11 is never closed with '}}'",
    ),
    (
        "script that does not compile",
        _set("states/score/nodeDefinition/config/script", "order['total' * "),
        "$.states.score.nodeDefinition.config.script",
        "the script does not compile: line 1, column 17: unexpected end of input",
    ),
    (
        "wait with two modes",
        _set(
            "states/ask",
            {
                "nodeDefinition": _node(
                    "WAIT", {"durationSeconds": 5, "until": "2030-01-01T00:00:00Z"}
                ),
                "nextNode": "done",
            },
        ),
        "$.states.ask.nodeDefinition.config",
        (
            "a WAIT sets exactly one of durationSeconds, until or event "
            "(found: durationSeconds, until)"
        ),
    ),
    (
        "wait until without a zone",
        _set(
            "states/ask",
            {"nodeDefinition": _node("WAIT", {"until": "2030-01-01T00:00:00"}), "nextNode": "done"},
        ),
        "$.states.ask.nodeDefinition.config.until",
        (
            "'2030-01-01T00:00:00' is not an ISO 8601 timestamp with a time zone "
            "(e.g. 2026-12-01T09:00:00Z); a template is also accepted"
        ),
    ),
    (
        "rule names an option the view lacks",
        _set("states/ask/nodeDefinition/config/rules/required", ["decison"]),
        "$.states.ask.nodeDefinition.config.rules.required[0]",
        "rule names option 'decison', which is not in this view",
    ),
    (
        "duplicate option id",
        _set(
            "states/ask/nodeDefinition/config/inputOptions",
            [{"id": "decision"}, {"id": "decision"}],
        ),
        "$.states.ask.nodeDefinition.config.inputOptions[1].id",
        "option id 'decision' is used twice in this view; ids must be unique",
    ),
    (
        "script inside a processor",
        _set(
            "states/score/nodeDefinition",
            _node("PROCESSOR", {"mappings": {"x": {"$script": "1 + 1"}}}, parameters=["order"]),
        ),
        '$.states.score.nodeDefinition.config.mappings.x["$script"]',
        "a PROCESSOR maps values without code; use a SCRIPT node for scripts",
    ),
    (
        "no terminal at all",
        _both(
            _set(
                "states/done",
                {"nodeDefinition": _node("SCRIPT", {"script": "1"}), "nextNode": "lookup"},
            ),
            _set(
                "states/failed",
                {"nodeDefinition": _node("SCRIPT", {"script": "1"}), "nextNode": "lookup"},
            ),
        ),
        "$.states",
        "the workflow has no SUCCESS or FAILURE state, so no run can end",
    ),
]


def fake_starlark(source: str) -> ScriptIssue | None:
    """A stand-in compiler for unit tests: only unbalanced brackets fail."""
    if source.count("[") != source.count("]"):
        return ScriptIssue(line=1, column=len(source) + 1, message="unexpected end of input")
    return None


def problems_of(doc: dict[str, Any]) -> list[tuple[Severity, str, str]]:
    workflow = NODE_TYPES.convert_workflow(doc)
    found = validate_workflow(workflow, NodeCatalog(), check_script=fake_starlark)
    return [(p.severity, p.path, p.message) for p in found]


def test_the_table_has_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20
    assert len({name for name, *_ in CASES}) == len(CASES)


def test_the_base_workflow_is_clean() -> None:
    assert problems_of(base_workflow()) == []


@pytest.mark.parametrize(("name", "edit", "path", "message"), CASES, ids=[c[0] for c in CASES])
def test_broken_workflow_is_reported(name: str, edit: Edit, path: str, message: str) -> None:
    doc = copy.deepcopy(base_workflow())
    edit(doc)
    problems = problems_of(doc)
    assert (Severity.ERROR, path, message) in problems, f"{name}: {problems}"


def test_every_problem_is_reported_at_once() -> None:
    doc = copy.deepcopy(base_workflow())
    for _, edit, _, _ in CASES[:6]:
        edit(doc)
    paths = {path for _, path, _ in problems_of(doc)}
    assert {c[2] for c in CASES[:6]} <= paths


def test_unreachable_state_is_a_warning_unless_marked_utility() -> None:
    doc = base_workflow()
    doc["states"]["verify"] = {"nodeDefinition": _node("SCRIPT", {"script": "1"})}
    assert problems_of(doc) == [
        (
            Severity.WARNING,
            "$.states.verify",
            (
                "'verify' cannot be reached from startNode; it can only run as a disconnected "
                "utility node"
            ),
        )
    ]
    doc["states"]["verify"]["utility"] = True
    assert problems_of(doc) == []


def test_reading_a_state_that_may_be_skipped_is_a_warning() -> None:
    doc = base_workflow()
    doc["states"]["done"]["nodeDefinition"]["parameters"] = ["answer"]
    doc["states"]["done"]["parameters"] = {"answer": "$.ask:viewResponse"}
    assert problems_of(doc) == [
        (
            Severity.WARNING,
            "$.states.done.parameters.answer",
            (
                "'$.ask:viewResponse' reads 'ask', which does not run on every path to 'done'; "
                "a run that skips it fails here"
            ),
        )
    ]


def test_referenced_branch_with_unknown_target_names_the_definition() -> None:
    doc = base_workflow()
    branch = doc["states"]["route"].pop("nodeDefinition")
    branch["config"]["defaultNode"] = "gone"
    branch["id"] = "route-by-score"
    doc["states"]["route"].update({"resourceId": "route-by-score", "resourceVersion": "LATEST"})
    catalog = NodeCatalog([NODE_TYPES.convert_node({**branch, "version": 2})])
    problems = validate_workflow(NODE_TYPES.convert_workflow(doc), catalog)
    assert [(p.path, p.message) for p in problems] == [
        (
            "$.states.route.resourceId",
            (
                "node definition 'route-by-score' (at $.config.defaultNode) sends runs to 'gone', "
                "which is not a state of this workflow (states: lookup, score, route, ask, done, "
                "failed)"
            ),
        )
    ]


@pytest.mark.parametrize(
    "example", ["refund", "account-verification", "appointment", "order-checks"]
)
def test_examples_validate_clean(example: str) -> None:
    files = load_definitions([EXAMPLES / example], NODE_TYPES)
    assert files.problems == []
    assert files.workflows, f"{example} has no workflow"
    catalog = NodeCatalog([node for _, node in files.nodes], drafts_stand_in=True)
    for _, node in files.nodes:
        assert validate_node_definition(node, check_script=fake_starlark) == []
    for _, workflow in files.workflows:
        assert validate_workflow(workflow, catalog, check_script=fake_starlark) == []


def test_examples_cover_every_built_in_node_type() -> None:
    files = load_definitions([EXAMPLES], NODE_TYPES)
    used = {node.type_name for _, node in files.nodes}
    assert used == set(NODE_TYPES.names())
