"""The definition cache without Redis: what it keeps, for how long, and what it drops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drift_store import (
    DefinitionCache,
    DefinitionKind,
    DefinitionNotFoundError,
    DefinitionReader,
    Store,
    open_store,
)
from drift_store.testing import script_node

NODE = DefinitionKind.NODE


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one file: two processes as far as the cache can tell."""
    url = f"sqlite:///{tmp_path}/drift.db"
    async with open_store(url) as first, open_store(url) as second:
        yield first, second


async def test_numbered_versions_are_cached_for_good(stores: tuple[Store, Store]) -> None:
    store, _ = stores
    await store.definitions.create("acme", script_node())
    await store.definitions.publish("acme", NODE, "compute")
    clock = FakeClock()
    async with DefinitionCache(store.definitions, clock=clock) as cache:
        first = await cache.get_node("acme", "compute", 1)
        clock.now += 10_000
        again = await cache.get_node("acme", "compute", 1)
        assert again is first
        assert (cache.stats.hits, cache.stats.misses) == (1, 1)
        assert not cache.connected


async def test_the_snapshot_is_never_cached(stores: tuple[Store, Store]) -> None:
    store, other = stores
    await store.definitions.create("acme", script_node())
    async with DefinitionCache(store.definitions) as cache:
        assert (await cache.get_node("acme", "compute", "SNAPSHOT")).definition.name == (
            "Compute compute"
        )
        await other.definitions.update("acme", script_node(name="Renamed"))
        renamed = await cache.get_node("acme", "compute", "SNAPSHOT")
        assert renamed.definition.name == "Renamed"


async def test_changes_through_the_wrapped_store_show_at_once(
    stores: tuple[Store, Store],
) -> None:
    store, _ = stores
    await store.definitions.create("acme", script_node())
    await store.definitions.publish("acme", NODE, "compute")
    async with DefinitionCache(store.definitions, local_ttl=3600) as cache:
        assert (await cache.get_node("acme", "compute")).version == 1
        await store.definitions.publish("acme", NODE, "compute")
        assert (await cache.get_node("acme", "compute")).version == 2
        await store.definitions.activate("acme", NODE, "compute", 1)
        assert (await cache.get_node("acme", "compute", "ACTIVE")).version == 1
        await cache.invalidate("acme", NODE, "compute")
        assert cache.stats.invalidations >= 2


async def test_changes_elsewhere_show_after_the_local_ttl(stores: tuple[Store, Store]) -> None:
    store, elsewhere = stores
    await store.definitions.create("acme", script_node())
    await store.definitions.publish("acme", NODE, "compute")
    clock = FakeClock()
    async with DefinitionCache(store.definitions, local_ttl=2.0, clock=clock) as cache:
        assert await cache.resolve("acme", NODE, "compute", "LATEST") == 1
        await elsewhere.definitions.publish("acme", NODE, "compute")
        clock.now += 1.0
        assert await cache.resolve("acme", NODE, "compute", "LATEST") == 1  # within the TTL
        clock.now += 1.5
        assert await cache.resolve("acme", NODE, "compute", "LATEST") == 2
        assert await cache.resolve("acme", NODE, "compute", 7) == 7
        assert await cache.resolve("acme", NODE, "compute", "SNAPSHOT") is None


async def test_missing_things_are_reported_as_by_the_store(stores: tuple[Store, Store]) -> None:
    store, _ = stores
    await store.definitions.create("acme", script_node())
    async with DefinitionCache(store.definitions) as cache:
        with pytest.raises(DefinitionNotFoundError, match="no ACTIVE version"):
            await cache.get_node("acme", "compute", "ACTIVE")
        with pytest.raises(DefinitionNotFoundError, match="no node definition 'nope'"):
            await cache.get("acme", NODE, "nope")


async def test_an_unreachable_redis_is_no_error(stores: tuple[Store, Store]) -> None:
    store, _ = stores
    await store.definitions.create("acme", script_node())
    await store.definitions.publish("acme", NODE, "compute")
    cache = DefinitionCache(store.definitions, redis_url="redis://127.0.0.1:1/0", local_ttl=0)
    await cache.start(wait=0.5)
    try:
        assert not cache.connected
        assert (await cache.get_node("acme", "compute")).version == 1
        await store.definitions.publish("acme", NODE, "compute")  # announcing fails quietly
        assert (await cache.get_node("acme", "compute")).version == 2
    finally:
        await cache.close()


async def test_the_least_recently_used_version_leaves_first(stores: tuple[Store, Store]) -> None:
    store, _ = stores
    await store.definitions.create("acme", script_node())
    for _ in range(3):
        await store.definitions.publish("acme", NODE, "compute")
    async with DefinitionCache(store.definitions, max_versions=2) as cache:
        for number in (1, 2, 1, 3):
            await cache.get_node("acme", "compute", number)
        misses = cache.stats.misses
        await cache.get_node("acme", "compute", 1)  # kept: used recently
        assert cache.stats.misses == misses
        await cache.get_node("acme", "compute", 2)  # dropped for 3
        assert cache.stats.misses == misses + 1


async def test_the_store_and_the_cache_share_the_read_api(stores: tuple[Store, Store]) -> None:
    store, _ = stores
    await store.definitions.create("acme", script_node())
    await store.definitions.publish("acme", NODE, "compute")
    async with DefinitionCache(store.definitions) as cache:
        readers: list[DefinitionReader] = [store.definitions, cache]  # checked by mypy
        versions = [(await r.get_node("acme", "compute")).version for r in readers]
        pointers = [await r.pointers("acme", NODE, "compute") for r in readers]
    assert versions == [1, 1]
    assert pointers[0] == pointers[1]
