"""Late and broken calls answer what happened: asked of Temporal, never guessed.

Real Temporal dev servers (one of them owned, SIGKILLed and restarted by its test), real
workers started and stopped by the tests, the real app over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
from litestar import Litestar
from temporalio.client import Client

from drift_api import ApiSettings, connect_temporal, create_app
from drift_api.run_history import read_history
from drift_models import RunContext, RunStatus, temporal_workflow_id
from drift_nodes import HttpSettings, NodeSettings, discover_nodes
from drift_store import Store, open_store
from drift_worker.devserver import DevServer
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import RunningWorker, running_worker
from drift_worker.settings import WorkerSettings
from tests.api.conftest import asgi, lifespan
from tests.api.harness import Api, new_run_id, publish_examples, tenant_key
from tests.faults.processes import ManagedProcess, wait_port_open
from tests.peers import Services

REFUND = {"orderId": "A-100", "reason": "damaged"}
APPROVE = {"decision": ["approve"]}


@contextlib.asynccontextmanager
async def _serve(app: Litestar, tenant: str) -> AsyncIterator[Api]:
    async with (
        lifespan(app),
        httpx.AsyncClient(transport=asgi(app), base_url="http://api", timeout=120) as http,
    ):
        yield Api(http=http, tenant=tenant, key=tenant_key(tenant)[0])


@contextlib.asynccontextmanager
async def _worker(
    client: Client, store_url: str, queue: str, services: Services
) -> AsyncIterator[RunningWorker]:
    settings = WorkerSettings(store_url=store_url, task_queue=queue)
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    urls = {"ordersServiceUrl": services.url, "accountsServiceUrl": services.url}
    async with running_worker(
        settings, client=client, node_settings=nodes, enum_store=EnumStore({"*": urls})
    ) as running:
        yield running


def _app(store: Store, client: Client, settings: ApiSettings, **changes: Any) -> Litestar:
    return create_app(
        store=store, client=client, settings=msgspec.structs.replace(settings, **changes)
    )


def _set_sync_timeout(app: Litestar, seconds: float) -> None:
    app.state["services"].runs._sync_timeout = seconds


async def test_a_start_cut_off_by_a_temporal_crash_answers_202_when_its_run_exists(
    tmp_path: Path, settings: ApiSettings, tenant: str
) -> None:
    server = DevServer(database=tmp_path / "temporal.db")
    temporal = ManagedProcess(
        "temporal", server.command(), dict(os.environ), tmp_path / "temporal.log", (server.port,)
    )
    temporal.start()
    try:
        wait_port_open(server.port, timeout=30, what="temporal")
        await server.wait_ready()
        client = await connect_temporal(ApiSettings(temporal_address=server.address))
        async with open_store(
            f"sqlite:///{tmp_path / 'drift.db'}", node_types=discover_nodes().node_types
        ) as store:
            # No worker polls this queue: the start's update waits for its acceptance.
            app = _app(
                store,
                client,
                settings,
                temporal_address=server.address,
                task_queue=f"idle-{uuid.uuid4().hex[:12]}",
                sync_timeout_seconds=60,
            )
            async with _serve(app, tenant) as api:
                await publish_examples(api)
                run_id = new_run_id()
                start = asyncio.create_task(api.start("refund", REFUND, workflowId=run_id))
                handle = client.get_workflow_handle(temporal_workflow_id(tenant, run_id))
                for _ in range(200):
                    with contextlib.suppress(Exception):
                        await handle.describe()
                        break
                    await asyncio.sleep(0.05)
                temporal.kill()
                # Down long enough for the client's own retries to give up (~10 s).
                await asyncio.wait([start], timeout=14)
                await asyncio.to_thread(temporal.start)
                answer = await start
    finally:
        temporal.stop()
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["workflowId"] == run_id
    assert body["workflowStatus"] in {"CREATED", "RUNNING"}, body


async def test_a_resume_no_worker_takes_answers_503_and_is_never_applied(
    *,
    examples: Api,
    api_client: Client,
    temporal_client: Client,
    settings: ApiSettings,
    worker: RunningWorker,
    services: Services,
) -> None:
    queue = f"gone-{uuid.uuid4().hex[:12]}"
    app = _app(worker.store, api_client, settings, task_queue=queue, sync_timeout_seconds=15)
    run_id = new_run_id()
    async with _serve(app, examples.tenant) as api:
        async with _worker(temporal_client, worker.settings.store_url, queue, services):
            started = await api.start("refund", REFUND, workflowId=run_id)
            assert started.json()["workflowStatus"] == "WAITING", started.text
        # The run's worker is gone: nothing takes the answer within the sync timeout.
        _set_sync_timeout(app, 2)
        resumed = await api.resume(run_id, APPROVE, node="confirmRefund")
        assert resumed.status_code == 503, resumed.text
        assert resumed.json()["title"] == "Not Applied"
        assert resumed.headers["Retry-After"] == "1"

        # A worker comes back: the held answer reaches the run, which refuses it.
        _set_sync_timeout(app, 15)
        async with _worker(temporal_client, worker.settings.store_url, queue, services):
            read = await api.get(f"/v3/workflow/{run_id}")
            assert read.status_code == 200, read.text
            assert read.headers["X-Drift-State-Source"] == "engine"
            assert (read.json()["workflowStatus"], read.json()["currentNode"]) == (
                "WAITING",
                "confirmRefund",
            )
            history = await read_history(temporal_client, examples.tenant, run_id)
            assert [e.event for e in history.entries if e.event == "RESUMED"] == []

            again = await api.resume(run_id, APPROVE, node="confirmRefund")
            assert again.status_code == 200, again.text
            history = await read_history(temporal_client, examples.tenant, run_id)
            assert len([e for e in history.entries if e.event == "RESUMED"]) == 1


async def test_a_stored_view_the_engine_has_not_reached_reads_running(
    examples: Api, api_client: Client, settings: ApiSettings, worker: RunningWorker
) -> None:
    app = _app(
        worker.store,
        api_client,
        settings,
        task_queue=f"idle-{uuid.uuid4().hex[:12]}",
        sync_timeout_seconds=1,
        query_timeout_seconds=1,
    )
    run_id = new_run_id()
    async with _serve(app, examples.tenant) as api:
        started = await api.start("refund", REFUND, workflowId=run_id)
        assert started.status_code == 202, started.text
        # What a step writes before the workflow has taken its result (a worker paused
        # between the two): the store is ahead of the engine.
        await worker.store.contexts.create(
            examples.tenant,
            run_id,
            RunContext.start(REFUND),
            current_node="confirmRefund",
            status=RunStatus.WAITING,
            workflow_id="refund",
            workflow_version=1,
        )
        read = await api.get(f"/v3/workflow/{run_id}")
        assert read.status_code == 200, read.text
        assert read.headers["X-Drift-State-Source"] == "store"
        body = read.json()
        assert (body["workflowStatus"], body["currentNode"]) == ("RUNNING", "confirmRefund")


async def test_an_answer_sent_before_the_run_reaches_its_view_waits_for_it(
    *,
    examples: Api,
    api_client: Client,
    temporal_client: Client,
    settings: ApiSettings,
    worker: RunningWorker,
    services: Services,
) -> None:
    queue = f"late-{uuid.uuid4().hex[:12]}"
    app = _app(worker.store, api_client, settings, task_queue=queue, sync_timeout_seconds=1)
    run_id = new_run_id()
    async with _serve(app, examples.tenant) as api:
        started = await api.start("refund", REFUND, workflowId=run_id)
        assert started.status_code == 202, started.text
        _set_sync_timeout(app, 30)
        resume = asyncio.create_task(api.resume(run_id, APPROVE, node="confirmRefund"))
        await asyncio.sleep(0.5)
        # The run starts moving only now: the answer reaches it before its view does.
        async with _worker(temporal_client, worker.settings.store_url, queue, services):
            resumed = await resume
            assert resumed.status_code == 200, resumed.text
            assert resumed.json()["workflowStatus"] == "COMPLETED", resumed.text
