"""Real servers for the store's integration tests: HBase and Redis, once per session.

Both are started by the project (HBase from Maven Central jars, Redis from Debian's
``redis-server``) on free loopback ports and stopped by pid. Without Java/Maven or
redis-server the tests that need them skip locally with a message saying how to enable
them, and fail in CI (``CI`` set): a server CI cannot start is a broken CI.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from drift_store.testing import hbase_server, redis_server
from drift_store.testing._processes import in_ci


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
