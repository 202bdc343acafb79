"""What the store hands back: stored definitions, pointers, version history, run contexts.

All records are immutable msgspec Structs; timestamps are epoch milliseconds (UTC), as
SPEC "Storage" lays them out.
"""

from __future__ import annotations

import enum
from typing import Generic, TypeAlias, TypeVar

import msgspec

from drift_models import NodeDefinition, RunContext, RunStatus, WorkflowDefinition

__all__ = [
    "ContextRecord",
    "Definition",
    "DefinitionKind",
    "DefinitionSummary",
    "Page",
    "Pointers",
    "StoredDefinition",
    "VersionInfo",
]

Definition: TypeAlias = NodeDefinition | WorkflowDefinition
"""A document the definition store keeps: a node or a workflow definition."""

D = TypeVar("D", bound=Definition)
T = TypeVar("T")


class DefinitionKind(enum.StrEnum):
    """Which table a definition lives in: node definitions or workflow definitions."""

    NODE = "node"
    """Node definitions (``NodeHB``)."""
    WORKFLOW = "workflow"
    """Workflow definitions (``WorkflowHB``)."""

    @classmethod
    def of(cls, definition: Definition) -> DefinitionKind:
        """The kind of ``definition``.

        Raises:
            TypeError: for anything that is not a node or a workflow definition.
        """
        candidate: object = definition  # callers may pass anything at run time
        if isinstance(candidate, NodeDefinition):
            return cls.NODE
        if isinstance(candidate, WorkflowDefinition):
            return cls.WORKFLOW
        msg = f"expected a NodeDefinition or a WorkflowDefinition, got {type(definition)!r}"
        raise TypeError(msg)


class StoredDefinition(msgspec.Struct, Generic[D], frozen=True, kw_only=True):
    """A definition as stored, with its concrete version.

    Attributes:
        tenant: whose definition it is.
        kind: node or workflow.
        definition: the document; its ``version`` is the concrete number, or
            ``SNAPSHOT`` for the draft (a pointer is never left in it).
        updated_at: when this version was written (published, for a number).
    """

    tenant: str
    kind: DefinitionKind
    definition: D
    updated_at: int

    @property
    def id(self) -> str:
        """The definition's id."""
        return self.definition.id

    @property
    def version(self) -> int | str:
        """The concrete version: a number, or ``SNAPSHOT``."""
        return self.definition.version


class Pointers(msgspec.Struct, frozen=True, kw_only=True):
    """Where the named versions of one definition point.

    Attributes:
        latest: the newest published number (``LATEST``), or ``None`` before the first
            publish.
        active: the number runs start by default (``ACTIVE``), or ``None`` before the
            first activation.
        previously_active: earlier activations, the most recent first; a rollback
            returns to the first of them.
    """

    latest: int | None = None
    active: int | None = None
    previously_active: tuple[int, ...] = ()


class VersionInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One published version in a definition's history.

    Attributes:
        version: the number.
        published_at: when it was published (epoch millis).
        is_latest: whether ``LATEST`` points here.
        is_active: whether ``ACTIVE`` points here.
    """

    version: int
    published_at: int
    is_latest: bool = False
    is_active: bool = False


class DefinitionSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One definition in a listing.

    Attributes:
        id: the definition's id.
        kind: node or workflow.
        latest: its ``LATEST`` number, if published.
        active: its ``ACTIVE`` number, if activated.
        updated_at: when its snapshot or pointers last changed.
    """

    id: str
    kind: DefinitionKind
    latest: int | None = None
    active: int | None = None
    updated_at: int = 0


class Page(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    """One page of a listing.

    Listings are ordered by key and continue *after* the last key of the previous page,
    so a definition created meanwhile never shifts or repeats an item.

    Attributes:
        items: this page's items.
        next_cursor: pass it as ``after`` to get the next page; ``None`` on the last.
    """

    items: list[T]
    next_cursor: str | None = None


class ContextRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A run's stored context with where the run is.

    Attributes:
        tenant: whose run it is.
        run_id: the run's id (the Temporal workflow id).
        context: the context document.
        current_node: the state the run is at, if any.
        status: where the run is.
        revision: 1 when created, +1 on every update; updates compare-and-set on it.
        created_at: when the run's context was created (epoch millis).
        updated_at: when it last changed (epoch millis).
        workflow_id: the workflow definition the run executes, if recorded.
        workflow_version: the pinned version of that definition, if recorded.
    """

    tenant: str
    run_id: str
    context: RunContext
    status: RunStatus
    revision: int
    created_at: int
    updated_at: int
    current_node: str | None = None
    workflow_id: str | None = None
    workflow_version: int | None = None
