"""A redrive survives a worker restart: the worker process running the redriven run is
killed while the run is at its HTTP node; a new worker process finishes it.

Real Temporal dev server, real ``drift-worker`` processes (SIGKILL), the real API app.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from litestar import Litestar
from temporalio.client import Client

from drift_api import ApiSettings, create_app
from drift_nodes import HttpSettings, NodeSettings, discover_nodes
from drift_store import Store, open_store
from drift_worker.devserver import DevServer
from tests.api.charging import CHARGE_ATTEMPTS, Backend, charge_workflow, publish_workflow
from tests.api.harness import Api, new_run_id
from tests.e2e.test_worker_process import worker_process


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    async with open_store(store_url, node_types=discover_nodes().node_types) as opened:
        yield opened


@pytest.fixture
def app(store: Store, api_client: Client, settings: ApiSettings) -> Litestar:
    # No worker in this process: the runs are run by worker processes.
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    return create_app(store=store, client=api_client, settings=settings, node_settings=nodes)


@pytest.fixture
def worker_env(temporal_server: DevServer, task_queue: str, store_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DRIFT_TEMPORAL_ADDRESS": temporal_server.address,
        "DRIFT_TASK_QUEUE": task_queue,
        "DRIFT_STORE_URL": store_url,
        "DRIFT_HTTP_ALLOW_HOSTS": "127.0.0.1",
        "DRIFT_SHUTDOWN_GRACE_SECONDS": "2",
    }


async def _until(condition: Callable[[], bool], seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - polls a counter
            await asyncio.sleep(0.05)


async def test_a_redrive_survives_a_worker_killed_at_the_failed_state(
    api: Api, store: Store, backend: Backend, worker_env: dict[str, str], tmp_path: Path
) -> None:
    run_id = new_run_id()
    with worker_process(worker_env, tmp_path / "first.log") as first:
        await first.wait_ready()
        await publish_workflow(api, charge_workflow(backend.url))
        failed = await api.start("charge", {}, workflowId=run_id)
        assert failed.json()["workflowStatus"] == "FAILED", failed.text

        backend.broken = False
        backend.delay_seconds = 20  # the redriven charge hangs until its worker is gone
        redrive = asyncio.create_task(
            api.post(f"/v3/workflow/{run_id}/redrive", json={"callbackUrl": None})
        )
        await _until(lambda: backend.hits["charge"] == CHARGE_ATTEMPTS + 1, 30)
        first.kill()  # SIGKILL while the redriven run is at ``charge``
    answered = await redrive
    assert answered.status_code in {200, 202}, answered.text
    assert answered.json()["workflowStatus"] in {"RUNNING", "COMPLETED"}, answered.text

    backend.delay_seconds = 0
    with worker_process(worker_env, tmp_path / "second.log") as second:
        await second.wait_ready()
        async with asyncio.timeout(60):
            while True:
                state = (await api.get(f"/v3/workflow/{run_id}")).json()
                if state["workflowStatus"] == "COMPLETED":
                    break
                assert state["workflowStatus"] == "RUNNING", state
                await asyncio.sleep(0.3)
        assert second.stop() == 0

    # The charge ran on the new worker; nothing before it ran again.
    assert backend.hits == {"profile": 1, "charge": CHARGE_ATTEMPTS + 2}
    record = await store.contexts.require(api.tenant, run_id)
    outputs = record.context.global_
    assert outputs["charge"]["body"] == {"charged": True}
    assert outputs["prepare"] == {"amount": 42}
    assert "noteFailure" not in outputs
