"""Late and broken calls answer what happened: asked of Temporal, never guessed.

Real Temporal dev servers (one of them owned, SIGKILLed and restarted by its test), real
workers started and stopped by the tests, the real app over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError

from drift_api import ApiSettings, connect_temporal, create_app
from drift_api.run_history import PAGE_TIMEOUT, read_history
from drift_api.sync_limits import Limit
from drift_api.update_outcome import UpdateOutcome
from drift_models import (
    ResumeInput,
    RunContext,
    RunStatus,
    ViewResponse,
    temporal_workflow_id,
)
from drift_models.engine import UPDATE_RESUME
from drift_nodes import HttpSettings, NodeSettings, discover_nodes
from drift_store import Store, open_store
from drift_worker.devserver import DevServer
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import RunningWorker, running_worker
from drift_worker.settings import WorkerSettings
from tests.api.conftest import asgi, lifespan
from tests.api.harness import Api, frozen, new_run_id, publish_examples, tenant_key
from tests.faults.processes import ManagedProcess, wait_port_open
from tests.peers import CallbackReceiver, Services

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


async def test_a_start_temporal_cannot_take_in_time_is_unconfirmed_not_running(
    examples: Api, temporal_server: DevServer, services: Services
) -> None:
    """Temporal frozen for the whole call: the update-with-start and the same start sent
    again to settle it both time out, so nothing is known of the run. The true answer is
    503 "Start Unconfirmed" (a retry with the same id is safe), not a 202 saying the run
    goes on; once Temporal is back the same start reaches one run."""
    order = {"orderId": "A-300", "reason": "late"}
    run_id = new_run_id()
    app = examples.http._transport.app  # type: ignore[attr-defined]
    _set_sync_timeout(app, 2.0)
    with frozen(temporal_server):
        late = await examples.start("refund", order, workflowId=run_id)
    assert late.status_code == 503, late.text
    problem = late.json()
    assert problem["title"] == "Start Unconfirmed", problem
    assert "within the sync timeout" in problem["detail"], problem
    assert problem["extensions"]["workflowId"] == run_id
    assert late.headers["Retry-After"] == "1"

    _set_sync_timeout(app, 15.0)
    again = await examples.start("refund", order, workflowId=run_id)
    assert again.status_code == 200, again.text
    assert again.json()["workflowStatus"] == "WAITING"
    assert again.json()["currentNode"] == "confirmRefund"
    assert services.calls.count("GET /orders/A-300") == 1


async def test_an_async_start_temporal_cannot_take_is_answered_within_the_limit(
    examples: Api, temporal_server: DevServer, receiver: CallbackReceiver
) -> None:
    """An async start answers at once, and with Temporal frozen it still answers within
    its limit (before: it hung until Temporal came back), saying the start is unconfirmed."""
    order = {"orderId": "A-300", "reason": "async"}
    run_id = new_run_id()
    app = examples.http._transport.app  # type: ignore[attr-defined]
    _set_sync_timeout(app, 2.0)
    with frozen(temporal_server):
        late = await asyncio.wait_for(
            examples.start("refund", order, workflowId=run_id, callbackUrl=receiver.url), 6
        )
    assert late.status_code == 503, late.text
    assert late.json()["title"] == "Start Unconfirmed", late.text

    again = await examples.start("refund", order, workflowId=run_id, callbackUrl=receiver.url)
    assert again.status_code == 202, again.text
    waiting = await receiver.wait_for(run_id, "WAITING")
    assert waiting["body"]["currentNode"] == "confirmRefund"


async def test_an_event_temporal_does_not_take_in_time_is_an_unknown_outcome(
    examples: Api, temporal_server: DevServer
) -> None:
    """An event sent while Temporal is frozen is answered within the sync timeout (before:
    it hung until Temporal came back), and says it may have been delivered."""
    run_id = new_run_id()
    started = await examples.start("refund", REFUND, workflowId=run_id)
    assert started.status_code == 200, started.text
    app = examples.http._transport.app  # type: ignore[attr-defined]
    _set_sync_timeout(app, 2.0)
    path = f"/v3/workflow/{run_id}/event/documentsUploaded"
    with frozen(temporal_server):
        sent = await asyncio.wait_for(examples.post(path, json={"payload": {"n": 1}}), 6)
    assert sent.status_code == 503, sent.text
    problem = sent.json()
    assert problem["title"] == "Outcome Unknown", problem
    assert "'documentsUploaded'" in problem["detail"], problem


async def test_a_history_read_while_temporal_does_not_answer_is_503_in_bounded_time(
    examples: Api, temporal_server: DevServer
) -> None:
    """A run's history with Temporal frozen: 503 once a page took PAGE_TIMEOUT (before: the
    request hung until Temporal came back)."""
    run_id = new_run_id()
    started = await examples.start("refund", REFUND, workflowId=run_id)
    assert started.status_code == 200, started.text
    with frozen(temporal_server):
        read = await asyncio.wait_for(
            examples.get(f"/v3/workflow/{run_id}/history"), PAGE_TIMEOUT + 5
        )
    assert read.status_code == 503, read.text
    assert read.headers["Retry-After"] == "1"
    after = await examples.get(f"/v3/workflow/{run_id}/history")
    assert after.status_code == 200, after.text
    assert after.json()["entries"], after.text


async def test_an_update_the_run_rejects_while_it_is_asked_about_is_not_accepted(
    *,
    examples: Api,
    api_client: Client,
    temporal_client: Client,
    settings: ApiSettings,
    worker: RunningWorker,
    services: Services,
) -> None:
    """The question about a late update sees the run's validator reject it (an answer past
    its answerBy): that is a refusal, never "accepted" (before, the API then answered 202
    for a resume that was never applied: the workers-down drill counted it lost)."""
    queue = f"asked-{uuid.uuid4().hex[:12]}"
    app = _app(worker.store, api_client, settings, task_queue=queue, sync_timeout_seconds=15)
    run_id = new_run_id()
    workflow_id = temporal_workflow_id(examples.tenant, run_id)
    async with _serve(app, examples.tenant) as api:
        async with _worker(temporal_client, worker.settings.store_url, queue, services):
            started = await api.start("refund", REFUND, workflowId=run_id)
            assert started.json()["workflowStatus"] == "WAITING", started.text
        # No worker: the answer, already past its answerBy, waits for the run.
        update_id = uuid.uuid4().hex
        late = ResumeInput(
            view_response=ViewResponse(selected_options=APPROVE),
            answer_by=int((time.time() - 60) * 1000),
        )
        handle = temporal_client.get_workflow_handle(workflow_id)
        sent = asyncio.create_task(
            handle.start_update(
                UPDATE_RESUME, late, id=update_id, wait_for_stage=WorkflowUpdateStage.ACCEPTED
            )
        )
        await asyncio.sleep(1.0)  # the update reaches Temporal, which holds it for the run
        limit = Limit.after(20)
        asked = asyncio.create_task(UpdateOutcome(api_client).ask(workflow_id, update_id, limit))
        await asyncio.sleep(1.0)
        assert not asked.done()  # held, not accepted: the question waits
        async with _worker(temporal_client, worker.settings.store_url, queue, services):
            update = await sent  # a rejection comes back as the update's outcome
            with pytest.raises(WorkflowUpdateFailedError) as rejected:
                await update.result()
            assert isinstance(rejected.value.cause, ApplicationError)
            assert rejected.value.cause.type == "Expired"
            (outcome,) = await asyncio.gather(asked, return_exceptions=True)
            if isinstance(outcome, WorkflowUpdateFailedError):
                assert isinstance(outcome.cause, ApplicationError)
                assert outcome.cause.type == "Expired"
            else:
                assert outcome == "absent", outcome  # asked again after it was dropped
            history = await read_history(temporal_client, examples.tenant, run_id)
            assert [e.event for e in history.entries if e.event == "RESUMED"] == []
