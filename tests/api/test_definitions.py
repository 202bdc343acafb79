"""The definitions API over HTTP: drafts, validation, versions, pointers, pictures."""

from __future__ import annotations

import json
from typing import Any

from tests.api.harness import Api

SCRIPT_NODE: dict[str, Any] = {
    "id": "double",
    "name": "Double",
    "type": "SCRIPT",
    "parameters": ["x"],
    "config": {"script": "x * 2"},
}
END_NODE: dict[str, Any] = {"id": "done", "name": "Done", "type": "SUCCESS", "config": {}}


def workflow(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "twice",
        "parameters": ["x"],
        "startNode": "first",
        "states": {
            "first": {
                "resourceId": "double",
                "parameters": {"x": "$.params.x"},
                "nextNode": "end",
            },
            "end": {"resourceId": "done"},
        },
    }
    document.update(changes)
    return document


async def test_node_definition_lifecycle(api: Api) -> None:
    created = await api.post("/nodeDefinition", json=SCRIPT_NODE)
    assert created.status_code == 201, created.text
    assert created.json() == {"definition": {**SCRIPT_NODE}, "problems": []}
    assert (await api.post("/nodeDefinition", json=SCRIPT_NODE)).status_code == 409

    draft = await api.get("/nodeDefinition/double?version=SNAPSHOT")
    assert draft.status_code == 200
    assert draft.json()["config"]["script"] == "x * 2"
    no_latest = await api.get("/nodeDefinition/double")
    assert no_latest.status_code == 404
    assert "publish it first" in no_latest.json()["detail"]

    changed = {**SCRIPT_NODE, "config": {"script": "x * 3"}}
    updated = await api.put("/nodeDefinition/double", json=changed)
    assert updated.status_code == 200, updated.text
    mismatch = await api.put("/nodeDefinition/other", json=changed)
    assert mismatch.status_code == 422
    assert mismatch.json()["errors"][0]["path"] == "$.id"
    missing = await api.put("/nodeDefinition/nope", json={**changed, "id": "nope"})
    assert missing.status_code == 404

    first = await api.post("/nodeDefinition/double/publish")
    assert first.status_code == 200
    assert first.json()["version"] == 1
    second = await api.post("/nodeDefinition/double/publish")
    assert second.json()["version"] == 2
    latest = await api.get("/nodeDefinition/double?version=latest")
    assert latest.json()["version"] == 2
    assert (await api.get("/nodeDefinition/double?version=1")).json()["config"]["script"] == "x * 3"
    assert (await api.get("/nodeDefinition/double?version=7")).status_code == 404
    bad_version = await api.get("/nodeDefinition/double?version=newest")
    assert bad_version.status_code == 400

    activated = await api.post("/nodeDefinition/double/activate", json={"version": 1})
    assert activated.json() == {"id": "double", "latest": 2, "active": 1, "previouslyActive": []}
    again = await api.post("/nodeDefinition/double/activate", json={"version": 2})
    assert again.json()["previouslyActive"] == [1]
    rolled = await api.post("/nodeDefinition/double/rollback")
    assert rolled.json()["active"] == 1
    beyond = await api.post("/nodeDefinition/double/activate", json={"version": 9})
    assert beyond.status_code == 404

    versions = await api.get("/nodeDefinition/double/versions")
    assert [(v["version"], v["isLatest"], v["isActive"]) for v in versions.json()] == [
        (1, False, True),
        (2, True, False),
    ]


async def test_bad_documents_name_their_paths(api: Api) -> None:
    undecodable = await api.post("/nodeDefinition", json={**SCRIPT_NODE, "type": "NOPE"})
    assert undecodable.status_code == 400, undecodable.text
    assert undecodable.json()["errors"][0]["path"] == "$.type"
    assert "NOPE" in undecodable.json()["errors"][0]["message"]
    not_json = await api.post("/nodeDefinition", content=b"{oops")
    assert not_json.status_code == 400
    assert "line 1" in not_json.json()["errors"][0]["message"]

    broken = {**SCRIPT_NODE, "config": {"script": "x * (2"}}
    refused = await api.post("/nodeDefinition", json=broken)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "$.config.script"
    assert (await api.get("/nodeDefinition/double?version=SNAPSHOT")).status_code == 404

    report = await api.post("/nodeDefinition/validate", json=broken)
    assert report.status_code == 200
    assert report.json()["valid"] is False


