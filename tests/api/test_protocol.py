"""The HTTP contract: problem details everywhere, limits, the OpenAPI document, the docs page."""

from __future__ import annotations

import re

import httpx

from tests.api.harness import Api


async def test_errors_are_problem_details(api: Api) -> None:
    unknown = await api.get("/no/such/route")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["status"] == 404
    method = await api.request("PATCH", "/nodeDefinition")
    assert method.status_code == 405
    assert method.json()["title"] == "Method Not Allowed"
    bad_path = await api.get("/v3/workflow/has%20space")
    assert bad_path.status_code == 400
    assert bad_path.json()["errors"][0]["path"].startswith("path:")
    unknown_field = await api.post(
        "/v3/workflow/start", json={"workflowDefinitionId": "x", "surprise": 1}
    )
    assert unknown_field.status_code == 400
    assert "surprise" in unknown_field.text


async def test_bodies_over_the_limit_are_refused(api: Api) -> None:
    huge = b'{"id": "' + b"x" * (300 * 1024) + b'"}'
    refused = await api.post("/nodeDefinition", content=huge)
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"


async def test_the_openapi_document_is_complete(http: httpx.AsyncClient) -> None:
    document = (await http.get("/schema/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for path in (
        "/v3/workflow/start",
        "/v3/workflow/resume/{run_id}",
        "/v3/workflow/terminate/{run_id}",
        "/v3/workflow/{run_id}",
        "/v3/workflow/{run_id}/disconnected-node/execute",
        "/v3/workflow/{run_id}/event/{name}",
        "/nodeDefinition",
        "/workflowDefinition/{definition_id}/graph.svg",
    ):
        assert path in paths, path
    start = paths["/v3/workflow/start"]["post"]
    assert set(start["responses"]) >= {"200", "202", "400", "401", "403", "404", "409", "422"}
    problem = start["responses"]["404"]["content"]["application/problem+json"]["schema"]
    assert problem["$ref"].endswith("/ProblemDetails")
    create = paths["/nodeDefinition"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/DslNodeDefinition"}
    schemas = document["components"]["schemas"]
    assert {"DslNodeDefinition", "DslWorkflowDefinition", "DslHttpNode", "WorkflowResponse"} <= set(
        schemas
    )
    for operations in paths.values():
        for operation in operations.values():
            refs = str(operation)
            for name in schemas:
                refs = refs.replace(f"#/components/schemas/{name}'", "")
            assert "#/components/schemas/" not in refs, refs
    assert document["components"]["securitySchemes"]["apiKey"]["name"] == "X-Api-Key"


async def test_the_docs_page_works_offline(http: httpx.AsyncClient) -> None:
    redirect = await http.get("/docs")
    assert redirect.status_code in {301, 302, 307, 308}
    page = await http.get("/schema/swagger")
    assert page.status_code == 200
    assert "/schema/static/swagger-ui-bundle.js" in page.text
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page.text)
    script = await http.get("/schema/static/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert len(script.content) > 100_000
    css = await http.get("/schema/static/swagger-ui.css")
    assert css.status_code == 200
