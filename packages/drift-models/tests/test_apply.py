"""The apply algorithm against an in-memory target: idempotence, order, the publish rule."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from drift_models import NodeDefinition, NodeTypes, Problem, Severity, WorkflowDefinition
from drift_models.apply import (
    ApplyChange,
    ApplyKind,
    ApplyRefusedError,
    DraftVersion,
    apply_definitions,
    in_apply_order,
)
from drift_models.documents import load_definitions

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
Definition = NodeDefinition | WorkflowDefinition


class MemoryTarget:
    """A fake target: drafts, numbered versions and ACTIVE in dictionaries, calls recorded."""

    def __init__(self, problems: dict[str, list[Problem]] | None = None) -> None:
        self.drafts: dict[tuple[str, str], Definition] = {}
        self.versions: dict[tuple[str, str], list[Definition]] = {}
        self.actives: dict[tuple[str, str], int] = {}
        self.calls: list[str] = []
        self._problems = problems or {}

    async def read(
        self, kind: ApplyKind, definition_id: str, version: DraftVersion
    ) -> Definition | None:
        if version == "SNAPSHOT":
            return self.drafts.get((kind, definition_id))
        published = self.versions.get((kind, definition_id))
        return published[-1] if published else None

    async def write(self, definition: Definition, *, exists: bool) -> None:
        kind: ApplyKind = "workflow" if isinstance(definition, WorkflowDefinition) else "node"
        assert definition.version == "SNAPSHOT"
        assert exists == ((kind, definition.id) in self.drafts)
        self.calls.append(f"write {kind} {definition.id}")
        self.drafts[kind, definition.id] = definition

    async def problems(self, definition: Definition) -> list[Problem]:
        self.calls.append(f"validate {definition.id}")
        return self._problems.get(definition.id, [])

    async def publish(self, kind: ApplyKind, definition_id: str) -> int:
        published = self.versions.setdefault((kind, definition_id), [])
        number = len(published) + 1
        draft = self.drafts[kind, definition_id]
        published.append(msgspec.structs.replace(draft, version=number))
        self.calls.append(f"publish {kind} {definition_id}")
        return number

    async def active(self, kind: ApplyKind, definition_id: str) -> int | None:
        return self.actives.get((kind, definition_id))

    async def activate(self, kind: ApplyKind, definition_id: str, version: int) -> None:
        self.calls.append(f"activate {kind} {definition_id} v{version}")
        self.actives[kind, definition_id] = version


def _refund() -> list[Definition]:
    files = load_definitions([EXAMPLES / "refund"], NodeTypes())
    assert files.problems == []
    return in_apply_order(files)


async def test_a_first_apply_writes_validates_publishes_and_activates_each_in_order() -> None:
    target = MemoryTarget()
    documents = _refund()
    seen: list[ApplyChange] = []
    report = await apply_definitions(target, documents, on_change=seen.append)

    assert seen == report.changes
    assert [str(c) for c in report.changes if c.kind == "workflow"] == [
        "created workflow refund",
        "published workflow refund v1",
        "activated workflow refund v1",
    ]
    nodes = [d.id for d in documents if isinstance(d, NodeDefinition)]
    assert (
        report.summary()
        == f"{len(documents)} written, {len(documents)} published, 1 activated, 0 unchanged"
    )
    # every definition is validated right before it is published, nodes before the workflow
    for definition_id in [*nodes, "refund"]:
        index = target.calls.index(f"validate {definition_id}")
        assert target.calls[index + 1].startswith("publish ")
        assert target.calls[index + 1].endswith(f" {definition_id}")
    assert target.calls.index("publish workflow refund") > max(
        target.calls.index(f"publish node {n}") for n in nodes
    )


async def test_a_second_apply_changes_nothing() -> None:
    target = MemoryTarget()
    await apply_definitions(target, _refund())
    calls = len(target.calls)

    again = await apply_definitions(target, _refund())

    assert again.changes == []
    assert again.unchanged == len(_refund())
    assert target.calls[calls:] == []


async def test_a_changed_file_is_updated_published_and_activated_as_the_next_number() -> None:
    target = MemoryTarget()
    await apply_definitions(target, _refund())
    changed = [
        msgspec.structs.replace(d, comment="second edition")
        if isinstance(d, WorkflowDefinition)
        else d
        for d in _refund()
    ]

    report = await apply_definitions(target, changed)

    assert [str(c) for c in report.changes] == [
        "updated workflow refund",
        "published workflow refund v2",
        "activated workflow refund v2",
    ]
    assert report.unchanged == len(changed) - 1


async def test_without_publish_only_drafts_are_written() -> None:
    target = MemoryTarget()
    report = await apply_definitions(target, _refund(), publish=False, activate=False)

    assert {c.action for c in report.changes} == {"created"}
    assert target.versions == {}
    assert not any(call.startswith("validate") for call in target.calls)


async def test_a_published_but_inactive_workflow_is_activated_without_publishing_again() -> None:
    target = MemoryTarget()
    await apply_definitions(target, _refund(), activate=False)
    assert target.actives == {}

    report = await apply_definitions(target, _refund())

    assert [str(c) for c in report.changes] == ["activated workflow refund v1"]


async def test_a_draft_with_errors_is_written_but_never_published() -> None:
    error = Problem(path="$.states.lookup", message="no such node", code="unresolved")
    warning = Problem(path="$.name", message="say more", code="style", severity=Severity.WARNING)
    target = MemoryTarget({"refund": [warning, error], "lookup-order": [warning]})

    with pytest.raises(ApplyRefusedError) as refused:
        await apply_definitions(target, _refund())

    assert refused.value.kind == "workflow"
    assert refused.value.definition_id == "refund"
    assert refused.value.problems == [warning, error]
    assert "workflow 'refund' cannot be published" in refused.value.describe()
    assert "$.states.lookup: no such node" in refused.value.describe()
    assert ("workflow", "refund") in target.drafts
    assert ("workflow", "refund") not in target.versions
    # a warning does not block: the node with only a warning was published
    assert target.versions["node", "lookup-order"][0].version == 1
