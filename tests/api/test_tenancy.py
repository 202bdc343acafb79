"""A tenant never reads, resumes or terminates another tenant's definitions or runs."""

from __future__ import annotations

from typing import Any

from tests.api.harness import BOOTSTRAP_KEY, Api, new_run_id, tenant_key


async def test_every_endpoint_is_scoped_to_the_tenant(examples: Api) -> None:
    owner = examples
    run_id = new_run_id()
    started = await owner.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert started.json()["workflowStatus"] == "WAITING"
    other = owner.as_tenant("other", tenant_key("other")[0])

    run_calls: list[tuple[str, str, Any]] = [
        ("GET", f"/v3/workflow/{run_id}", None),
        ("PUT", f"/v3/workflow/resume/{run_id}", {"viewResponse": {"selectedOptions": {}}}),
        ("POST", f"/v3/workflow/{run_id}/disconnected-node/execute", {"node": "refunded"}),
        ("POST", f"/v3/workflow/{run_id}/event/anything", {}),
        ("DELETE", f"/v3/workflow/terminate/{run_id}", None),
    ]
    for method, url, body in run_calls:
        answer = await other.request(method, url, json=body)
        assert answer.status_code == 404, (method, url, answer.text)
    definition_calls: list[tuple[str, str, Any]] = [
        ("GET", "/workflowDefinition/refund", None),
        ("GET", "/workflowDefinition/refund?version=ACTIVE", None),
        ("GET", "/workflowDefinition/refund/versions", None),
        ("GET", "/workflowDefinition/refund/graph.svg", None),
        ("GET", f"/workflowDefinition/refund/graph.svg?runId={run_id}&version=1", None),
        ("POST", "/workflowDefinition/refund/publish", None),
        ("POST", "/workflowDefinition/refund/activate", {"version": 1}),
        ("POST", "/workflowDefinition/refund/rollback", None),
        ("GET", "/nodeDefinition/lookup-order", None),
        ("GET", "/nodeDefinition/lookup-order/versions", None),
        ("POST", "/nodeDefinition/lookup-order/publish", None),
        ("POST", "/nodeDefinition/lookup-order/activate", {"version": 1}),
        ("POST", "/nodeDefinition/lookup-order/rollback", None),
    ]
    for method, url, body in definition_calls:
        answer = await other.request(method, url, json=body)
        assert answer.status_code == 404, (method, url, answer.text)
    lookup = (await owner.get("/nodeDefinition/lookup-order")).json() | {"version": "SNAPSHOT"}
    assert (await other.put("/nodeDefinition/lookup-order", json=lookup)).status_code == 404
    assert (await other.get("/nodeDefinition")).json()["items"] == []
    assert (await other.get("/workflowDefinition")).json()["items"] == []
    refused = await other.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert refused.status_code == 404

    # The same run id in another tenant is another run.
    assert (await other.post("/nodeDefinition", json=lookup)).status_code == 201
    assert (await owner.get(f"/v3/workflow/{run_id}")).json()["workflowStatus"] == "WAITING"


async def test_keys_are_checked_before_anything(api: Api) -> None:
    anonymous = Api(http=api.http, tenant=api.tenant)
    missing = await anonymous.get("/nodeDefinition")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = await api.get("/nodeDefinition", headers={"X-Api-Key": "not-a-key"})
    assert wrong.status_code == 401
    foreign = await api.get("/nodeDefinition", headers={"X-Api-Key": tenant_key("other")[0]})
    assert foreign.status_code == 403
    assert api.tenant in foreign.json()["detail"]
    bearer = await anonymous.get(
        "/nodeDefinition", headers={"Authorization": f"Bearer {tenant_key(api.tenant)[0]}"}
    )
    assert bearer.status_code == 200
    operator = await anonymous.get("/nodeDefinition", headers={"X-Api-Key": BOOTSTRAP_KEY})
    assert operator.status_code == 200


async def test_headers_and_their_original_spellings(api: Api) -> None:
    key = tenant_key(api.tenant)[0]
    aliases = await api.http.get(
        "/nodeDefinition",
        headers={"X_TENANT_ID": api.tenant, "X_CLIENT_ID": "legacy", "X-Api-Key": key},
    )
    assert aliases.status_code == 200, aliases.text
    no_client = await api.http.get(
        "/nodeDefinition", headers={"X-Tenant-Id": api.tenant, "X-Api-Key": key}
    )
    assert no_client.status_code == 400
    assert no_client.json()["errors"][0]["path"] == "header:X-Client-Id"
    bad_tenant = await api.http.get(
        "/nodeDefinition",
        headers={"X-Tenant-Id": "a/b", "X-Client-Id": "c", "X-Api-Key": BOOTSTRAP_KEY},
    )
    assert bad_tenant.status_code == 400
    assert bad_tenant.json()["errors"][0]["path"] == "header:X-Tenant-Id"
