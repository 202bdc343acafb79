"""Fan-out states: PARALLEL runs named branches side by side, MAP runs a body per item.

Both are *control states* of a workflow: they name no node definition. A branch (and a
MAP's body) is a path of states of the same workflow, owned by the fan-out state: it
starts at ``startNode`` (``itemNode``), follows ``nextNode`` (and BRANCH choices) and
ends at the state that has no ``nextNode``. When every branch (every item) has ended,
the run goes on at the fan-out state's own ``nextNode``.
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec

from drift_models._base import DslStruct
from drift_models.nodes.base import INSTANCE_NAME_PATTERN, NodeTarget

__all__ = [
    "ITEM_ROOTS",
    "MAP_INDEX",
    "MAP_ITEM",
    "BranchName",
    "MapSpec",
    "ParallelBranch",
    "ParallelSpec",
]

MAP_ITEM: Final = "_item"
"""The context root a MAP body reads its item from: ``$._item``."""
MAP_INDEX: Final = "_index"
"""The context root a MAP body reads its item's position from: ``$._index``."""
ITEM_ROOTS: Final = frozenset({MAP_ITEM, MAP_INDEX})
"""Context roots that exist only inside a MAP body."""

BranchName = Annotated[
    str,
    msgspec.Meta(
        pattern=INSTANCE_NAME_PATTERN,
        description="A branch: a letter or '_' then letters, digits, '_' or '-'.",
    ),
]
"""The name of one branch of a PARALLEL state (its key in the state's output)."""


class ParallelBranch(DslStruct, frozen=True, kw_only=True):
    """One branch of a PARALLEL state.

    Attributes:
        start_node: the branch's first state; the branch ends at the state of its path
            that has no ``nextNode``.
    """

    start_node: NodeTarget


class ParallelSpec(DslStruct, frozen=True, kw_only=True):
    """Run branches at the same time; go on when all have ended.

    Attributes:
        branches: branch name → branch. The state's output is an object with the output
            of each branch's last state under the branch's name.
        fail_fast: when true (the default) the first branch that fails cancels the
            others and the state fails at once; when false every branch runs to its
            end and the failure (if any) names each branch's outcome.
    """

    branches: dict[BranchName, ParallelBranch]
    fail_fast: bool = True


class MapSpec(DslStruct, frozen=True, kw_only=True):
    """Run a body once per element of a list of the context.

    The body's states read the element as ``$._item`` and its position as ``$._index``;
    any other path reads the run's context as it was when the MAP began (values shared
    by every item). The state's output is ``{"results": [...], "failures": [...]}``:
    the output of the body's last state for each item in input order (``null`` for a
    tolerated failure) and ``{"index", "error"}`` for each failed item.

    Attributes:
        items: a ``$.``-path to the list.
        item_node: the body's first state; the body ends at the state of its path that
            has no ``nextNode``.
        max_concurrency: items in flight at most.
        tolerated_failure_count: failed items the state tolerates (none by default).
        tolerated_failure_percentage: the share of all items that may fail. With both
            set, the state fails as soon as either bound is passed.
    """

    items: Annotated[
        str,
        msgspec.Meta(pattern=r"^\$", description="A $.-path to the list of items."),
    ]
    item_node: NodeTarget
    max_concurrency: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10
    tolerated_failure_count: Annotated[int, msgspec.Meta(ge=0)] | None = None
    tolerated_failure_percentage: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None

    def tolerated_failures(self, items: int) -> int:
        """How many failed items, out of ``items``, the state tolerates (none by default)."""
        bounds = []
        if self.tolerated_failure_count is not None:
            bounds.append(self.tolerated_failure_count)
        if self.tolerated_failure_percentage is not None:
            bounds.append(int(items * self.tolerated_failure_percentage / 100))
        return min(bounds) if bounds else 0
