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
from drift_models.scenario_documents import load_scenario_documents

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


class ScenarioMemoryTarget(MemoryTarget):
    """A fake target that also keeps scenario documents."""

    def __init__(self) -> None:
        super().__init__()
        self.scenarios: dict[str, bytes] = {}

    async def read_scenarios(self, workflow_id: str) -> bytes | None:
        return self.scenarios.get(workflow_id)

    async def write_scenarios(self, workflow_id: str, document: bytes) -> None:
        self.calls.append(f"scenarios {workflow_id}")
        self.scenarios[workflow_id] = document


def _refund_scenarios() -> dict[str, bytes]:
    found = load_scenario_documents([EXAMPLES / "refund"])
    assert found.problems == []
    return {workflow: data for workflow, (_, data) in found.documents.items()}


async def test_scenarios_are_written_after_the_draft_and_before_the_publish() -> None:
    target = ScenarioMemoryTarget()
    scenarios = _refund_scenarios()
    assert list(scenarios) == ["refund"]
    report = await apply_definitions(target, _refund(), scenarios=scenarios)
    assert target.scenarios == scenarios
    calls = target.calls
    assert calls.index("write workflow refund") < calls.index("scenarios refund")
    assert calls.index("scenarios refund") < calls.index("publish workflow refund")
    assert "wrote the scenarios of workflow refund" in [str(c) for c in report.changes]
    target.calls.clear()
    relaid = {"refund": msgspec.json.format(scenarios["refund"], indent=4)}
    again = await apply_definitions(target, _refund(), scenarios=relaid)
    assert again.changes == []
    assert "scenarios refund" not in target.calls


async def test_changed_scenarios_alone_are_written_and_nothing_is_published() -> None:
    target = ScenarioMemoryTarget()
    await apply_definitions(target, _refund(), scenarios=_refund_scenarios())
    changed = {"refund": b'{"workflow": "refund", "scenarios": []}'}
    report = await apply_definitions(target, _refund(), scenarios=changed)
    assert [str(c) for c in report.changes] == ["wrote the scenarios of workflow refund"]
    assert target.scenarios["refund"] == changed["refund"]


async def test_scenarios_for_a_target_that_keeps_none_are_refused() -> None:
    with pytest.raises(TypeError, match="keeps no scenario documents"):
        await apply_definitions(MemoryTarget(), _refund(), scenarios=_refund_scenarios())


def test_scenario_files_are_found_by_workflow_and_a_second_file_is_a_problem(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.scenarios.json").write_text('{"workflow": "w", "scenarios": []}')
    (tmp_path / "b.scenarios.json").write_text('{"workflow": "w", "scenarios": []}')
    (tmp_path / "c.scenarios.json").write_text('{"scenarios": []}')
    (tmp_path / "w.json").write_text('{"states": {}}')
    found = load_scenario_documents([tmp_path])
    assert list(found.documents) == ["w"]
    assert found.documents["w"][0].name == "a.scenarios.json"
    messages = {p.file.name: p.problem.message for p in found.problems}
    assert "a second scenario file for workflow 'w'" in messages["b.scenarios.json"]
    assert "not a scenario file" in messages["c.scenarios.json"]


def test_a_child_workflow_is_applied_before_the_workflow_that_starts_it() -> None:
    files = load_definitions([EXAMPLES / "appointment"], NodeTypes())
    assert files.problems == []
    assert [w.id for _, w in files.workflows] == ["appointment", "collect-payment"]
    ordered = [d.id for d in in_apply_order(files) if isinstance(d, WorkflowDefinition)]
    assert ordered == ["collect-payment", "appointment"]
