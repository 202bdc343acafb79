"""A workflow as a Graphviz DOT document, optionally coloured with one run's path.

The API and the CLI draw workflows the same way: each state is a box labelled with its
name and node type (diamonds for BRANCH, rounded boxes for terminals, green for
SUCCESS, red for FAILURE), edges say why a state may follow another (solid for
``nextNode``, labelled for config targets such as branch choices, dashed red for
``onError``, dotted grey for the ``defaultFailureNode``). Given a run, the states it has
visited are filled and its current state is outlined in the colour of its status. A
redriven run also shows its failed attempts: the states only they ran are grey and
dashed ("failed attempt"), and the state a redrive went on at has a double outline.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, NamedTuple

from drift_models.graph import Edge, EdgeKind, WorkflowGraph
from drift_models.nodes import BranchNode, FailureNode, SuccessNode
from drift_models.paths import format_path
from drift_models.runs import RunStatus

__all__ = ["workflow_dot"]

_VISITED: Final = "#cfe3ff"
_CURRENT: Final = {
    RunStatus.COMPLETED: "#2e7d32",
    RunStatus.FAILED: "#c62828",
    RunStatus.TERMINATED: "#6d4c41",
}
_CURRENT_DEFAULT: Final = "#ef6c00"
_EARLIER: Final = "#eeeeee"
_EDGE_STYLE: Final[dict[EdgeKind, tuple[str, ...]]] = {
    EdgeKind.NEXT: (),
    EdgeKind.TARGET: (),
    EdgeKind.ON_ERROR: ("style=dashed", 'color="#c62828"'),
    EdgeKind.FAILURE: ("style=dotted", 'color="#9e9e9e"'),
    EdgeKind.FORK: ("style=bold", 'color="#1565c0"', 'arrowhead="crow"'),
    EdgeKind.JOIN: ("style=bold", 'color="#1565c0"'),
}


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def workflow_dot(
    graph: WorkflowGraph,
    *,
    visited: Collection[str] = (),
    current: str | None = None,
    status: RunStatus | None = None,
    earlier: Collection[str] = (),
    redriven_at: Collection[str] = (),
) -> str:
    """The DOT text of ``graph``.

    Args:
        graph: the workflow's graph (with the node definitions its states use).
        visited: states a run has executed; they are filled.
        current: the state the run is at (or ended at); it is outlined.
        status: the run's status, which picks the outline's colour.
        earlier: states a failed attempt of a redriven run executed.
        redriven_at: states a redrive of the run went on at.
    """
    shown = _Run(visited, current, status, set(earlier) - set(visited), set(redriven_at))
    workflow = graph.workflow
    reached = graph.reachable_from([workflow.start_node, *workflow.post_workflow_completion_nodes])
    lines = [
        f"digraph {_quote(workflow.id)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        '  "__start__" [shape=circle, label="", width=0.2, fillcolor="#000000"];',
    ]
    clustered = {member for path in graph.fanout_paths for member in path.states}
    for name in workflow.states:
        if name in clustered:
            continue
        node = _node_attributes(graph, name, run=shown, reached=reached)
        lines.append(f"  {_quote(name)} [{node}];")
    lines.extend(_cluster_lines(graph, run=shown, reached=reached))
    if workflow.start_node in workflow.states:
        lines.append(f'  "__start__" -> {_quote(workflow.start_node)};')
    drawn: set[tuple[str, str, EdgeKind]] = set()
    for edge in graph.edges:
        key = (edge.source, edge.target, edge.kind)
        if edge.target not in workflow.states or key in drawn or _joined_by_paths(graph, edge):
            continue
        drawn.add(key)
        attributes = list(_EDGE_STYLE[edge.kind])
        if edge.kind is EdgeKind.TARGET:
            where = format_path(edge.path, rooted=False).removeprefix("config.")
            attributes.append(f"label={_quote(where)}")
        elif edge.kind is EdgeKind.ON_ERROR:
            attributes.append('label="onError"')
        elif edge.kind is EdgeKind.FORK:
            attributes.append('label="fork"')
        if edge.source in visited and edge.target in visited:
            attributes.append("penwidth=2")
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _joined_by_paths(graph: WorkflowGraph, edge: Edge) -> bool:
    """A fan-out state's own nextNode: the run gets there through the joins instead."""
    return edge.kind is EdgeKind.NEXT and graph.workflow.states[edge.source].is_fanout


def _cluster_lines(graph: WorkflowGraph, *, run: _Run, reached: set[str]) -> list[str]:
    """Each branch and MAP body as a box of its own, drawn between its fork and join."""
    lines: list[str] = []
    drawn: set[str] = set()
    for index, path in enumerate(graph.fanout_paths):
        label = f"map {path.owner}: each item" if path.branch is None else path.branch
        lines.append(f"  subgraph {_quote(f'cluster_{index}')} {{")
        lines.append(f'    label={_quote(label)}; style="rounded,dashed"; color="#1565c0";')
        for member in path.states:
            if member in drawn:
                continue
            drawn.add(member)
            node = _node_attributes(graph, member, run=run, reached=reached)
            lines.append(f"    {_quote(member)} [{node}];")
        lines.append("  }")
    return lines


class _Run(NamedTuple):
    visited: Collection[str]
    current: str | None
    status: RunStatus | None
    earlier: set[str]
    redriven_at: set[str]


def _node_attributes(graph: WorkflowGraph, name: str, *, run: _Run, reached: set[str]) -> str:
    notes = ["failed attempt"] if name in run.earlier else []
    notes += ["redriven here"] if name in run.redriven_at else []
    label = _quote("\n".join([name, _kind(graph, name), *(f"({note})" for note in notes)]))
    attributes = [f"label={label}", *_shape(graph, name)]
    if name not in reached:
        attributes.append('style="rounded,filled,dashed"')
    if name in run.earlier:
        attributes.append(f'style="rounded,filled,dashed", fillcolor="{_EARLIER}"')
    if name in run.redriven_at:
        attributes.append("peripheries=2")
    if name in run.visited or name == run.current:
        attributes.append(f'fillcolor="{_VISITED}"')
    if name == run.current:
        colour = _CURRENT.get(run.status, _CURRENT_DEFAULT) if run.status else _CURRENT_DEFAULT
        attributes.append(f'color="{colour}", penwidth=3')
    return ", ".join(attributes)


def _kind(graph: WorkflowGraph, name: str) -> str:
    """What a state's box says it is: its node's type, or the fan-out it runs."""
    state = graph.workflow.states[name]
    if state.parallel is not None:
        return "PARALLEL"
    if state.map is not None:
        return "MAP"
    definition = graph.definitions.get(name)
    return definition.type_name if definition is not None else "?"


def _shape(graph: WorkflowGraph, name: str) -> list[str]:
    """The box's shape and outline colour, from the kind of state."""
    definition = graph.definitions.get(name)
    attributes: list[str] = []
    if isinstance(definition, BranchNode):
        attributes.append("shape=diamond")
    if graph.workflow.states[name].is_fanout:
        attributes.append("shape=box3d")
    if isinstance(definition, SuccessNode):
        attributes.append('color="#2e7d32"')
    elif isinstance(definition, FailureNode):
        attributes.append('color="#c62828"')
    return attributes
