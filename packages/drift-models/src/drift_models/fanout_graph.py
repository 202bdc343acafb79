"""Which states a PARALLEL branch or a MAP body owns.

A fan-out state owns the states of each of its paths: every state reached from the
path's first state through ``nextNode`` and node targets (BRANCH choices). The path
ends at the states that lead nowhere; from there a run *joins* at the fan-out state's
own ``nextNode``. Validation, the graph and the engine share this one reading.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from drift_models.fields import iter_target_fields
from drift_models.nodes import NodeDefinition
from drift_models.paths import Path
from drift_models.workflow import WorkflowDefinition

__all__ = ["FanoutPath", "fanout_paths", "path_states"]


@dataclass(frozen=True, slots=True)
class FanoutPath:
    """One path a fan-out state runs: a PARALLEL branch or a MAP body.

    Attributes:
        owner: the fan-out state.
        branch: the branch's name; ``None`` for a MAP body.
        start: the path's first state.
        where: where the start is declared (``$.states.<owner>.parallel.branches.<b>``).
        states: the states of the path, in the order a walk from ``start`` meets them.
        ends: the states of the path after which the path has ended.
    """

    owner: str
    branch: str | None
    start: str
    where: Path
    states: tuple[str, ...]
    ends: tuple[str, ...]

    @property
    def label(self) -> str:
        """``branch 'fraud' of 'checks'`` or ``the body of MAP 'lines'``, for messages."""
        if self.branch is None:
            return f"the body of MAP {self.owner!r}"
        return f"branch {self.branch!r} of {self.owner!r}"


def fanout_paths(
    workflow: WorkflowDefinition, definitions: Mapping[str, NodeDefinition | None]
) -> Iterator[FanoutPath]:
    """Every branch and MAP body of the workflow, in document order."""
    for name, state in workflow.states.items():
        if state.parallel is not None:
            for branch, spec in state.parallel.branches.items():
                where: Path = ("states", name, "parallel", "branches", branch, "startNode")
                yield _path(
                    workflow,
                    definitions,
                    owner=name,
                    branch=branch,
                    start=spec.start_node,
                    where=where,
                )
        if state.map is not None:
            where = ("states", name, "map", "itemNode")
            yield _path(
                workflow,
                definitions,
                owner=name,
                branch=None,
                start=state.map.item_node,
                where=where,
            )


def path_states(
    workflow: WorkflowDefinition,
    definitions: Mapping[str, NodeDefinition | None],
    start: str,
) -> list[str]:
    """The states reached from ``start`` through ``nextNode`` and node targets."""
    if start not in workflow.states:
        return []
    seen = [start]
    queue = deque(seen)
    while queue:
        for following in _following(workflow, definitions, queue.popleft()):
            if following in workflow.states and following not in seen:
                seen.append(following)
                queue.append(following)
    return seen


def _path(
    workflow: WorkflowDefinition,
    definitions: Mapping[str, NodeDefinition | None],
    *,
    owner: str,
    branch: str | None,
    start: str,
    where: Path,
) -> FanoutPath:
    states = [s for s in path_states(workflow, definitions, start) if s != owner]
    ends = [s for s in states if not _following(workflow, definitions, s)]
    return FanoutPath(owner, branch, start, where, tuple(states), tuple(ends))


def _following(
    workflow: WorkflowDefinition, definitions: Mapping[str, NodeDefinition | None], name: str
) -> list[str]:
    state = workflow.states[name]
    found = [] if state.next_node is None else [state.next_node]
    definition = definitions.get(name)
    if definition is not None:
        found.extend(target for _, target in iter_target_fields(definition))
    return found
