"""The graph of a workflow: which state may follow which.

One model of the graph serves validation, the pictures of the API and the CLI, and the
worker. Edges come from ``nextNode``, ``onError``, every
:data:`~drift_models.nodes.NodeTarget` field of a node's config (branch choices, wait
timeouts, plugin targets) and, from every state that can fail without an ``onError``,
the workflow's ``defaultFailureNode``. A PARALLEL or MAP state *forks* into the first
state of each of its paths, and each path's last states *join* at its ``nextNode``.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from drift_models.fanout_graph import FanoutPath, fanout_paths
from drift_models.fields import iter_target_fields
from drift_models.nodes import TERMINAL_NODE_TYPES, NodeDefinition
from drift_models.paths import Path
from drift_models.workflow import WorkflowDefinition

__all__ = ["Edge", "EdgeKind", "WorkflowGraph"]


class EdgeKind(enum.StrEnum):
    """Why a state may follow another."""

    NEXT = "NEXT"
    """The ``nextNode`` of the state."""
    TARGET = "TARGET"
    """A target in the node's config: a branch choice, a default, a timeout."""
    ON_ERROR = "ON_ERROR"
    """The state's ``onError``."""
    FAILURE = "FAILURE"
    """The workflow's ``defaultFailureNode``, taken when a state without ``onError`` fails."""
    FORK = "FORK"
    """From a PARALLEL or MAP state to the first state of one of its paths."""
    JOIN = "JOIN"
    """From the last state of a branch or MAP body to its fan-out state's ``nextNode``."""


@dataclass(frozen=True, slots=True)
class Edge:
    """A possible step of a run from ``source`` to ``target``.

    Attributes:
        source: the state the run leaves.
        target: the state it may go to (which may not exist; validation reports that).
        kind: why.
        path: where the edge is declared, relative to the state's node definition for
            ``TARGET`` edges (``$.config.choices[0].nextNode``) and to the workflow
            otherwise.
    """

    source: str
    target: str
    kind: EdgeKind
    path: Path


