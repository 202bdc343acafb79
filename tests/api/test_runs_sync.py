"""The examples end to end over HTTP in sync mode: real Temporal, worker, store, services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drift_models import RunContext, RunStatus
from drift_worker.runtime import RunningWorker
from tests.api.harness import Api, new_run_id, tenant_key
from tests.peers import VALID_CODE, Services


async def test_refund_from_view_to_end(examples: Api, services: Services) -> None:
    api = examples
    run_id = new_run_id()
    first = await api.start("refund", {"orderId": "A-100", "reason": "damaged"}, workflowId=run_id)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["workflowId"] == run_id
    assert body["workflowStatus"] == "WAITING"
    assert body["currentNode"] == "confirmRefund"
    assert body["workflowVersion"] == 1
    decision = next(o for o in body["view"]["inputOptions"] if o["id"] == "decision")
    assert decision["description"] == "Refund 80.0 EUR for order A-100?"
    assert services.calls == ["GET /orders/A-100"]

    refused = await api.resume(run_id, {"decision": ["maybe"]})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert refused.headers["content-type"] == "application/problem+json"
    assert problem["status"] == 422
    assert problem["errors"], problem
    assert all(e["path"].startswith("$.") for e in problem["errors"])
    assert any("maybe" in e["message"] for e in problem["errors"])

    wrong = await api.resume(run_id, {"decision": ["approve"]}, node="elsewhere")
    assert wrong.status_code == 409, wrong.text
    assert "elsewhere" in wrong.json()["detail"]

    final = await api.resume(run_id, {"decision": ["approve"], "note": ["sorry"]})
    assert final.status_code == 200, final.text
    ended = final.json()
    assert ended["workflowStatus"] == "COMPLETED"
    assert ended["disposition"] == "REFUNDED"
    assert ended["output"]["refund"]["amount"] == 80.0

    read = await api.get(f"/v3/workflow/{run_id}")
    assert read.status_code == 200
    assert read.json()["workflowStatus"] == "COMPLETED"
    assert read.json()["output"] == ended["output"]

    again = await api.resume(run_id, {"decision": ["approve"]})
    assert again.status_code == 409, again.text
    gone = await api.delete(f"/v3/workflow/terminate/{run_id}")
    assert gone.status_code == 409, gone.text

    svg = await api.get(f"/workflowDefinition/refund/graph.svg?runId={run_id}")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


async def test_refund_endings_without_a_view(examples: Api) -> None:
    not_eligible = await examples.start("refund", {"orderId": "A-200", "reason": "late"})
    assert not_eligible.status_code == 200
    assert not_eligible.json()["workflowStatus"] == "COMPLETED"
    assert not_eligible.json()["disposition"] == "NOT_ELIGIBLE"
    failed = await examples.start("refund", {"orderId": "NOPE", "reason": "x"})
    assert failed.status_code == 200
    body = failed.json()
    assert body["workflowStatus"] == "FAILED"
    assert body["errorMessage"] == "The refund could not be processed; please try again later."
    assert body["view"]["layoutId"] == "error"


async def test_account_verification_with_utility_calls(examples: Api, services: Services) -> None:
    api = examples
    run_id = new_run_id()
    first = await api.start("account-verification", {"accountId": "acc-1"}, workflowId=run_id)
    assert first.status_code == 200, first.text
    assert first.json()["workflowStatus"] == "WAITING"
    url = f"/v3/workflow/{run_id}/disconnected-node/execute"
    wrong = await api.post(url, json={"node": "verifyCode", "parameters": {"code": "000000"}})
    assert wrong.status_code == 200, wrong.text
    sent = await api.post(url, json={"node": "sendCode"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["node"] == "sendCode"
    assert sent.json()["status"] == "COMPLETED"
    unknown = await api.post(url, json={"node": "nope"})
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["path"] == "$.node"
    still = await api.get(f"/v3/workflow/{run_id}")
    assert still.json()["workflowStatus"] == "WAITING"
    assert still.json()["currentNode"] == first.json()["currentNode"]
    final = await api.resume(run_id, {"code": [VALID_CODE], "outcome": ["verified"]})
    assert final.status_code == 200, final.text
    assert final.json()["workflowStatus"] == "COMPLETED"
    assert f"POST verify {VALID_CODE}" in services.calls


async def test_appointment_waits_for_an_event_and_runs_a_child(examples: Api) -> None:
    api = examples
    run_id = new_run_id()
    remind_at = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    params = {"patientId": "p-1", "slot": "2026-12-01T09:30", "fee": 40, "remindAt": remind_at}
    first = await api.start("appointment", params, workflowId=run_id)
    state: dict[str, Any] = first.json()
    assert first.status_code == 200, first.text
    assert first.json()["workflowStatus"] == "SCHEDULER_WAITING"
    for _ in range(50):
        state = (await api.get(f"/v3/workflow/{run_id}")).json()
        if state["currentNode"] == "awaitDocuments":
            break
    assert state["currentNode"] == "awaitDocuments", state
    sent = await api.post(
        f"/v3/workflow/{run_id}/event/documentsUploaded", json={"payload": {"files": 2}}
    )
    assert sent.status_code == 202, sent.text
    for _ in range(100):
        state = (await api.get(f"/v3/workflow/{run_id}")).json()
        if state["workflowStatus"] in {"COMPLETED", "FAILED"}:
            break
    assert state["workflowStatus"] == "COMPLETED", state
    assert state["disposition"] == "BOOKED"


async def test_terminate_a_waiting_run(examples: Api) -> None:
    run_id = new_run_id()
    await examples.start("refund", {"orderId": "A-300", "reason": "x"}, workflowId=run_id)
    stopped = await examples.delete(f"/v3/workflow/terminate/{run_id}?reason=customer+left")
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["workflowStatus"] == "TERMINATED"
    assert stopped.json()["errorMessage"] == "customer left"
    resumed = await examples.resume(run_id, {"decision": ["approve"]})
    assert resumed.status_code == 409, resumed.text


async def test_start_refuses_what_cannot_run(examples: Api) -> None:
    unknown = await examples.start("nope", {})
    assert unknown.status_code == 404, unknown.text
    assert "nope" in unknown.json()["detail"]
    missing = await examples.start("refund", {"orderId": "A-100"})
    assert missing.status_code == 422, missing.text
    assert [e["path"] for e in missing.json()["errors"]] == ["$.params.reason"]
    no_version = await examples.start("refund", {"orderId": "A-100", "reason": "x"}, version=9)
    assert no_version.status_code == 404, no_version.text
    malformed = await examples.post("/v3/workflow/start", json={"params": {}})
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["errors"]
    assert (await examples.get("/v3/workflow/never-started")).status_code == 404
    assert (await examples.resume("never-started", {"a": ["b"]})).status_code == 404
    assert (await examples.delete("/v3/workflow/terminate/never-started")).status_code == 404
    event = await examples.post("/v3/workflow/never-started/event/x", json={})
    assert event.status_code == 404


async def test_a_slow_run_answers_202_after_the_sync_timeout(
    examples: Api, services: Services
) -> None:
    services.delay_seconds = 2.0
    app = examples.http._transport.app  # type: ignore[attr-defined]
    runs = app.state["services"].runs
    runs._sync_timeout = 0.5
    run_id = new_run_id()
    started = await examples.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert started.status_code == 202, started.text
    assert started.json()["workflowId"] == run_id
    assert started.json()["workflowStatus"] in {"CREATED", "RUNNING"}
    runs._sync_timeout = 15
    again = await examples.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert again.status_code == 200, again.text
    assert again.json()["workflowStatus"] == "WAITING"
    assert services.calls.count("GET /orders/A-100") == 1


async def test_a_run_temporal_no_longer_knows_is_read_from_the_store(
    examples: Api, worker: RunningWorker
) -> None:
    run_id = new_run_id()
    await worker.store.contexts.create(
        examples.tenant,
        run_id,
        RunContext.start({"orderId": "A-1"}),
        current_node="refunded",
        status=RunStatus.COMPLETED,
        workflow_id="refund",
        workflow_version=1,
    )
    read = await examples.get(f"/v3/workflow/{run_id}")
    assert read.status_code == 200, read.text
    assert read.headers["x-drift-state-source"] == "store"
    body = read.json()
    assert (body["workflowStatus"], body["currentNode"]) == ("COMPLETED", "refunded")
    assert (body["workflowDefinitionId"], body["workflowVersion"]) == ("refund", 1)
    other = examples.as_tenant("other", tenant_key("other")[0])
    assert (await other.get(f"/v3/workflow/{run_id}")).status_code == 404