async def test_workflow_validation_reports_every_problem(api: Api) -> None:
    await api.post("/nodeDefinition", json=SCRIPT_NODE)
    await api.post("/nodeDefinition/double/publish")
    broken = workflow(startNode="nowhere")
    broken["states"]["first"]["nextNode"] = "missing"
    broken["states"]["end"]["resourceId"] = "not-there"
    report = await api.post("/workflowDefinition/validate", json=broken)
    assert report.status_code == 200, report.text
    paths = {p["path"] for p in report.json()["problems"]}
    assert {"$.startNode", "$.states.first.nextNode", "$.states.end.resourceId"} <= paths
    assert report.json()["valid"] is False

    saved = await api.post("/workflowDefinition", json=broken)
    assert saved.status_code == 201
    assert saved.json()["problems"]
    unpublishable = await api.post("/workflowDefinition/twice/publish")
    assert unpublishable.status_code == 422
    assert {"$.startNode"} <= {p["path"] for p in unpublishable.json()["errors"]}

    bad_key = workflow()
    bad_key["states"]["first"]["timeoutSeconds"] = "soon"
    undecodable = await api.put("/workflowDefinition/twice", json=bad_key)
    assert undecodable.status_code == 400
    assert undecodable.json()["errors"][0]["path"] == "$.states.first.timeoutSeconds"


async def test_workflow_versions_enrichment_and_pictures(api: Api) -> None:
    for node in (SCRIPT_NODE, END_NODE):
        await api.post("/nodeDefinition", json=node)
        await api.post(f"/nodeDefinition/{node['id']}/publish")
    assert (await api.post("/workflowDefinition", json=workflow())).status_code == 201
    published = await api.post("/workflowDefinition/twice/publish")
    assert published.json()["version"] == 1
    await api.post("/workflowDefinition/twice/activate", json={"version": 1})
    active = await api.get("/workflowDefinition/twice?version=ACTIVE")
    assert active.json()["states"]["first"] == workflow()["states"]["first"]
    enriched = await api.get("/workflowDefinition/twice?enrichNodeDefinition=true")
    state = enriched.json()["states"]["first"]
    assert state["resourceId"] == "double"
    assert state["nodeDefinition"]["config"] == {"script": "x * 2"}
    assert state["nodeDefinition"]["version"] == 1

    svg = await api.get("/workflowDefinition/twice/graph.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"first" in svg.content
    png = await api.get("/workflowDefinition/twice/graph.png?version=1")
    assert png.content.startswith(b"\x89PNG")
    missing_run = await api.get("/workflowDefinition/twice/graph.svg?runId=nope")
    assert missing_run.status_code == 404


async def test_listing_pages_by_cursor(api: Api) -> None:
    for index in range(5):
        node = {**SCRIPT_NODE, "id": f"n{index}"}
        assert (await api.post("/nodeDefinition", json=node)).status_code == 201
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        url = "/nodeDefinition?limit=2" + (f"&after={cursor}" if cursor else "")
        page = (await api.get(url)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [f"n{i}" for i in range(5)]
    assert pages == 3
    assert (await api.get("/nodeDefinition?limit=0")).status_code == 400
    assert (await api.get("/workflowDefinition")).json() == {"items": [], "nextCursor": None}


async def test_inline_node_definitions_are_honoured(examples: Api) -> None:
    document = workflow(id="inline")
    document["states"]["first"] = {
        "nodeDefinition": {**SCRIPT_NODE, "id": "inline-double"},
        "parameters": {"x": "$.params.x"},
        "nextNode": "end",
    }
    document["states"]["end"] = {
        "nodeDefinition": {
            "id": "inline-end",
            "name": "End",
            "type": "SUCCESS",
            "config": {"output": {"$script": "_global['first']"}},
        }
    }
    assert (
        await examples.post("/workflowDefinition", content=json.dumps(document))
    ).status_code == 201
    published = await examples.post("/workflowDefinition/inline/publish")
    assert published.status_code == 200, published.text
    started = await examples.start("inline", {"x": 21}, version=1)
    assert started.status_code == 200, started.text
    assert started.json()["workflowStatus"] == "COMPLETED"
    assert started.json()["output"] == 42
