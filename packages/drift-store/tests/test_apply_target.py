"""Apply straight into a SQLite store: idempotent, and nothing with errors is published."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drift_models import NodeTypes, Severity, WorkflowDefinition, validate_workflow
from drift_models.apply import ApplyRefusedError, apply_definitions, in_apply_order
from drift_models.documents import load_definitions
from drift_store import DefinitionKind, DefinitionNotFoundError, Store, open_store
from drift_store.apply_target import StoreApplyTarget
from drift_store.definition_checks import definition_problems

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
TENANT = "acme"
NODE_TYPES = NodeTypes()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(f"sqlite:///{tmp_path / 'drift.db'}", node_types=NODE_TYPES) as opened:
        yield opened


def _target(store: Store) -> StoreApplyTarget:
    return StoreApplyTarget(store.definitions, TENANT, check_script=None)


async def test_the_refund_is_applied_once_and_a_second_apply_changes_nothing(store: Store) -> None:
    files = load_definitions([EXAMPLES / "refund"], NODE_TYPES)
    documents = in_apply_order(files)

    first = await apply_definitions(_target(store), documents)
    second = await apply_definitions(_target(store), documents)

    assert (
        first.summary()
        == f"{len(documents)} written, {len(documents)} published, 1 activated, 0 unchanged"
    )
    assert second.changes == []
    assert second.unchanged == len(documents)
    pointers = await store.definitions.pointers(TENANT, DefinitionKind.WORKFLOW, "refund")
    assert (pointers.latest, pointers.active) == (1, 1)


def _orphan_workflow() -> WorkflowDefinition:
    """The refund workflow with one state naming a node definition nobody stored."""
    raw = json.loads((EXAMPLES / "refund" / "workflows" / "refund.json").read_text())
    first = raw["startNode"]
    raw["states"][first]["resourceId"] = "no-such-node"
    return NODE_TYPES.decode_workflow(json.dumps(raw).encode())


async def test_a_workflow_with_errors_is_kept_as_a_draft_and_never_published(store: Store) -> None:
    files = load_definitions([EXAMPLES / "refund"], NODE_TYPES)
    nodes = [n for _, n in files.nodes]
    orphan = _orphan_workflow()

    with pytest.raises(ApplyRefusedError) as refused:
        await apply_definitions(_target(store), [*nodes, orphan])

    # the problems are the API's: the DSL's checks with the store's nodes, nothing else
    expected = await definition_problems(store.definitions, TENANT, orphan, check_script=None)
    assert refused.value.problems == expected
    assert any(p.severity is Severity.ERROR and "no-such-node" in p.message for p in expected)
    resolved = {n.id: n for n in nodes}
    assert expected == validate_workflow(
        orphan, lambda node_id, _version: resolved.get(node_id), check_script=None
    )
    draft = await store.definitions.get_workflow(TENANT, "refund", "SNAPSHOT")
    assert draft.definition.states == orphan.states
    pointers = await store.definitions.pointers(TENANT, DefinitionKind.WORKFLOW, "refund")
    assert pointers.latest is None


async def test_a_node_definition_with_errors_is_refused_before_it_is_written(store: Store) -> None:
    bad = NODE_TYPES.decode_node(
        b'{"id": "bad", "name": "Bad", "type": "HTTP", "parameters": ["x"],'
        b' "config": {"url": "https://orders.example/{{ y }}"}}'
    )

    with pytest.raises(ApplyRefusedError) as refused:
        await apply_definitions(_target(store), [bad])

    assert str(refused.value) == "node definition 'bad' has errors; nothing was saved"
    assert [p.path for p in refused.value.problems] == ["$.config.url"]
    with pytest.raises(DefinitionNotFoundError):
        await store.definitions.get(TENANT, DefinitionKind.NODE, "bad", "SNAPSHOT")
