"""The cluster tier: Drift on a real Temporal cluster instead of the dev server.

One cluster per session (Temporal 1.32.2's four services as separate processes over
PostgreSQL, from :mod:`drift_worker.testing.temporal_cluster`), and on it the platform
as a deployment runs it: two ``drift-worker`` and two ``drift-api`` processes over a real
HBase and a Redis. The API tests of ``tests/api`` are reused as they are, against the
API processes' real ports. Every test here carries the ``cluster`` marker.

The first session on a machine builds the server from Go modules (~7 min on 2 cores,
cached in ``~/.cache/drift-temporal-cluster``); later sessions boot it in seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from drift_models.visibility import SEARCH_ATTRIBUTES as DRIFT_SEARCH_ATTRIBUTES
from drift_store.testing import redis_server
from drift_store.testing._processes import in_ci
from drift_worker.converter import DATA_CONVERTER
from drift_worker.testing.temporal_cluster import TemporalCluster, unavailable_reason
from tests.api.harness import Api, publish_examples, tenant_key
from tests.cluster.platform import DriftProcess, Platform, platform_env
from tests.peers import Services

SEARCH_ATTRIBUTES: dict[str, str] = {a.name: a.type for a in DRIFT_SEARCH_ATTRIBUTES}
"""Drift's custom search attributes, created on the cluster at start (name → type).

The same list ``drift dev`` and ``drift-worker setup-search-attributes`` register
(:data:`drift_models.visibility.SEARCH_ATTRIBUTES`): runs started through the API carry
them, so the cluster must know them before the first start.
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def temporal_cluster() -> Iterator[TemporalCluster]:
    """A four-service Temporal cluster over PostgreSQL, for the whole session."""
    reason = unavailable_reason()
    if reason is not None:
        if in_ci():
            pytest.fail(f"CI must run the cluster tier, but: {reason}")
        pytest.skip(reason)
    # Its own folder under /tmp: PostgreSQL's user cannot enter pytest's (mode 700).
    cluster = TemporalCluster.start(search_attributes=SEARCH_ATTRIBUTES)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
async def cluster_client(temporal_cluster: TemporalCluster) -> Client:
    return await Client.connect(temporal_cluster.address, data_converter=DATA_CONVERTER)


@pytest.fixture(scope="session")
def cluster_redis() -> Iterator[redis_server.RedisServer]:
    reason = redis_server.unavailable_reason()
    if reason is not None:
        pytest.fail(reason)
    server = redis_server.RedisServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def demo_services() -> AsyncIterator[Services]:
    running = Services()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
def services(demo_services: Services) -> Services:
    """The session's demo back ends, their call log emptied for this test."""
    demo_services.calls.clear()
    return demo_services


@pytest.fixture(scope="session")
async def platform(
    temporal_cluster: TemporalCluster,
    hbase_url: str,
    cluster_redis: redis_server.RedisServer,
    demo_services: Services,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Platform]:
    """Two workers and two API processes on the cluster, HBase and Redis."""
    folder = tmp_path_factory.mktemp("platform")
    enum_file = folder / "enum-store.yaml"
    url = demo_services.url
    enum_file.write_text(f'"*":\n  ordersServiceUrl: "{url}"\n  accountsServiceUrl: "{url}"\n')
    task_queue = f"cluster-{uuid.uuid4().hex[:8]}"
    worker_env, api_env, tenants = platform_env(
        temporal=temporal_cluster.address,
        store_url=hbase_url,
        redis_url=cluster_redis.url,
        task_queue=task_queue,
        enum_file=enum_file,
    )
    workers = [
        DriftProcess(f"worker-{n}", "drift_worker.main", worker_env, folder / f"worker-{n}.log")
        for n in (1, 2)
    ]
    apis = [
        DriftProcess(f"api-{n}", "drift_api.main", api_env, folder / f"api-{n}.log") for n in (1, 2)
    ]
    running = Platform(workers, apis, iter(tenants), task_queue)
    try:
        for process in (*workers, *apis):
            process.start()
        for process in (*workers, *apis):
            await process.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
async def examples(platform: Platform) -> AsyncIterator[Api]:
    """A fresh tenant with the examples published, over one of the API processes."""
    tenant = next(platform.tenants)
    target = platform.next_api()
    async with httpx.AsyncClient(base_url=target.url, timeout=60) as http:
        api = Api(http=http, tenant=tenant, key=tenant_key(tenant)[0])
        await publish_examples(api)
        yield api