class WorkflowGraph:
    """The states of a workflow and the edges between them.

    Args:
        workflow: the workflow.
        definitions: the node definition each state uses, by instance name; a state
            whose definition is unknown (``None`` or absent) has only its workflow edges.
    """

    def __init__(
        self,
        workflow: WorkflowDefinition,
        definitions: Mapping[str, NodeDefinition | None],
    ) -> None:
        self.workflow = workflow
        self.definitions = dict(definitions)
        self._terminals = frozenset(
            name
            for name, definition in self.definitions.items()
            if isinstance(definition, TERMINAL_NODE_TYPES)
        )
        self.edges: list[Edge] = []
        for name, state in workflow.states.items():
            definition = self.definitions.get(name)
            if state.next_node is not None:
                self._add(name, state.next_node, EdgeKind.NEXT, ("states", name, "nextNode"))
            if definition is not None:
                for path, target in iter_target_fields(definition):
                    self._add(name, target, EdgeKind.TARGET, path)
            if state.on_error is not None:
                self._add(name, state.on_error, EdgeKind.ON_ERROR, ("states", name, "onError"))
            elif (
                workflow.default_failure_node is not None
                and workflow.default_failure_node != name
                and not self.is_terminal(name)
            ):
                self._add(
                    name, workflow.default_failure_node, EdgeKind.FAILURE, ("defaultFailureNode",)
                )
        self.fanout_paths: list[FanoutPath] = list(fanout_paths(workflow, self.definitions))
        """Every branch and MAP body, in document order."""
        self._owners: dict[str, list[FanoutPath]] = {}
        self._add_fanout_edges()
        self._edges_from: dict[str, list[Edge]] = {}
        for edge in self.edges:
            self._edges_from.setdefault(edge.source, []).append(edge)
        self._successors: dict[str, list[str]] = {name: [] for name in workflow.states}
        self._predecessors: dict[str, list[str]] = {name: [] for name in workflow.states}
        for edge in self.edges:
            if edge.target in self._successors and edge.target not in self._successors[edge.source]:
                self._successors[edge.source].append(edge.target)
                self._predecessors[edge.target].append(edge.source)
        self._main = self.reachable_from([workflow.start_node])
        self._tree: tuple[dict[str, int], dict[str, int]] | None = None
        self._ancestors: dict[str, frozenset[str]] = {}

    def _add_fanout_edges(self) -> None:
        for fanout in self.fanout_paths:
            self._add(fanout.owner, fanout.start, EdgeKind.FORK, fanout.where)
            joined = self.workflow.states[fanout.owner].next_node
            if joined is not None:
                for end in fanout.ends:
                    self._add(end, joined, EdgeKind.JOIN, ("states", fanout.owner, "nextNode"))
            for member in fanout.states:
                self._owners.setdefault(member, []).append(fanout)

    def _add(self, source: str, target: str, kind: EdgeKind, path: Path) -> None:
        self.edges.append(Edge(source, target, kind, path))

    @property
    def states(self) -> list[str]:
        """Every state, in the order of the workflow."""
        return list(self.workflow.states)

    def edges_from(self, state: str) -> list[Edge]:
        """Every edge leaving ``state``, in declaration order."""
        return list(self._edges_from.get(state, ()))

    def successors(self, state: str) -> list[str]:
        """The existing states that may directly follow ``state``."""
        return list(self._successors.get(state, ()))

    def predecessors(self, state: str) -> list[str]:
        """The existing states that ``state`` may directly follow."""
        return list(self._predecessors.get(state, ()))

    def owners(self, state: str) -> list[FanoutPath]:
        """The branches and MAP bodies ``state`` belongs to (one, in a valid workflow)."""
        return list(self._owners.get(state, ()))

    def is_terminal(self, state: str) -> bool:
        """Whether ``state`` uses a SUCCESS or FAILURE node."""
        return state in self._terminals

    def reachable_from(self, roots: Iterable[str]) -> set[str]:
        """Every existing state a run may visit when it starts at one of ``roots``."""
        seen = {root for root in roots if root in self._successors}
        queue = deque(seen)
        while queue:
            for successor in self._successors[queue.popleft()]:
                if successor not in seen:
                    seen.add(successor)
                    queue.append(successor)
        return seen

    @property
    def main_path(self) -> set[str]:
        """The states a run may visit from ``startNode`` (failures included)."""
        return set(self._main)

    def disconnected(self) -> list[str]:
        """States no run reaches: candidates for disconnected utility calls."""
        roots = [self.workflow.start_node, *self.workflow.post_workflow_completion_nodes]
        reached = self.reachable_from(roots)
        return [name for name in self.workflow.states if name not in reached]

    def reaching_terminal(self) -> set[str]:
        """The states from which some terminal state can be reached."""
        seen = {name for name in self.workflow.states if self.is_terminal(name)}
        queue = deque(seen)
        while queue:
            for predecessor in self._predecessors[queue.popleft()]:
                if predecessor not in seen:
                    seen.add(predecessor)
                    queue.append(predecessor)
        return seen

    def can_run_before(self, earlier: str, later: str) -> bool:
        """Whether some run may execute ``earlier`` and afterwards ``later``.

        True when ``earlier`` is reached from the start and ``later`` is reached from
        ``earlier``; in a loop a state can run before itself.
        """
        if earlier not in self._main or later not in self._successors:
            return False
        if self.always_runs_before(earlier, later):
            return True
        return earlier in self._ancestors_of(later)

    def always_runs_before(self, earlier: str, later: str) -> bool:
        """Whether every run that reaches ``later`` has executed ``earlier`` first.

        That is, ``earlier`` dominates ``later`` in the graph from ``startNode``.
        """
        if earlier == later or later not in self._main or earlier not in self._main:
            return False
        enter, leave = self._dominator_tree()
        return enter[earlier] < enter[later] and leave[later] < leave[earlier]

    def _ancestors_of(self, state: str) -> frozenset[str]:
        cached = self._ancestors.get(state)
        if cached is None:
            seen: set[str] = set()
            queue = deque(self._predecessors[state])
            while queue:
                current = queue.popleft()
                if current not in seen:
                    seen.add(current)
                    queue.extend(p for p in self._predecessors[current] if p not in seen)
            cached = self._ancestors[state] = frozenset(seen)
        return cached

    def _dominator_tree(self) -> tuple[dict[str, int], dict[str, int]]:
        """Entry and exit times of a walk of the dominator tree.

        ``a`` dominates ``b`` exactly when ``b``'s interval nests inside ``a``'s.
        """
        if self._tree is None:
            start = self.workflow.start_node
            children: dict[str, list[str]] = {}
            for name, parent in self._dominators().items():
                if name != start:
                    children.setdefault(parent, []).append(name)
            enter: dict[str, int] = {}
            leave: dict[str, int] = {}
            clock = 0
            stack: list[tuple[str, bool]] = [(start, False)]
            while stack:
                name, done = stack.pop()
                clock += 1
                if done:
                    leave[name] = clock
                    continue
                enter[name] = clock
                stack.append((name, True))
                stack.extend((child, False) for child in children.get(name, ()))
            self._tree = (enter, leave)
        return self._tree

    def _dominators(self) -> dict[str, str]:
        """Immediate dominators (Cooper, Harvey and Kennedy's iterative algorithm)."""
        start = self.workflow.start_node
        order = self._postorder(start)
        number = {name: i for i, name in enumerate(order)}
        idom: dict[str, str] = {start: start}
        changed = True
        while changed:
            changed = False
            for name in reversed(order):
                if name == start:
                    continue
                predecessors = self._predecessors[name]
                if start in predecessors:
                    # Reached straight from the start (a failure node usually is): only
                    # the start dominates it. This also keeps high fan-in nodes cheap.
                    candidate = start
                else:
                    processed = [p for p in predecessors if p in idom]
                    candidate = processed[0]
                    for other in processed[1:]:
                        if candidate == start:
                            break
                        candidate = _intersect(candidate, other, idom, number)
                if idom.get(name) != candidate:
                    idom[name] = candidate
                    changed = True
        return idom

    def _postorder(self, start: str) -> list[str]:
        order: list[str] = []
        seen = {start}
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            name, index = stack.pop()
            successors = self._successors[name]
            if index < len(successors):
                stack.append((name, index + 1))
                successor = successors[index]
                if successor not in seen:
                    seen.add(successor)
                    stack.append((successor, 0))
            else:
                order.append(name)
        return order


def _intersect(a: str, b: str, idom: Mapping[str, str], number: Mapping[str, int]) -> str:
    while a != b:
        while number[a] < number[b]:
            a = idom[a]
        while number[b] < number[a]:
            b = idom[b]
    return a
