"""One idempotent apply: write, validate, publish, activate — over any definition target.

:func:`apply_definitions` brings a target (the REST API, a definition store) in line
with a set of definitions and changes only what differs: a definition whose SNAPSHOT
differs is written; a SNAPSHOT that differs from ``LATEST`` is validated and, when it
has no errors, published; a workflow whose ``ACTIVE`` is not its newest version is
activated. Running it twice changes nothing the second time. A target says how each
step is done (:class:`ApplyTarget`); the order, the comparisons and the rule "nothing
with errors is published" live here, once.

A workflow's scenario document (its ``*.scenarios.json``), when one is given, is
written to a :class:`ScenarioTarget` after the workflow's draft and before its publish,
so the API's publish gate runs the scenarios the files hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol, runtime_checkable

import msgspec

from drift_models.documents import DefinitionFiles
from drift_models.nodes import NodeDefinition
from drift_models.nodes.flow import ChildNode
from drift_models.problems import Problem, has_errors
from drift_models.scenario_documents import same_scenarios
from drift_models.workflow import WorkflowDefinition

__all__ = [
    "ApplyAction",
    "ApplyChange",
    "ApplyKind",
    "ApplyRefusedError",
    "ApplyReport",
    "ApplyTarget",
    "DraftVersion",
    "ScenarioTarget",
    "apply_definitions",
    "in_apply_order",
    "same_definition",
]

ApplyKind = Literal["node", "workflow"]
"""The kind of a definition, as the store and the REST paths name it."""

DraftVersion = Literal["SNAPSHOT", "LATEST"]
"""The two versions apply compares a file with."""

ApplyAction = Literal["created", "updated", "scenarios", "published", "activated"]
"""What apply did to one definition (``scenarios``: wrote its scenario document)."""


class ApplyRefusedError(Exception):
    """A definition was refused: it has errors (or the target refused it for them).

    Attributes:
        kind: ``node`` or ``workflow``.
        definition_id: the definition refused.
        problems: every problem found, each with its JSON path.
    """

    def __init__(
        self, kind: ApplyKind, definition_id: str, message: str, problems: Sequence[Problem]
    ) -> None:
        self.kind: ApplyKind = kind
        self.definition_id = definition_id
        self.problems = list(problems)
        super().__init__(message)

    def describe(self) -> str:
        """The refusal for people: the message and every problem with its path."""
        lines = [str(self)]
        lines.extend(f"  {p.path}: {p.message}" for p in self.problems)
        return "\n".join(lines)


class ApplyTarget(Protocol):
    """Where definitions are applied: how to read, write, validate, publish and activate.

    Every method raises :class:`ApplyRefusedError` for a definition the target refuses
    for its problems; other failures propagate as the target's own errors.
    """

    async def read(
        self, kind: ApplyKind, definition_id: str, version: DraftVersion
    ) -> NodeDefinition | WorkflowDefinition | None:
        """The stored SNAPSHOT or LATEST version (``None``: there is none)."""
        ...

    async def write(self, definition: NodeDefinition | WorkflowDefinition, *, exists: bool) -> None:
        """Store ``definition`` (its version is ``SNAPSHOT``) as the draft."""
        ...

    async def problems(self, definition: NodeDefinition | WorkflowDefinition) -> list[Problem]:
        """Every problem of ``definition``, as the API finds them before publishing."""
        ...

    async def publish(self, kind: ApplyKind, definition_id: str) -> int:
        """Freeze the SNAPSHOT as the next number; return that number."""
        ...

    async def active(self, kind: ApplyKind, definition_id: str) -> int | None:
        """The number ``ACTIVE`` points at (``None``: nothing is active)."""
        ...

    async def activate(self, kind: ApplyKind, definition_id: str, version: int) -> None:
        """Point ``ACTIVE`` at ``version``."""
        ...


@runtime_checkable
class ScenarioTarget(Protocol):
    """A target that keeps each workflow's scenario document (the API's publish gate)."""

    async def read_scenarios(self, workflow_id: str) -> bytes | None:
        """The stored scenario document of a workflow (``None``: it has none)."""
        ...

    async def write_scenarios(self, workflow_id: str, document: bytes) -> None:
        """Store (replace) the scenario document of a workflow."""
        ...


@dataclass(frozen=True, slots=True)
class ApplyChange:
    """One change apply made.

    Attributes:
        action: created, updated, published or activated.
        kind: ``node`` or ``workflow``.
        definition_id: the definition changed.
        version: the number published or activated (``None`` for writes).
    """

    action: ApplyAction
    kind: ApplyKind
    definition_id: str
    version: int | None = None

    def __str__(self) -> str:
        """``published workflow refund v3``."""
        if self.action == "scenarios":
            return f"wrote the scenarios of {self.kind} {self.definition_id}"
        shown = f"{self.action} {self.kind} {self.definition_id}"
        return shown if self.version is None else f"{shown} v{self.version}"


@dataclass
class ApplyReport:
    """What apply changed.

    Attributes:
        changes: every change, in the order made.
        unchanged: how many definitions were already up to date.
    """

    changes: list[ApplyChange] = field(default_factory=list)
    unchanged: int = 0

    def count(self, *actions: ApplyAction) -> int:
        """How many changes were one of ``actions``."""
        return sum(1 for change in self.changes if change.action in actions)

    def summary(self) -> str:
        """One line for people (scenario documents written are listed as changes only)."""
        return (
            f"{self.count('created', 'updated')} written, {self.count('published')} published, "
            f"{self.count('activated')} activated, {self.unchanged} unchanged"
        )


def same_definition(
    a: NodeDefinition | WorkflowDefinition, b: NodeDefinition | WorkflowDefinition
) -> bool:
    """Whether two definitions say the same, whatever version each carries."""
    return _normalised(a) == _normalised(b)


def _normalised(definition: NodeDefinition | WorkflowDefinition) -> bytes:
    return msgspec.json.encode(msgspec.structs.replace(definition, version="SNAPSHOT"))


_WHAT: Final[dict[ApplyKind, str]] = {"node": "node definition", "workflow": "workflow"}


def in_apply_order(files: DefinitionFiles) -> list[NodeDefinition | WorkflowDefinition]:
    """What ``files`` hold, node definitions first (workflows are checked against them).

    Workflows keep their file order, except that a workflow another one starts as a
    child (a CHILD node) comes before it: the publish gate may run the child.
    """
    nodes = [n for _, n in files.nodes]
    documents: list[NodeDefinition | WorkflowDefinition] = list(nodes)
    documents.extend(_children_first([w for _, w in files.workflows], nodes))
    return documents


def _children_first(
    workflows: list[WorkflowDefinition], nodes: list[NodeDefinition]
) -> list[WorkflowDefinition]:
    by_id = {workflow.id: workflow for workflow in workflows}
    node_by_id = {node.id: node for node in nodes}
    ordered: list[WorkflowDefinition] = []
    placed: set[str] = set()

    def place(workflow: WorkflowDefinition, visiting: frozenset[str]) -> None:
        if workflow.id in placed or workflow.id in visiting:
            return
        for state in workflow.states.values():
            node = state.node_definition or node_by_id.get(state.resource_id or "")
            if isinstance(node, ChildNode) and node.config.workflow_id in by_id:
                place(by_id[node.config.workflow_id], visiting | {workflow.id})
        placed.add(workflow.id)
        ordered.append(workflow)

    for workflow in workflows:
        place(workflow, frozenset())
    return ordered


def _kind_of(definition: NodeDefinition | WorkflowDefinition) -> ApplyKind:
    return "workflow" if isinstance(definition, WorkflowDefinition) else "node"


async def apply_definitions(
    target: ApplyTarget,
    definitions: Sequence[NodeDefinition | WorkflowDefinition],
    *,
    publish: bool = True,
    activate: bool = True,
    on_change: Callable[[ApplyChange], None] | None = None,
    scenarios: Mapping[str, bytes] | None = None,
) -> ApplyReport:
    """Bring ``target`` in line with ``definitions``, in their order; change only what differs.

    Node definitions should come before the workflows that use them: a workflow is
    validated against what the target holds when its turn comes.

    Args:
        target: where to apply.
        definitions: what the files hold.
        publish: publish every draft that differs from its ``LATEST``.
        activate: (implies ``publish``) activate the newest version of every workflow.
        on_change: called with each change as it is made.
        scenarios: workflow id → its scenario document, written (when it differs from
            the stored one) after the workflow's draft and before its publish; the
            target must then be a :class:`ScenarioTarget`.

    Raises:
        ApplyRefusedError: the first definition with errors; nothing of it is published,
            and what came before it stays applied.
        TypeError: scenarios given to a target that keeps none.
    """
    report = ApplyReport()
    documents = dict(scenarios or {})
    if documents and not isinstance(target, ScenarioTarget):
        msg = f"{type(target).__name__} keeps no scenario documents; apply them over the REST API"
        raise TypeError(msg)

    def note(change: ApplyChange) -> None:
        report.changes.append(change)
        if on_change is not None:
            on_change(change)

    for definition in definitions:
        before = len(report.changes)
        await _apply_one(
            target,
            definition,
            publish=publish or activate,
            activate=activate,
            note=note,
            scenarios=documents.get(definition.id)
            if isinstance(definition, WorkflowDefinition)
            else None,
        )
        if len(report.changes) == before:
            report.unchanged += 1
    return report


async def _apply_one(
    target: ApplyTarget,
    definition: NodeDefinition | WorkflowDefinition,
    *,
    publish: bool,
    activate: bool,
    note: Callable[[ApplyChange], None],
    scenarios: bytes | None,
) -> None:
    kind = _kind_of(definition)
    draft = msgspec.structs.replace(definition, version="SNAPSHOT")
    snapshot = await target.read(kind, definition.id, "SNAPSHOT")
    if snapshot is None or not same_definition(snapshot, draft):
        await target.write(draft, exists=snapshot is not None)
        note(ApplyChange("updated" if snapshot is not None else "created", kind, definition.id))
    if scenarios is not None and isinstance(target, ScenarioTarget):
        stored = await target.read_scenarios(definition.id)
        if stored is None or not same_scenarios(stored, scenarios):
            await target.write_scenarios(definition.id, scenarios)
            note(ApplyChange("scenarios", kind, definition.id))
    if not publish:
        return
    latest = await target.read(kind, definition.id, "LATEST")
    if latest is None or not same_definition(latest, draft):
        problems = await target.problems(draft)
        if has_errors(problems):
            message = f"{_WHAT[kind]} {definition.id!r} cannot be published: fix its errors first"
            raise ApplyRefusedError(kind, definition.id, message, problems)
        number = await target.publish(kind, definition.id)
        note(ApplyChange("published", kind, definition.id, number))
    elif isinstance(latest.version, int):
        number = latest.version
    else:
        msg = f"the LATEST {kind} {definition.id!r} carries no version number: {latest.version!r}"
        raise TypeError(msg)
    if activate and kind == "workflow" and await target.active(kind, definition.id) != number:
        await target.activate(kind, definition.id, number)
        note(ApplyChange("activated", kind, definition.id, number))
