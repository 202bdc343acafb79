"""End-to-end fixtures: the examples published in a real store, a real worker, real
Temporal, and local HTTP services — with the embedded store and with a real HBase."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client

from drift_nodes import HttpSettings, NodeSettings
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import RunningWorker, running_worker
from drift_worker.settings import WorkerSettings
from tests.e2e.engine import Engine, publish_examples
from tests.e2e.services import CallbackReceiver, Services

SECRET = "callback-secret"


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    running = Services()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    running = CallbackReceiver()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture(params=["sqlite", "hbase"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'drift.db'}"
    base: str = request.getfixturevalue("hbase_url")
    return base


@pytest.fixture
async def worker(
    temporal_client: Client, task_queue: str, store_url: str, services: Services
) -> AsyncIterator[RunningWorker]:
    settings = WorkerSettings(
        store_url=store_url, task_queue=task_queue, history_limit=200, callback_secret=SECRET
    )
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    urls = {"ordersServiceUrl": services.url, "accountsServiceUrl": services.url}
    enum_store = EnumStore({"*": urls})
    async with running_worker(
        settings, client=temporal_client, node_settings=nodes, enum_store=enum_store
    ) as running:
        yield running


@pytest.fixture
async def engine(worker: RunningWorker, task_queue: str) -> Engine:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    await publish_examples(worker.store, tenant, worker.registry.node_types)
    return Engine(client=worker.client, task_queue=task_queue, store=worker.store, tenant=tenant)
