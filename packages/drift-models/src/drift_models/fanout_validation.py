"""Validation of PARALLEL and MAP states, their paths, and what their states may read.

The rules (see docs/dsl.md):

* a fan-out state names no node, has exactly one of ``parallel`` / ``map``, and a
  ``nextNode`` where the run joins;
* each path's states belong to it alone: no other state leads into them, and a path
  does not end the run, show a view, wait, start a child run, fan out again or route
  failures itself (a failing path fails its fan-out state, whose ``onError`` applies);
* a state of a branch may not read a sibling branch's output; after the join every
  branch's output is readable (the fan-out state runs before, so its paths have);
* the per-item outputs of a MAP body are readable only inside the body (outside, read
  ``$.<map>.results``); ``$._item`` and ``$._index`` exist only inside a body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from drift_models.fanout import ITEM_ROOTS
from drift_models.fanout_graph import FanoutPath
from drift_models.graph import EdgeKind, WorkflowGraph
from drift_models.nodes import (
    TERMINAL_NODE_TYPES,
    ChildNode,
    InstructionNode,
    WaitNode,
)
from drift_models.paths import format_path
from drift_models.problems import Problem
from drift_models.workflow import WorkflowNode

__all__ = ["check_fanout_paths", "check_fanout_read", "check_fanout_state", "check_item_read"]

OrderCheck = Callable[[WorkflowGraph, str, str, str, tuple[Any, ...]], Iterator[Problem]]
"""Checks that a state (3rd) can read another (2nd) that runs before it."""

_REFUSED_INSIDE = (
    (InstructionNode, "shows a view"),
    (WaitNode, "waits"),
    (ChildNode, "starts a child run"),
    (TERMINAL_NODE_TYPES, "ends the run"),
)


def _error(path: tuple[Any, ...], message: str, code: str) -> Problem:
    return Problem(path=format_path(path), message=message, code=code)


def check_fanout_state(name: str, state: WorkflowNode) -> Iterator[Problem]:
    """The shape of one PARALLEL or MAP state (call only when ``state.is_fanout``)."""
    where = ("states", name)
    if state.parallel is not None and state.map is not None:
        yield _error(
            where,
            "a state is either PARALLEL or MAP; give parallel or map, not both",
            "fanout-twice",
        )
    if state.resource_id is not None or state.node_definition is not None:
        yield _error(
            where,
            "a PARALLEL or MAP state runs its own paths and names no node: remove "
            "resourceId and nodeDefinition",
            "fanout-names-node",
        )
    if state.parallel is not None and not state.parallel.branches:
        yield _error(
            (*where, "parallel", "branches"),
            "a PARALLEL state needs at least one branch",
            "fanout-branches-empty",
        )
    if state.next_node is None:
        yield _error(
            where,
            f"{name!r} fans out but has no nextNode, where its paths join; add nextNode",
            "fanout-next-missing",
        )


def check_fanout_paths(graph: WorkflowGraph) -> Iterator[Problem]:
    """Each path's start exists, its states are its own, and it does nothing refused."""
    workflow = graph.workflow
    states = workflow.states
    for index, name in enumerate(workflow.post_workflow_completion_nodes):
        if name in states and states[name].is_fanout:
            yield _error(
                ("postWorkflowCompletionNodes", index),
                f"{name!r} fans out; post-completion states run one by one and may not be "
                "PARALLEL or MAP",
                "fanout-post-node",
            )
    entries: dict[tuple[str | int, ...], str | None] = {
        ("startNode",): workflow.start_node,
        ("defaultFailureNode",): workflow.default_failure_node,
        **{
            ("postWorkflowCompletionNodes", i): name
            for i, name in enumerate(workflow.post_workflow_completion_nodes)
        },
    }
    for where, entry in entries.items():
        owners = graph.owners(entry) if entry is not None else []
        if owners:
            yield _error(
                where,
                f"{entry!r} belongs to {owners[0].label}; a run can enter it only through "
                f"{owners[0].owner!r}",
                "fanout-state-entered",
            )
    for path in graph.fanout_paths:
        if path.start not in states:
            yield _error(
                path.where,
                f"{path.label} starts at {path.start!r}, which is not a state of this workflow",
                "fanout-start-unknown",
            )
            continue
        for member in path.states:
            yield from _check_member(graph, path, member)


