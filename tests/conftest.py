"""Fixtures of the cross-package tests: the examples' peers and a real worker.

Each folder decides the worker's store through its own ``store_url`` fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from drift_nodes import HttpSettings, NodeSettings
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import RunningWorker, running_worker
from drift_worker.settings import WorkerSettings
from tests.api.charging import Backend
from tests.peers import CALLBACK_SECRET, CallbackReceiver, Services


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    running = Services()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def backend() -> AsyncIterator[Backend]:
    """The redrive tests' back end: counts its hits, ``/charge`` fails until fixed."""
    running = Backend()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    running = CallbackReceiver()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def worker(
    temporal_client: Client, task_queue: str, store_url: str, services: Services
) -> AsyncIterator[RunningWorker]:
    """A real worker on the test's task queue, its HTTP nodes allowed onto loopback."""
    settings = WorkerSettings(
        store_url=store_url,
        task_queue=task_queue,
        history_limit=200,
        callback_secret=CALLBACK_SECRET,
    )
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    urls = {"ordersServiceUrl": services.url, "accountsServiceUrl": services.url}
    async with running_worker(
        settings, client=temporal_client, node_settings=nodes, enum_store=EnumStore({"*": urls})
    ) as running:
        yield running
