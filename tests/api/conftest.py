"""API fixtures: a real worker and Temporal, the API app over the worker's store, over HTTP.

The app is Litestar's real application (every route, handler, error handler and
middleware) reached through httpx's ASGI transport in the test's event loop; one test
module also serves it with granian on real ports. The store is SQLite by default;
the run tests also run on HBase.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from temporalio.client import Client

from drift_api import ApiSettings, connect_temporal, create_app
from drift_nodes import HttpSettings, NodeSettings
from drift_worker.devserver import DevServer
from drift_worker.runtime import RunningWorker
from tests.api.harness import (
    BOOTSTRAP_KEY,
    PEPPER,
    Api,
    publish_examples,
    served_for_real,
    tenant_key,
)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'drift.db'}"


@pytest.fixture
def tenant() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
def settings(temporal_server: DevServer, task_queue: str, tenant: str) -> ApiSettings:
    return ApiSettings(
        temporal_address=temporal_server.address,
        task_queue=task_queue,
        api_keys=[tenant_key(tenant)[1], tenant_key("other")[1]],
        api_key_pepper=PEPPER,
        bootstrap_api_key=BOOTSTRAP_KEY,
        sync_timeout_seconds=15,
        max_body_bytes=256 * 1024,
    )


@pytest.fixture
async def api_client(temporal_server: DevServer) -> Client:
    await temporal_server.wait_ready()
    return await connect_temporal(ApiSettings(temporal_address=temporal_server.address))


@pytest.fixture
def app(worker: RunningWorker, api_client: Client, settings: ApiSettings) -> Litestar:
    # The worker's allow-list: callbacks to the local receiver are let through.
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    return create_app(store=worker.store, client=api_client, settings=settings, node_settings=nodes)


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Run the app's lifespan in a task of its own (it must end in the task it began in)."""
    started = asyncio.Event()
    stop = asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when="FIRST_COMPLETED")
    if task.done():
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task


def asgi(app: Litestar) -> httpx.ASGITransport:
    """httpx's transport into the app (Litestar's ASGI types are stricter than httpx's)."""
    return httpx.ASGITransport(app=app)  # type: ignore[arg-type]


@pytest.fixture
async def http(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        lifespan(app),
        httpx.AsyncClient(transport=asgi(app), base_url="http://api", timeout=60) as client,
    ):
        yield client


@pytest.fixture
def api(http: httpx.AsyncClient, tenant: str) -> Api:
    return Api(http=http, tenant=tenant, key=tenant_key(tenant)[0])


@pytest.fixture
async def examples(api: Api) -> Api:
    await publish_examples(api)
    return api


@pytest.fixture
async def served(
    worker: RunningWorker, settings: ApiSettings, store_url: str
) -> AsyncIterator[ApiSettings]:
    """The API served for real (granian on loopback ports) over the worker's store."""
    del worker  # runs the examples in the background
    # A start that waits longer answers 202; the fuzzer allows 10 s per response.
    async with served_for_real(settings, store_url, sync_timeout_seconds=5) as real:
        yield real
