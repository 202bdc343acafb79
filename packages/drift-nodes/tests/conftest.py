"""Shared fixtures: real resources, and a real local HTTP server on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from drift_nodes import HttpSettings, NodeResources, NodeSettings, ScriptSettings
from drift_nodes.testing import LocalHttpServer


@pytest.fixture
async def resources() -> AsyncIterator[NodeResources]:
    """Resources whose guard lets the test server (127.0.0.1) through."""
    settings = NodeSettings(
        http=HttpSettings(allow_hosts=("127.0.0.1",), max_redirects=3),
        scripts=ScriptSettings(timeout_seconds=1.0, memory_bytes=256 * 1024 * 1024),
    )
    async with NodeResources(settings) as opened:
        yield opened


@pytest.fixture
async def guarded() -> AsyncIterator[NodeResources]:
    """Resources with the default guard: nothing internal is allowed."""
    async with NodeResources(NodeSettings()) as opened:
        yield opened


@pytest.fixture
async def server() -> AsyncIterator[LocalHttpServer]:
    """A real server; the test adds routes, then ``await server.start()``."""
    async with LocalHttpServer() as running:
        yield running
