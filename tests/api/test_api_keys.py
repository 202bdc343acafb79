"""API keys in the store: the operator makes, lists and revokes them over HTTP."""

from __future__ import annotations

from tests.api.harness import BOOTSTRAP_KEY, Api


async def test_keys_are_made_used_listed_and_revoked(api: Api) -> None:
    operator = {"X-Api-Key": BOOTSTRAP_KEY}
    made = await api.http.post(
        "/admin/apiKeys",
        json={"tenantId": api.tenant, "keyId": "ui", "description": "the agent UI"},
        headers=operator,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["tenantId"], body["keyId"], body["revokedAt"]) == (api.tenant, "ui", None)
    key = body["key"]
    user = Api(http=api.http, tenant=api.tenant, key=key)
    assert (await user.get("/nodeDefinition")).status_code == 200
    elsewhere = Api(http=api.http, tenant="other", key=key)
    assert (await elsewhere.get("/nodeDefinition")).status_code == 403

    taken = await api.http.post(
        "/admin/apiKeys", json={"tenantId": api.tenant, "keyId": "ui"}, headers=operator
    )
    assert taken.status_code == 409
    listed = await api.http.get(f"/admin/apiKeys?tenantId={api.tenant}", headers=operator)
    assert [(k["keyId"], k["description"]) for k in listed.json()] == [("ui", "the agent UI")]
    assert "key" not in listed.json()[0]

    for headers in ({}, {"X-Api-Key": key}, {"X-Api-Key": "guess"}):
        refused = await api.http.get(f"/admin/apiKeys?tenantId={api.tenant}", headers=headers)
        assert refused.status_code == 401, headers

    revoked = await api.http.delete(f"/admin/apiKeys/{api.tenant}/ui", headers=operator)
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] is not None
    assert (await user.get("/nodeDefinition")).status_code == 401
    missing = await api.http.delete(f"/admin/apiKeys/{api.tenant}/nope", headers=operator)
    assert missing.status_code == 404
    bad = await api.http.post("/admin/apiKeys", json={"tenantId": "a/b"}, headers=operator)
    assert bad.status_code == 400
