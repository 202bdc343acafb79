"""Cross-process invalidation through a real Redis, and what happens when Redis dies.

Two stores on one SQLite file stand for two replicas; each has its own cache with its
own Redis connections, as two processes would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from drift_store import DefinitionCache, DefinitionKind, Store, open_store
from drift_store.testing import redis_server, script_node, workflow

NODE = DefinitionKind.NODE
WORKFLOW = DefinitionKind.WORKFLOW


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.02)
    return await check()


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    url = f"sqlite:///{tmp_path}/drift.db"
    async with open_store(url) as first, open_store(url) as second:
        yield first, second


async def test_a_publish_in_one_replica_invalidates_the_other(
    redis: redis_server.RedisServer, replicas: tuple[Store, Store]
) -> None:
    api, worker = replicas
    await api.definitions.create("acme", workflow())
    await api.definitions.publish("acme", WORKFLOW, "flow")
    await api.definitions.activate("acme", WORKFLOW, "flow", 1)
    # Long TTLs: only the pub/sub message can make the worker's cache see a change.
    options = {"redis_url": redis.url, "local_ttl": 3600.0, "shared_ttl": 3600.0}
    async with (
        DefinitionCache(api.definitions, **options) as api_cache,  # type: ignore[arg-type]
        DefinitionCache(worker.definitions, **options) as worker_cache,  # type: ignore[arg-type]
    ):
        assert api_cache.connected
        assert worker_cache.connected
        assert (await worker_cache.get_workflow("acme", "flow")).version == 1
        assert (await worker_cache.get_workflow("acme", "flow", "ACTIVE")).version == 1

        await api.definitions.publish("acme", WORKFLOW, "flow")

        async def latest_is_two() -> bool:
            return (await worker_cache.get_workflow("acme", "flow")).version == 2

        assert await eventually(latest_is_two)
        await api.definitions.activate("acme", WORKFLOW, "flow", 2)

        async def active_is_two() -> bool:
            return (await worker_cache.get_workflow("acme", "flow", "ACTIVE")).version == 2

        assert await eventually(active_is_two)
        await api.definitions.rollback("acme", WORKFLOW, "flow")

        async def rolled_back() -> bool:
            return (await worker_cache.get_workflow("acme", "flow", "ACTIVE")).version == 1

        assert await eventually(rolled_back)
        assert worker_cache.stats.invalidations >= 2
        # Other definitions and other tenants keep their cached pointers.
        assert worker_cache.stats.hits > 0


async def test_killing_redis_degrades_to_local_caching_without_errors(
    redis: redis_server.RedisServer, replicas: tuple[Store, Store]
) -> None:
    api, worker = replicas
    await api.definitions.create("acme", script_node())
    await api.definitions.publish("acme", NODE, "compute")
    async with (
        DefinitionCache(api.definitions, redis_url=redis.url, local_ttl=0.3) as api_cache,
        DefinitionCache(
            worker.definitions, redis_url=redis.url, local_ttl=0.3, shared_ttl=3600.0
        ) as worker_cache,
    ):
        assert worker_cache.connected
        assert (await worker_cache.get_node("acme", "compute")).version == 1

        redis.kill()

        async def disconnected() -> bool:
            return not worker_cache.connected and not api_cache.connected

        assert await eventually(disconnected)
        # Publishing cannot reach Redis; that is no error for the caller.
        published = await api.definitions.publish("acme", NODE, "compute")
        assert published.version == 2
        # The worker's cache now trusts pointers only for local_ttl, and reads go on.
        assert (await worker_cache.get_node("acme", "compute", 1)).version == 1

        async def sees_two() -> bool:
            return (await worker_cache.get_node("acme", "compute")).version == 2

        assert await eventually(sees_two, within=3.0)

        # Redis comes back (same port): the caches subscribe again on their own.
        revived = redis_server.RedisServer.start(port=redis.port)
        try:

            async def reconnected() -> bool:
                return worker_cache.connected and api_cache.connected

            assert await eventually(reconnected, within=15.0)
            await api.definitions.publish("acme", NODE, "compute")

            async def sees_three() -> bool:
                return (await worker_cache.get_node("acme", "compute")).version == 3

            assert await eventually(sees_three)
        finally:
            revived.stop()
