"""Redis behind Sentinel: the cache's cross-replica invalidation through a real sentinel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drift_store import DefinitionCache, DefinitionKind, Store, connect_redis, open_store
from drift_store.testing import redis_server, workflow

WORKFLOW = DefinitionKind.WORKFLOW


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    url = f"sqlite:///{tmp_path}/drift.db"
    async with open_store(url) as first, open_store(url) as second:
        yield first, second


async def test_the_client_finds_the_master_through_the_sentinel(
    redis: redis_server.RedisServer, tmp_path: Path
) -> None:
    sentinel = redis_server.SentinelServer.start(redis, tmp_path)
    try:
        client = connect_redis(sentinel.address, timeout=2.0)
        try:
            await client.set("drift:probe", b"through sentinel")
            assert await client.get("drift:probe") == b"through sentinel"
        finally:
            await client.aclose()
        direct = connect_redis(redis.url, timeout=2.0)
        try:
            assert await direct.get("drift:probe") == b"through sentinel"
        finally:
            await direct.aclose()
    finally:
        sentinel.stop()


async def test_invalidation_crosses_replicas_through_sentinel(
    redis: redis_server.RedisServer, replicas: tuple[Store, Store], tmp_path: Path
) -> None:
    sentinel = redis_server.SentinelServer.start(redis, tmp_path)
    api, worker = replicas
    try:
        await api.definitions.create("acme", workflow())
        await api.definitions.publish("acme", WORKFLOW, "flow")
        options = {"redis_url": sentinel.address, "local_ttl": 3600.0, "shared_ttl": 3600.0}
        async with (
            DefinitionCache(api.definitions, **options) as api_cache,  # type: ignore[arg-type]
            DefinitionCache(worker.definitions, **options) as worker_cache,  # type: ignore[arg-type]
        ):
            assert api_cache.connected
            assert worker_cache.connected
            assert (await worker_cache.get_workflow("acme", "flow")).version == 1
            await api.definitions.publish("acme", WORKFLOW, "flow")
            for _ in range(250):
                if (await worker_cache.get_workflow("acme", "flow")).version == 2:
                    break
                await asyncio.sleep(0.02)
            assert (await worker_cache.get_workflow("acme", "flow")).version == 2
    finally:
        sentinel.stop()
