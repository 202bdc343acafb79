"""Redrive: a run that failed at its HTTP node continues there once the back end is fixed.

Real Temporal dev server, real worker and API. The back end is a local HTTP stub that
counts its hits, so the test can prove that no state before the failed one ran twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey

from drift_api import ApiSettings
from drift_models import RunInput, RunStatus, WorkflowResponse, temporal_workflow_id
from drift_models.engine import WORKFLOW_NAME
from drift_models.visibility import SA_ATTEMPT, SA_CLIENT, SA_NODE, SA_STATUS, SA_TENANT
from drift_worker.runtime import RunningWorker
from tests.api.charging import CHARGE_ATTEMPTS, Backend, charge_workflow, node, publish_workflow
from tests.api.harness import BOOTSTRAP_KEY, Api, new_run_id, publish_examples
from tests.peers import CallbackReceiver


@pytest.fixture
def settings(settings: ApiSettings) -> ApiSettings:
    # One redrive per run here, so the bound is reached within a test.
    return msgspec.structs.replace(settings, max_redrives=1)


@pytest.fixture
async def charging(api: Api, backend: Backend) -> Api:
    await publish_workflow(api, charge_workflow(backend.url))
    return api


async def _fail(api: Api) -> str:
    run_id = new_run_id()
    started = await api.start("charge", {}, workflowId=run_id)
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["workflowStatus"] == "FAILED", body
    assert body["disposition"] == "NOT_PAID"
    return run_id


async def test_redrive_continues_at_the_failed_state_once_the_back_end_is_fixed(
    charging: Api, backend: Backend, worker: RunningWorker
) -> None:
    run_id = await _fail(charging)
    assert backend.hits == {"profile": 1, "charge": CHARGE_ATTEMPTS}
    failed = await worker.store.contexts.require(charging.tenant, run_id)
    assert failed.context.global_["noteFailure"] == {"noted": True}  # the route ran

    backend.broken = False
    redriven = await charging.post(f"/v3/workflow/{run_id}/redrive")
    assert redriven.status_code == 200, redriven.text
    body = redriven.json()
    assert body["workflowStatus"] == "COMPLETED", body
    assert body["workflowId"] == run_id
    assert body["disposition"] == "PAID"
    assert body.get("errorMessage") is None
    # Only the failed state ran again: once more, and it answered.
    assert backend.hits == {"profile": 1, "charge": CHARGE_ATTEMPTS + 1}

    stored = await worker.store.contexts.require(charging.tenant, run_id)
    outputs = stored.context.global_
    assert outputs["profile"]["body"] == {"customer": "c-1"}
    assert outputs["prepare"] == {"amount": 42}
    assert outputs["charge"]["body"] == {"charged": True}
    # Nothing of the failure route is left: the context is the one before ``charge``.
    assert "noteFailure" not in outputs
    assert "charge:error" not in outputs
    assert stored.status.value == "COMPLETED"
    assert (await charging.get(f"/v3/workflow/{run_id}")).json()["workflowStatus"] == "COMPLETED"

    again = await charging.post(f"/v3/workflow/{run_id}/redrive")
    assert again.status_code == 409, again.text
    assert "COMPLETED" in again.json()["detail"]


async def test_redrive_refusals(charging: Api, backend: Backend) -> None:
    await publish_examples(charging)
    waiting = new_run_id()
    started = await charging.start(
        "refund", {"orderId": "A-100", "reason": "x"}, workflowId=waiting
    )
    assert started.json()["workflowStatus"] == "WAITING", started.text
    refused = await charging.post(f"/v3/workflow/{waiting}/redrive")
    assert refused.status_code == 409, refused.text
    assert "WAITING" in refused.json()["detail"]

    assert (await charging.post(f"/v3/workflow/{new_run_id()}/redrive")).status_code == 404

    run_id = await _fail(charging)
    other = charging.as_tenant(f"{charging.tenant}b", key=BOOTSTRAP_KEY)
    assert (await other.post(f"/v3/workflow/{run_id}/redrive")).status_code == 404

    # Still broken: the redrive fails again at the same state, and the bound (1) is reached.
    again = await charging.post(f"/v3/workflow/{run_id}/redrive")
    assert again.status_code == 200, again.text
    assert again.json()["workflowStatus"] == "FAILED"
    assert backend.hits["profile"] == 1
    limit = await charging.post(f"/v3/workflow/{run_id}/redrive")
    assert limit.status_code == 409, limit.text
    assert "redriven 1 times" in limit.json()["detail"]


async def test_a_failure_state_reached_without_a_node_failure_has_no_redrive_point(
    api: Api,
) -> None:
    body = {
        "id": "refuse",
        "startNode": "no",
        "states": {"no": {"nodeDefinition": node("FAILURE", "no", {"disposition": "NO"})}},
    }
    await publish_workflow(api, body)
    run_id = new_run_id()
    started = await api.start("refuse", {}, workflowId=run_id)
    assert started.json()["workflowStatus"] == "FAILED", started.text
    refused = await api.post(f"/v3/workflow/{run_id}/redrive")
    assert refused.status_code == 409, refused.text
    assert "no redrive point" in refused.json()["detail"]


async def _listed(api: Api, query: str) -> tuple[list[dict[str, Any]], int]:
    page = (await api.get(f"/v3/workflow?limit=200&total=true&{query}")).json()
    return page["items"], page["total"]


async def test_a_redriven_run_is_listed_once_with_its_new_status(
    charging: Api, backend: Backend
) -> None:
    redriven = await _fail(charging)
    still_failed = await _fail(charging)
    backend.broken = False
    answer = await charging.post(f"/v3/workflow/{redriven}/redrive")
    assert answer.json()["workflowStatus"] == "COMPLETED", answer.text

    async with asyncio.timeout(30):
        while True:
            items, total = await _listed(charging, "workflowDefinitionId=charge")
            statuses = {item["workflowId"]: item["workflowStatus"] for item in items}
            if statuses.get(redriven) == "COMPLETED":
                break
            await asyncio.sleep(0.3)
    assert [item["workflowId"] for item in items].count(redriven) == 1
    assert statuses == {redriven: "COMPLETED", still_failed: "FAILED"}
    assert total == 2
    assert next(i for i in items if i["workflowId"] == redriven)["redrives"] == 1
    failed, failed_total = await _listed(charging, "workflowDefinitionId=charge&status=FAILED")
    assert [item["workflowId"] for item in failed] == [still_failed]
    assert failed_total == 1
    done, done_total = await _listed(charging, "status=COMPLETED&status=FAILED")
    assert {item["workflowId"] for item in done} == {redriven, still_failed}
    assert done_total == 2


async def _until_total(api: Api, query: str, expected: int) -> None:
    async with asyncio.timeout(30):
        while (await _listed(api, query))[1] != expected:  # noqa: ASYNC110 - polls the API
            await asyncio.sleep(0.3)


async def test_bulk_redrive_takes_exactly_the_failed_runs_of_the_filter(
    charging: Api, backend: Backend
) -> None:
    bulk = Api(http=charging.http, tenant=charging.tenant, key=charging.key, client_id="bulk")
    keep = Api(http=charging.http, tenant=charging.tenant, key=charging.key, client_id="keep")
    targets = {await _fail(bulk) for _ in range(4)}
    bystanders = {await _fail(keep) for _ in range(2)}
    # Already redriven: its superseded failed attempt must not be taken again.
    earlier = await _fail(bulk)
    backend.broken = False
    assert (await bulk.post(f"/v3/workflow/{earlier}/redrive")).json()["workflowStatus"] == (
        "COMPLETED"
    )
    await _until_total(charging, "clientId=bulk&status=FAILED", len(targets))
    charges = backend.hits["charge"]

    dry = await charging.post("/v3/bulk/redrive?clientId=bulk&dryRun=true")
    assert dry.status_code == 202, dry.text
    assert dry.json()["total"] == len(targets)
    assert dry.json()["state"] == "DRY_RUN"
    started = await charging.post("/v3/bulk/redrive?clientId=bulk")
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["action"] == "redrive"
    assert job["total"] == len(targets)
    other = charging.as_tenant(f"{charging.tenant}b", key=BOOTSTRAP_KEY)
    assert (await other.get(f"/v3/bulk/{job['jobId']}")).status_code == 404
    async with asyncio.timeout(60):
        while job["state"] == "RUNNING":
            await asyncio.sleep(0.3)
            job = (await charging.get(f"/v3/bulk/{job['jobId']}")).json()
    assert (job["done"], job["failed"]) == (len(targets), 0), job

    await _until_total(charging, "clientId=bulk&status=COMPLETED", len(targets) + 1)
    completed, _ = await _listed(charging, "clientId=bulk&status=COMPLETED")
    assert {item["workflowId"] for item in completed} == {*targets, earlier}
    kept, _ = await _listed(charging, "clientId=keep")
    assert {item["workflowId"]: item["workflowStatus"] for item in kept} == dict.fromkeys(
        bystanders, "FAILED"
    )
    assert backend.hits["charge"] == charges + len(targets)
    assert backend.hits["profile"] == len(targets) + len(bystanders) + 1
    nothing = await charging.post("/v3/bulk/redrive?clientId=bulk&dryRun=true")
    assert nothing.json()["total"] == 0


async def test_history_and_picture_show_the_failed_attempt_then_the_redrive(
    charging: Api, backend: Backend
) -> None:
    run_id = await _fail(charging)
    backend.broken = False
    answer = await charging.post(f"/v3/workflow/{run_id}/redrive")
    assert answer.json()["workflowStatus"] == "COMPLETED", answer.text

    history = await charging.get(f"/v3/workflow/{run_id}/history")
    assert history.status_code == 200, history.text
    entries = history.json()["entries"]
    events = [(e["event"], e.get("attempt", 0), e.get("superseded", False)) for e in entries]
    redriven = events.index(("REDRIVEN", 1, False))
    first, second = entries[:redriven], entries[redriven:]
    assert all(e.get("superseded") and e.get("attempt", 0) == 0 for e in first)
    assert first[0]["event"] == "STARTED"
    assert first[-1]["event"] == "ENDED"
    assert first[-1]["detail"].startswith("FAILED")
    ran_first = [n for e in first if e["event"] == "STEP" for n in e["nodes"]]
    assert ran_first == ["profile", "prepare", "noteFailure", "failed"]
    assert any(e["event"] == "FAILED" for e in first)  # the charge's failing attempts
    assert second[0]["nodes"] == ["charge"]
    ran_after = [n for e in second if e["event"] == "STEP" for n in e["nodes"]]
    assert ran_after == ["charge", "done"]
    assert second[-1] | {"at": None} == {
        "at": None,
        "event": "ENDED",
        "nodes": [],
        "outcome": None,
        "detail": "COMPLETED",
        "attempt": 1,
        "superseded": False,
    }
    times = [e["at"] for e in entries]
    assert times == sorted(times)

    picture = await charging.get(f"/workflowDefinition/charge/graph.svg?runId={run_id}")
    assert picture.status_code == 200, picture.text
    svg = picture.text
    assert svg.count("(failed attempt)") == 2  # noteFailure and failed ran only then
    assert svg.count("(redriven here)") == 1


async def test_the_redriven_execution_keeps_its_attributes_and_memo_current(
    charging: Api, backend: Backend, api_client: Client
) -> None:
    run_id = await _fail(charging)
    backend.broken = False
    assert (await charging.post(f"/v3/workflow/{run_id}/redrive")).status_code == 200
    handle = api_client.get_workflow_handle(temporal_workflow_id(charging.tenant, run_id))
    described = await handle.describe()
    assert described.status is WorkflowExecutionStatus.COMPLETED
    attributes = described.typed_search_attributes
    assert attributes.get(SearchAttributeKey.for_keyword(SA_STATUS)) == "COMPLETED"
    assert attributes.get(SearchAttributeKey.for_keyword(SA_NODE)) == "done"
    assert attributes.get(SearchAttributeKey.for_keyword(SA_TENANT)) == charging.tenant
    assert attributes.get(SearchAttributeKey.for_keyword(SA_CLIENT)) == charging.client_id
    assert attributes.get(SearchAttributeKey.for_int(SA_ATTEMPT)) == 1
    memo = await described.memo()
    assert memo["workflowDefinitionId"] == "charge"
    assert memo["tenantId"] == charging.tenant


async def test_two_redrives_at_once_redrive_once(charging: Api, backend: Backend) -> None:
    run_id = await _fail(charging)
    backend.broken = False
    backend.delay_seconds = 1.0  # both requests arrive while the first redrive runs
    answers = await asyncio.gather(
        charging.post(f"/v3/workflow/{run_id}/redrive"),
        charging.post(f"/v3/workflow/{run_id}/redrive"),
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409).json()
    assert "RUNNING" in refused["detail"] or "being redriven" in refused["detail"]
    assert backend.hits["charge"] == CHARGE_ATTEMPTS + 1


async def test_an_old_shape_run_has_no_redrive_point(
    charging: Api, api_client: Client, task_queue: str
) -> None:
    # Started without Drift's search attributes (as runs were before them): it ends
    # FAILED but closes Completed in Temporal, carrying no point.
    run_id = new_run_id()
    ended = await api_client.execute_workflow(
        WORKFLOW_NAME,
        RunInput(tenant_id=charging.tenant, run_id=run_id, workflow_definition_id="charge"),
        id=temporal_workflow_id(charging.tenant, run_id),
        task_queue=task_queue,
        result_type=WorkflowResponse,
    )
    assert ended.workflow_status is RunStatus.FAILED
    refused = await charging.post(f"/v3/workflow/{run_id}/redrive")
    assert refused.status_code == 409, refused.text
    assert "no redrive point" in refused.json()["detail"]


async def test_an_async_redrive_answers_at_once_and_calls_back(
    charging: Api, backend: Backend, receiver: CallbackReceiver
) -> None:
    run_id = await _fail(charging)
    backend.broken = False
    answer = await charging.post(
        f"/v3/workflow/{run_id}/redrive", json={"callbackUrl": receiver.url}
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["workflowStatus"] == "RUNNING"
    assert answer.json()["currentNode"] == "charge"
    called = await receiver.wait_for(run_id, "COMPLETED")
    assert called["body"]["disposition"] == "PAID"
