"""The workflow graph the API, the CLI and the worker share."""

from __future__ import annotations

from typing import Any

from drift_models import NodeTypes, WorkflowGraph, resolve_states
from drift_models.validation import NodeCatalog

TYPES = NodeTypes()


def _graph(states: dict[str, dict[str, Any]], **extra: Any) -> WorkflowGraph:
    workflow = TYPES.convert_workflow({"id": "g", "startNode": "a", "states": states, **extra})
    return WorkflowGraph(workflow, resolve_states(workflow, NodeCatalog()))


def _script(next_node: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "nodeDefinition": {"type": "SCRIPT", "id": "s", "name": "S", "config": {"script": "1"}}
    }
    if next_node:
        state["nextNode"] = next_node
    return state


def _branch(*targets: str) -> dict[str, Any]:
    choices = [{"rule": "True", "nextNode": t} for t in targets[:-1]]
    config = {"choices": choices, "defaultNode": targets[-1]}
    return {"nodeDefinition": {"type": "BRANCH", "id": "b", "name": "B", "config": config}}


END = {"nodeDefinition": {"type": "SUCCESS", "id": "e", "name": "E"}}
FAIL = {"nodeDefinition": {"type": "FAILURE", "id": "f", "name": "F"}}


def test_successors_follow_next_targets_errors_and_the_failure_node() -> None:
    graph = _graph(
        {
            "a": {**_script("b"), "onError": "oops"},
            "b": _branch("c", "end"),
            "c": _script("end"),
            "oops": FAIL,
            "failed": FAIL,
            "end": END,
        },
        defaultFailureNode="failed",
    )
    assert graph.successors("a") == ["b", "oops"]
    assert graph.successors("b") == ["c", "end", "failed"]
    assert graph.successors("end") == []
    assert graph.predecessors("end") == ["b", "c"]
    assert graph.is_terminal("end")
    assert not graph.is_terminal("b")


def test_reachability_and_disconnected_states() -> None:
    graph = _graph(
        {"a": _script("end"), "end": END, "tool": _script(), "post": _script()},
        postWorkflowCompletionNodes=["post"],
    )
    assert graph.main_path == {"a", "end"}
    assert graph.disconnected() == ["tool"]
    assert graph.reaching_terminal() == {"a", "end"}


def test_can_run_before_follows_paths_and_loops() -> None:
    graph = _graph(
        {
            "a": _script("b"),
            "b": _branch("c", "d"),
            "c": _script("b"),  # loop back
            "d": _script("end"),
            "end": END,
            "tool": _script(),
        }
    )
    assert graph.can_run_before("a", "d")
    assert graph.can_run_before("c", "d")  # c, then b, then d
    assert graph.can_run_before("c", "c")  # in a loop a state precedes itself
    assert not graph.can_run_before("d", "a")
    assert not graph.can_run_before("a", "a")
    assert not graph.can_run_before("tool", "end")  # tool is never on a run's path


def test_always_runs_before_is_dominance() -> None:
    graph = _graph(
        {
            "a": _script("b"),
            "b": _branch("c", "d"),
            "c": _script("join"),
            "d": _script("join"),
            "join": _script("end"),
            "end": END,
        }
    )
    assert graph.always_runs_before("a", "join")
    assert graph.always_runs_before("b", "end")
    assert not graph.always_runs_before("c", "join")
    assert not graph.always_runs_before("d", "end")
    assert not graph.always_runs_before("join", "join")
