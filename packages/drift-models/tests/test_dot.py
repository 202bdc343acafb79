"""The DOT picture of a workflow: states, edges, and one run's path."""

from __future__ import annotations

from pathlib import Path

from drift_models import NodeCatalog, NodeTypes, RunStatus, WorkflowGraph, load_definitions
from drift_models.dot import workflow_dot
from drift_models.validation import resolve_states

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def refund_graph() -> WorkflowGraph:
    files = load_definitions([EXAMPLES / "refund"], NodeTypes())
    catalog = NodeCatalog([node for _, node in files.nodes], drafts_stand_in=True)
    workflow = files.workflows[0][1]
    return WorkflowGraph(workflow, resolve_states(workflow, catalog))


def test_every_state_and_edge_is_drawn() -> None:
    dot = workflow_dot(refund_graph())
    assert dot.startswith('digraph "refund" {')
    assert '"routeRefund" [label="routeRefund\\nBRANCH", shape=diamond];' in dot
    assert '"refunded" [label="refunded\\nSUCCESS", color="#2e7d32"];' in dot
    assert '"__start__" -> "lookupOrder";' in dot
    assert '"routeRefund" -> "notEligible" [label="choices[0].nextNode"];' in dot
    assert '"lookupOrder" -> "failed" [style=dotted, color="#9e9e9e"];' in dot
    assert 'fillcolor="#cfe3ff"' not in dot


def test_a_run_colours_its_path_and_current_state() -> None:
    dot = workflow_dot(
        refund_graph(),
        visited={"lookupOrder", "computeRefund", "routeRefund", "confirmRefund"},
        current="confirmRefund",
        status=RunStatus.WAITING,
    )
    assert '"lookupOrder" -> "computeRefund" [penwidth=2];' in dot
    assert 'fillcolor="#cfe3ff", color="#ef6c00", penwidth=3' in dot
    failed = workflow_dot(
        refund_graph(), visited={"failed"}, current="failed", status=RunStatus.FAILED
    )
    assert 'color="#c62828", penwidth=3' in failed


def test_names_are_quoted_safely() -> None:
    graph = refund_graph()
    dot = workflow_dot(graph, current='x"; evil')
    assert 'x"; evil' not in dot
