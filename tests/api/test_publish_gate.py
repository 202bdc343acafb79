"""The publish gate: a workflow's stored scenarios run before it is published."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from drift_api import ApiSettings
from drift_cli.client import ApiClient, Connection
from drift_cli.commands import ApplyOptions, apply
from drift_nodes import discover_nodes
from tests.api.harness import Api, tenant_key
from tests.api.test_definitions import END_NODE, SCRIPT_NODE, workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _scenario(name: str, x: int, doubled: int, **expect: Any) -> dict[str, Any]:
    return {
        "name": name,
        "params": {"x": x},
        "expect": {"path": ["first", "end"], "context": {"$.first": doubled}, **expect},
    }


async def _draft(api: Api, **changes: Any) -> None:
    for node in (SCRIPT_NODE, END_NODE):
        assert (await api.post("/nodeDefinition", json=node)).status_code == 201
        assert (await api.post(f"/nodeDefinition/{node['id']}/publish")).status_code == 200
    created = await api.post("/workflowDefinition", json=workflow(**changes))
    assert created.status_code == 201, created.text


async def _put(api: Api, *scenarios: dict[str, Any], workflow_id: str = "twice") -> Any:
    document = {"workflow": workflow_id, "scenarios": list(scenarios)}
    return await api.put(f"/workflowDefinition/{workflow_id}/scenarios", json=document)


async def test_a_failing_scenario_refuses_the_publish_with_its_problem(api: Api) -> None:
    await _draft(api)
    passing = _scenario("doubles three", 3, 6, status="COMPLETED")
    wrong = _scenario("expects the wrong double", 4, 9)
    stored = await _put(api, passing, wrong)
    assert stored.status_code == 200, stored.text
    assert stored.json()["workflowId"] == "twice"
    assert stored.json()["scenarios"] == 2

    refused = await api.post("/workflowDefinition/twice/publish")

    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["title"] == "Scenarios Failed"
    assert "1 of its scenarios fail" in body["detail"]
    assert len(body["errors"]) == 1
    problem = body["errors"][0]
    assert problem["path"] == "$.scenarios[1]"
    assert problem["code"] == "scenario-failed"
    assert problem["message"] == "scenario 'expects the wrong double': $.first: expected 9, got 8"
    assert (await api.get("/workflowDefinition/twice")).status_code == 404  # nothing published


async def test_passing_scenarios_let_the_publish_through(api: Api) -> None:
    await _draft(api)
    assert (
        await _put(api, _scenario("doubles three", 3, 6, status="COMPLETED"))
    ).status_code == 200
    published = await api.post("/workflowDefinition/twice/publish")
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 1
    kept = await api.get("/workflowDefinition/twice/scenarios")
    assert kept.status_code == 200
    assert kept.json()["scenarios"][0]["name"] == "doubles three"


async def test_a_workflow_without_scenarios_publishes_as_before(api: Api) -> None:
    await _draft(api)
    assert (await api.get("/workflowDefinition/twice/scenarios")).status_code == 404
    published = await api.post("/workflowDefinition/twice/publish")
    assert published.status_code == 200, published.text
    # An empty document turns the gate off again.
    assert (await _put(api)).status_code == 200
    assert (await api.post("/workflowDefinition/twice/publish")).json()["version"] == 2


async def test_a_run_that_never_ends_is_bounded_and_refused_not_a_5xx(api: Api) -> None:
    # first → first forever: the gate stops at its state limit.
    looping = workflow()
    looping["states"]["first"]["nextNode"] = "first"
    looping["states"]["first"]["onError"] = "end"
    await _draft(api, states=looping["states"])
    assert (await _put(api, _scenario("loops", 1, 2))).status_code == 200
    refused = await api.post("/workflowDefinition/twice/publish")
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["errors"]
    assert problem["path"] == "$.scenarios[0]"
    assert "the run did not end within 1000 states" in problem["message"]


async def test_bad_scenario_documents_are_refused_with_their_path(api: Api) -> None:
    await _draft(api)
    unknown = await api.put(
        "/workflowDefinition/twice/scenarios",
        json={"workflow": "twice", "scenarios": [{"name": "n", "expectt": {}}]},
    )
    assert unknown.status_code == 400, unknown.text
    [problem] = unknown.json()["errors"]
    assert problem["path"] == "$.scenarios[0]"
    assert "expectt" in problem["message"]
    mismatch = await api.put(
        "/workflowDefinition/twice/scenarios", json={"workflow": "refund", "scenarios": []}
    )
    assert mismatch.status_code == 422
    assert mismatch.json()["errors"][0]["path"] == "$.workflow"
    missing = await _put(api, workflow_id="nope")
    assert missing.status_code == 404
    not_json = await api.put("/workflowDefinition/twice/scenarios", content=b"{")
    assert not_json.status_code == 400


async def test_drift_apply_stores_an_examples_scenarios_and_publishes_through_the_gate(
    served: ApiSettings, tenant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node_types = discover_nodes().node_types
    url = f"http://127.0.0.1:{served.app_port}"
    connection = Connection(url=url, api_key=tenant_key(tenant)[0], tenant=tenant)
    folder = tmp_path / "appointment"
    shutil.copytree(EXAMPLES / "appointment", folder)
    async with ApiClient(connection) as client:
        out = io.StringIO()
        code = await apply(client, [folder], node_types, ApplyOptions(activate=True), out)
        assert code == 0, capsys.readouterr().err
        lines = out.getvalue().splitlines()
        # The child is published first: the gate runs it in the first scenario.
        assert lines.index("published workflow collect-payment v1") < lines.index(
            "wrote the scenarios of workflow appointment"
        )
        assert lines.index("wrote the scenarios of workflow appointment") < lines.index(
            "published workflow appointment v1"
        )
        _, stored = await client.call("GET", "/workflowDefinition/appointment/scenarios")
        expected = json.loads((folder / "scenarios" / "appointment.scenarios.json").read_text())
        assert stored == expected

        # A changed workflow whose scenario now expects another disposition is refused.
        scenarios_file = folder / "scenarios" / "appointment.scenarios.json"
        expected["scenarios"][1]["expect"]["disposition"] = "BOOKED"
        scenarios_file.write_text(json.dumps(expected))
        workflow_file = folder / "workflows" / "appointment.json"
        raw = json.loads(workflow_file.read_text())
        raw["name"] = "Appointment (changed)"
        workflow_file.write_text(json.dumps(raw))
        out = io.StringIO()
        code = await apply(client, [folder], node_types, ApplyOptions(activate=True), out)

    assert code == 1
    stderr = capsys.readouterr().err
    assert "workflow 'appointment' cannot be published: 1 of its scenarios fail" in stderr
    assert (
        "$.scenarios[1]: scenario 'no documents within a day': disposition: expected "
        '"BOOKED", got "DOCUMENTS_MISSING"'
    ) in stderr
    assert "published workflow appointment" not in out.getvalue()
