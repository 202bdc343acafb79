"""One apply over two targets: the API (REST) and the store refuse the same drafts alike.

The API is served for real; the store path writes a SQLite store of its own with the
API's checks (drift-nodes' script compiler included), as ``drift dev`` seeds.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drift_api import ApiSettings
from drift_api.scenario_gate import ScenarioGate
from drift_cli.client import ApiClient, Connection
from drift_cli.commands import ApplyOptions, apply
from drift_cli.rest_target import RestApplyTarget
from drift_models import NodeDefinition, NodeTypes, WorkflowDefinition
from drift_models.apply import ApplyRefusedError, ApplyTarget, apply_definitions, in_apply_order
from drift_models.documents import load_definitions
from drift_nodes import NodeResources, NodeSettings, check_script, discover_nodes
from drift_store import open_store
from drift_store.apply_target import StoreApplyTarget
from tests.api.harness import tenant_key

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NODE_TYPES: NodeTypes = discover_nodes().node_types


@pytest.fixture
async def rest(served: ApiSettings, tenant: str) -> AsyncIterator[RestApplyTarget]:
    url = f"http://127.0.0.1:{served.app_port}"
    connection = Connection(url=url, api_key=tenant_key(tenant)[0], tenant=tenant)
    async with ApiClient(connection) as api:
        yield RestApplyTarget(api, NODE_TYPES)


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[StoreApplyTarget]:
    async with open_store(f"sqlite:///{tmp_path / 'seeded.db'}", node_types=NODE_TYPES) as store:
        yield StoreApplyTarget(store.definitions, "seeded", check_script=check_script)


def _refund() -> list[NodeDefinition | WorkflowDefinition]:
    files = load_definitions([EXAMPLES / "refund"], NODE_TYPES)
    assert files.problems == []
    return in_apply_order(files)


def _nodes() -> list[NodeDefinition | WorkflowDefinition]:
    return [d for d in _refund() if isinstance(d, NodeDefinition)]


def _orphan_workflow() -> WorkflowDefinition:
    raw = json.loads((EXAMPLES / "refund" / "workflows" / "refund.json").read_text())
    raw["states"][raw["startNode"]]["resourceId"] = "no-such-node"
    return NODE_TYPES.decode_workflow(json.dumps(raw).encode())


def _node(raw: dict[str, object]) -> NodeDefinition:
    return NODE_TYPES.decode_node(json.dumps(raw).encode())


BROKEN_NODES: dict[str, tuple[str, dict[str, object]]] = {
    "a script that does not compile": (
        "$.config.script",
        {
            "id": "broken-script",
            "name": "Broken",
            "type": "SCRIPT",
            "parameters": ["order"],
            "config": {"script": "order['total'] *"},
        },
    ),
    "a placeholder naming no parameter": (
        "$.config.url",
        {
            "id": "broken-url",
            "name": "Broken",
            "type": "HTTP",
            "parameters": ["x"],
            "config": {"url": "https://orders.example/{{ y }}"},
        },
    ),
}


async def _refusal(
    target: ApplyTarget, definitions: list[NodeDefinition | WorkflowDefinition]
) -> ApplyRefusedError:
    with pytest.raises(ApplyRefusedError) as refused:
        await apply_definitions(target, definitions)
    return refused.value


async def test_both_targets_apply_the_refund_alike_and_only_once(
    rest: RestApplyTarget, local: StoreApplyTarget
) -> None:
    over_rest = await apply_definitions(rest, _refund())
    over_store = await apply_definitions(local, _refund())

    assert [str(c) for c in over_rest.changes] == [str(c) for c in over_store.changes]
    assert "activated workflow refund v1" in [str(c) for c in over_rest.changes]
    assert (await apply_definitions(rest, _refund())).changes == []
    assert (await apply_definitions(local, _refund())).changes == []


async def test_a_workflow_the_api_would_not_publish_is_refused_by_both_with_the_same_problems(
    rest: RestApplyTarget, local: StoreApplyTarget
) -> None:
    orphan = _orphan_workflow()
    by_rest = await _refusal(rest, [*_nodes(), orphan])
    by_store = await _refusal(local, [*_nodes(), orphan])

    assert by_rest.problems == by_store.problems
    assert any("no-such-node" in p.message for p in by_store.problems)
    assert (
        str(by_rest)
        == str(by_store)
        == "workflow 'refund' cannot be published: fix its errors first"
    )
    # the API's own publish gate (no validation asked first) refuses with those problems too
    with pytest.raises(ApplyRefusedError) as gate:
        await rest.publish("workflow", "refund")
    assert gate.value.problems == by_store.problems
    assert await rest.read("workflow", "refund", "LATEST") is None
    assert await local.read("workflow", "refund", "LATEST") is None


@pytest.mark.parametrize("case", sorted(BROKEN_NODES))
async def test_a_node_definition_the_api_would_not_save_is_refused_by_both_alike(
    rest: RestApplyTarget, local: StoreApplyTarget, case: str
) -> None:
    path, raw = BROKEN_NODES[case]
    broken = _node(raw)
    by_rest = await _refusal(rest, [broken])
    by_store = await _refusal(local, [broken])

    assert by_rest.problems == by_store.problems
    assert [p.path for p in by_store.problems] == [path]
    assert str(by_rest) == str(by_store)
    assert await rest.read("node", broken.id, "SNAPSHOT") is None
    assert await local.read("node", broken.id, "SNAPSHOT") is None


async def test_drift_apply_prints_the_problems_and_exits_1_for_a_draft_with_errors(
    rest: RestApplyTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(EXAMPLES / "refund", folder)
    raw = json.loads((folder / "workflows" / "refund.json").read_text())
    raw["states"][raw["startNode"]]["resourceId"] = "no-such-node"
    (folder / "workflows" / "refund.json").write_text(json.dumps(raw))
    out = io.StringIO()

    code = await apply(rest.api, [folder], NODE_TYPES, ApplyOptions(activate=True), out)

    assert code == 1
    stderr = capsys.readouterr().err
    assert "drift apply: workflow 'refund' cannot be published: fix its errors first" in stderr
    assert "no-such-node" in stderr
    assert "created workflow refund" in out.getvalue()
    assert "published workflow refund" not in out.getvalue()


async def test_both_targets_refuse_a_workflow_whose_scenarios_fail_with_the_same_problems(
    rest: RestApplyTarget, tmp_path: Path
) -> None:
    document = json.loads((EXAMPLES / "refund" / "scenarios" / "refund.scenarios.json").read_text())
    document["scenarios"][0]["expect"]["disposition"] = "NEVER"
    scenarios = {"refund": json.dumps(document).encode()}
    registry = discover_nodes()
    async with (
        open_store(f"sqlite:///{tmp_path / 'gated.db'}", node_types=NODE_TYPES) as store,
        NodeResources(NodeSettings()) as resources,
    ):
        gate = ScenarioGate(store.scenarios, registry, resources)
        local = StoreApplyTarget(
            store.definitions,
            "seeded",
            check_script=check_script,
            scenarios=store.scenarios,
            check_scenarios=gate.problems,
        )
        refusals = []
        for target in (rest, local):
            with pytest.raises(ApplyRefusedError) as refused:
                await apply_definitions(target, _refund(), scenarios=scenarios)
            refusals.append(refused.value)
        assert await local.read("workflow", "refund", "LATEST") is None
        assert await local.read_scenarios("refund") == scenarios["refund"]
    by_rest, by_store = refusals
    assert by_rest.problems == by_store.problems
    assert [p.path for p in by_store.problems] == ["$.scenarios[0]"]
    assert 'disposition: expected "NEVER"' in by_store.problems[0].message
    assert await rest.read("workflow", "refund", "LATEST") is None
