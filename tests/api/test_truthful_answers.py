"""Every answer is true: runs closed outside Drift, starts no worker has picked up yet.

Real Temporal, real worker, the real app over HTTP; Temporal is driven from outside
the API exactly as an operator would (the client's ``terminate`` and ``cancel`` are
what ``temporal workflow terminate`` and the UI call).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import msgspec
from temporalio.client import Client

from drift_api import ApiSettings, create_app
from drift_models import RunStatus, temporal_workflow_id
from drift_nodes import HttpSettings, NodeSettings
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import RunningWorker, running_worker
from drift_worker.settings import WorkerSettings
from tests.api.conftest import asgi, lifespan
from tests.api.harness import Api, new_run_id, tenant_key
from tests.peers import Services

REFUND = {"orderId": "A-100", "reason": "damaged"}


async def _until(api: Api, run_id: str, done: Any, tries: int = 100) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(tries):
        read = await api.get(f"/v3/workflow/{run_id}")
        assert read.status_code == 200, read.text
        body = read.json()
        if done(body):
            return body
        await asyncio.sleep(0.1)
    return body


async def test_a_run_terminated_in_temporal_reads_terminated_everywhere(
    examples: Api, temporal_client: Client, worker: RunningWorker
) -> None:
    run_id = new_run_id()
    first = await examples.start("refund", REFUND, workflowId=run_id)
    assert first.json()["workflowStatus"] == "WAITING", first.text
    handle = temporal_client.get_workflow_handle(temporal_workflow_id(examples.tenant, run_id))
    await handle.terminate(reason="operator cleanup")

    read = await examples.get(f"/v3/workflow/{run_id}")
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["workflowStatus"] == "TERMINATED", body
    assert "view" not in body or body["view"] is None
    assert body["errorMessage"] == "the run was terminated in Temporal: operator cleanup"
    assert (body["workflowDefinitionId"], body["currentNode"]) == ("refund", "confirmRefund")

    stored = await worker.store.contexts.get(examples.tenant, run_id)
    assert stored is not None
    assert stored.status is RunStatus.TERMINATED

    resumed = await examples.resume(run_id, {"decision": ["approve"]})
    assert resumed.status_code == 409, resumed.text
    assert "TERMINATED" in resumed.json()["detail"]
    assert "terminated in Temporal" in resumed.json()["detail"]


async def test_a_run_cancelled_in_temporal_reads_ended(
    examples: Api, temporal_client: Client, worker: RunningWorker
) -> None:
    run_id = new_run_id()
    first = await examples.start("refund", REFUND, workflowId=run_id)
    assert first.json()["workflowStatus"] == "WAITING", first.text
    handle = temporal_client.get_workflow_handle(temporal_workflow_id(examples.tenant, run_id))
    await handle.cancel()

    body = await _until(examples, run_id, lambda b: b["workflowStatus"] != "WAITING")
    assert body["workflowStatus"] == "TERMINATED", body
    assert body["errorMessage"] == "the run was cancelled in Temporal"
    stored = await worker.store.contexts.get(examples.tenant, run_id)
    assert stored is not None
    assert stored.status is RunStatus.TERMINATED
    resumed = await examples.resume(run_id, {"decision": ["approve"]})
    assert resumed.status_code == 409, resumed.text
    assert "cancelled in Temporal" in resumed.json()["detail"]


async def test_a_sync_start_no_worker_has_picked_up_answers_202_and_runs_later(
    examples: Api,
    api_client: Client,
    settings: ApiSettings,
    worker: RunningWorker,
    services: Services,
) -> None:
    idle_queue = f"idle-{uuid.uuid4().hex[:12]}"
    idle = create_app(
        store=worker.store,
        client=api_client,
        settings=msgspec.structs.replace(settings, task_queue=idle_queue, sync_timeout_seconds=1),
    )
    run_id = new_run_id()
    async with (
        lifespan(idle),
        httpx.AsyncClient(transport=asgi(idle), base_url="http://api", timeout=60) as http,
    ):
        api = Api(http=http, tenant=examples.tenant, key=tenant_key(examples.tenant)[0])
        started = await api.start("refund", REFUND, workflowId=run_id)
        assert started.status_code == 202, started.text
        body = started.json()
        assert body["workflowId"] == run_id
        assert body["workflowStatus"] in {"CREATED", "RUNNING"}, body
        assert body["workflowDefinitionId"] == "refund"
        assert body.get("currentNode") is None

        again = await api.start("refund", REFUND, workflowId=run_id)
        assert again.status_code == 202, again.text

        read = await api.get(f"/v3/workflow/{run_id}")
        assert read.status_code == 200, read.text
        assert read.json()["workflowDefinitionId"] == "refund"

        worker_settings = WorkerSettings(store_url=worker.settings.store_url, task_queue=idle_queue)
        nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
        urls = {"ordersServiceUrl": services.url, "accountsServiceUrl": services.url}
        async with running_worker(
            worker_settings,
            client=worker.client,
            node_settings=nodes,
            enum_store=EnumStore({"*": urls}),
        ):
            idle.state["services"].runs._sync_timeout = 30
            later = await api.start("refund", REFUND, workflowId=run_id)
            assert later.status_code == 200, later.text
            assert later.json()["workflowStatus"] == "WAITING"
            assert later.json()["currentNode"] == "confirmRefund"
