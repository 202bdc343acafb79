"""Workflow definitions: states that use node definitions, and how the run moves."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Final

import msgspec

from drift_models._base import DslStruct
from drift_models.fanout import ITEM_ROOTS, MapSpec, ParallelSpec
from drift_models.nodes.base import (
    DefinitionId,
    InstanceName,
    NodeDefinition,
    ParameterName,
    RetryPolicy,
)
from drift_models.paths import Path, parse_path
from drift_models.versions import DefinitionVersion, VersionRef

__all__ = [
    "RESERVED_NAMES",
    "ParameterRef",
    "WorkflowDefinition",
    "WorkflowNode",
    "parameter_ref",
]

RESERVED_NAMES: Final = frozenset(
    {"params", "threadContext", "_global", "_enum_store", *ITEM_ROOTS}
)
"""Names a state may not take: they are top-level keys of the run's context."""


class WorkflowNode(DslStruct, frozen=True, kw_only=True):
    """One state of a workflow: a use of a node definition under an instance name.

    The node is named either by reference (``resource_id`` + ``resource_version``) or
    inline (``node_definition``), never both. An inline definition is pinned with the
    workflow version; a reference is resolved to a number when a run starts. A fan-out
    state names no node: it has ``parallel`` or ``map`` instead (see
    :mod:`drift_models.fanout`).

    Attributes:
        instance_name: the state's name; when given it must equal its key in ``states``.
        resource_id: the id of the node definition used.
        resource_version: a number, ``LATEST`` or ``ACTIVE``.
        node_definition: an inline node definition instead of a reference.
        parameters: node input → ``$.``-path into the context, or a literal.
        next_node: the state that follows (BRANCH and terminal nodes have none).
        on_error: where the run goes when this node fails after its retries.
        timeout_seconds: overrides the node definition's timeout for this state.
        retry: overrides the node definition's retry policy for this state.
        utility: marks a state that is meant to be run only as a disconnected utility
            call; validation then does not warn that no run reaches it.
        parallel: makes this a PARALLEL state: its branches run side by side.
        map: makes this a MAP state: its body runs once per item of a list.
    """

    instance_name: InstanceName | None = None
    resource_id: DefinitionId | None = None
    resource_version: VersionRef = "LATEST"
    node_definition: NodeDefinition | None = None
    parameters: dict[str, Any] = {}
    next_node: InstanceName | None = None
    on_error: InstanceName | None = None
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=31_536_000)] | None = None
    retry: RetryPolicy | None = None
    utility: bool = False
    parallel: ParallelSpec | None = None
    map: MapSpec | None = None

    @property
    def is_fanout(self) -> bool:
        """Whether this is a PARALLEL or MAP state (it names no node definition)."""
        return self.parallel is not None or self.map is not None

    def __eq__(self, other: object) -> bool:
        # Decoding yields the registry's subclass (see NodeTypes); equal content is equal.
        if not isinstance(other, WorkflowNode):
            return NotImplemented
        return msgspec.structs.astuple(self) == msgspec.structs.astuple(other)

    __hash__ = None  # type: ignore[assignment]


class WorkflowDefinition(DslStruct, frozen=True, kw_only=True):
    """A workflow: its states, where a run starts, and where failures go.

    Attributes:
        id: the workflow's id, unique per tenant.
        version: ``SNAPSHOT`` for the draft, else the published number.
        name: a short name people read.
        comment: what changed in this version, or what the workflow is for.
        parameters: the names of the start parameters (``$.params.<name>``).
        start_node: the first state of a run.
        default_failure_node: where a failing node goes when it has no ``on_error``.
        states: instance name → state.
        post_workflow_completion_nodes: states run, in order, after the run has ended;
            they never change its outcome.
    """

    id: DefinitionId
    start_node: InstanceName
    states: dict[InstanceName, WorkflowNode]
    version: DefinitionVersion = "SNAPSHOT"
    name: str | None = None
    comment: str | None = None
    parameters: tuple[ParameterName, ...] = ()
    default_failure_node: InstanceName | None = None
    post_workflow_completion_nodes: tuple[InstanceName, ...] = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkflowDefinition):
            return NotImplemented
        return msgspec.structs.astuple(self) == msgspec.structs.astuple(other)

    __hash__ = None  # type: ignore[assignment]

    def node_references(self) -> Iterator[tuple[str, DefinitionId, VersionRef]]:
        """Yield ``(instance, resource id, version)`` for each state using a reference."""
        for instance, state in self.states.items():
            if state.resource_id is not None:
                yield instance, state.resource_id, state.resource_version


@dataclass(frozen=True, slots=True)
class ParameterRef:
    """A parameter mapping that reads the context.

    Attributes:
        text: the path as written (``$.lookup.body.amount``).
        path: its segments.
    """

    text: str
    path: Path

    @property
    def root(self) -> str:
        """The first segment: ``params``, ``_enum_store``, ``threadContext`` or a state."""
        return str(self.path[0])

    @property
    def node(self) -> str | None:
        """The state whose output (or answer) the path reads, if it reads one."""
        root = self.root
        if root in RESERVED_NAMES:
            return None
        return root.removesuffix(":viewResponse")


def parameter_ref(value: Any) -> ParameterRef | None:
    """Read a parameter mapping: a :class:`ParameterRef` for a ``$``-path, else ``None``.

    Strings that start with ``$`` are paths into the context; anything else is a
    literal passed as is.

    Raises:
        PathSyntaxError: for a ``$`` string that is not a well-formed path.
    """
    if isinstance(value, str) and value.startswith("$"):
        return _parse_reference(value)
    return None


@functools.lru_cache(maxsize=4096)
def _parse_reference(text: str) -> ParameterRef:
    return ParameterRef(text, parse_path(text))