def _check_member(graph: WorkflowGraph, path: FanoutPath, member: str) -> Iterator[Problem]:
    where = ("states", member)
    state = graph.workflow.states[member]
    owners = graph.owners(member)
    if owners[0] != path:
        return  # reported once, for its first path
    if len(owners) > 1:
        others = ", ".join(o.label for o in owners[1:])
        yield _error(
            where,
            f"{member!r} belongs to {path.label} and also to {others}; a state belongs to "
            "one path only (copy it under another name)",
            "fanout-state-shared",
        )
    inside = set(path.states)
    for edge in graph.edges:
        if edge.target != member or edge.source in inside:
            continue
        if edge.kind is EdgeKind.FORK and edge.source == path.owner:
            continue
        hint = (
            "; a path ends at a state without nextNode, and the run joins by itself"
            if edge.source == path.owner or graph.owners(edge.source) == []
            else ""
        )
        yield _error(
            where,
            f"{member!r} belongs to {path.label}, yet {edge.source!r} outside it leads to it "
            f"({edge.kind.value.lower()}){hint}",
            "fanout-state-entered",
        )
    if state.is_fanout:
        yield _error(
            where,
            f"{member!r} fans out inside {path.label}; nested PARALLEL or MAP states are "
            "not supported: make the inner one a CHILD workflow's",
            "fanout-nested",
        )
    if state.on_error is not None:
        yield _error(
            (*where, "onError"),
            f"{member!r} is inside {path.label}: a failing state fails its path, and the "
            f"onError of {path.owner!r} routes the failure; remove this onError",
            "fanout-on-error",
        )
    definition = graph.definitions.get(member)
    for types, what in _REFUSED_INSIDE:
        if isinstance(definition, types):
            yield _error(
                where,
                f"{member!r} {what} ({definition.type_name}); inside {path.label} only "
                "nodes that run and answer are supported (HTTP, SCRIPT, BRANCH, PROCESSOR, "
                "plugins)",
                "fanout-node-refused",
            )


def check_fanout_read(
    graph: WorkflowGraph,
    text: str,
    node: str,
    reader: str,
    path: tuple[Any, ...],
    *,
    check_order: OrderCheck,
) -> Iterator[Problem]:
    """The order check of ``reader`` reading state ``node``, aware of fan-out paths."""
    read_in = graph.owners(node)
    reader_in = graph.owners(reader)
    if read_in and read_in[0] not in reader_in:
        owner = read_in[0]
        if reader_in and reader_in[0].owner == owner.owner:
            yield _error(
                path,
                f"{text!r} reads {node!r} of {owner.label} from "
                f"{reader_in[0].label}; branches run at the same time, so a branch may not "
                "read a sibling's output (read it after the join)",
                "parameter-branch-sibling",
            )
            return
        if owner.branch is None:
            yield _error(
                path,
                f"{text!r} reads {node!r}, which runs once per item in {owner.label}; "
                f"read the items' outputs as $.{owner.owner}.results",
                "parameter-map-item-output",
            )
            return
        # After the join every branch has ended: the fan-out state stands for them.
        yield from check_order(graph, text, owner.owner, reader, path)
        return
    if reader_in and node == reader_in[0].owner:
        yield _error(
            path,
            f"{text!r} reads {node!r} from inside its own {reader_in[0].label}; its output "
            "exists only after the join",
            "parameter-node-later",
        )
        return
    yield from check_order(graph, text, node, reader, path)


def check_item_read(
    graph: WorkflowGraph, text: str, root: str, reader: str, path: tuple[Any, ...]
) -> Iterator[Problem]:
    """``$._item`` / ``$._index`` are read only inside a MAP body."""
    if root not in ITEM_ROOTS:
        return
    if not any(owner.branch is None for owner in graph.owners(reader)):
        yield _error(
            path,
            f"{text!r}: $.{root} is the current item of a MAP and exists only in the "
            "states of a MAP's body",
            "parameter-item-outside-map",
        )
