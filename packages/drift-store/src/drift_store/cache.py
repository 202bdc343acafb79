"""The definition cache: the read API of the definition store, from memory when it can.

- Numbered versions never change, so they are cached for good (least recently used
  first out, up to ``max_versions``).
- ``LATEST`` / ``ACTIVE`` pointers change on publish and activate. With Redis they are
  cached for ``shared_ttl`` and dropped as soon as any replica announces a change on the
  pub/sub channel; without Redis — not configured, or lost for a while — only for
  ``local_ttl``, so a change made elsewhere shows within that time.
- ``SNAPSHOT`` (a draft, changed at will) is never cached.

Changes made through the store the cache wraps drop the entry at once and are announced
to the other replicas.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self, cast

from drift_models import NodeDefinition, Pointer, WorkflowDefinition
from drift_store.definitions import DefinitionStore
from drift_store.extras import require_extra
from drift_store.reader import check_version_ref, follow_pointer
from drift_store.records import Definition, DefinitionKind, Pointers, StoredDefinition

if TYPE_CHECKING:
    from drift_store._invalidation import RedisInvalidation

__all__ = ["CacheStats", "DefinitionCache"]

_Key = tuple[str, DefinitionKind, str]


class CacheStats:
    """Counters of one cache, for metrics and benchmarks.

    Attributes:
        hits: reads answered from memory (versions and pointers).
        misses: reads that went to the store.
        invalidations: pointer entries dropped because of a change.
    """

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self.invalidations = 0


class DefinitionCache:
    """Cached reads of definitions, with pointers invalidated across processes.

    Use as ``async with DefinitionCache(store.definitions, redis_url=…) as cache``.

    Args:
        store: the definition store to read from (and whose changes to announce).
        redis_url: ``redis://host:port/db`` for cross-process invalidation, or ``None``.
        channel: the pub/sub channel (one per deployment).
        local_ttl: seconds a pointer is trusted without Redis.
        shared_ttl: seconds a pointer is trusted while subscribed to Redis (a safety net).
        max_versions: numbered versions kept in memory.
        clock: monotonic seconds (tests pass a fake one).

    Raises:
        MissingExtraError: for a ``redis_url`` without the ``redis`` extra installed.
    """

    def __init__(
        self,
        store: DefinitionStore,
        *,
        redis_url: str | None = None,
        channel: str = "drift:definitions",
        local_ttl: float = 2.0,
        shared_ttl: float = 300.0,
        max_versions: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._local_ttl = local_ttl
        self._shared_ttl = shared_ttl
        self._max_versions = max_versions
        self._clock = clock
        self._versions: OrderedDict[tuple[str, DefinitionKind, str, int], StoredDefinition[
            Definition
        ]] = OrderedDict()  # fmt: skip
        self._pointers: dict[_Key, tuple[float, Pointers]] = {}
        self._generation = 0
        self._connected = False
        self.stats = CacheStats()
        self._redis: RedisInvalidation | None = None
        if redis_url is not None:
            require_extra("redis")
            from drift_store._invalidation import RedisInvalidation  # noqa: PLC0415 - optional

            self._redis = RedisInvalidation(
                redis_url,
                channel=channel,
                on_message=self._drop,
                on_state=self._set_connected,
            )

    @property
    def connected(self) -> bool:
        """Whether pointers are kept coherent through Redis right now."""
        return self._connected

    async def start(self, *, wait: float = 2.0) -> None:
        """Subscribe to the store's changes and (if configured) to Redis.

        Waits up to ``wait`` seconds for Redis; an absent Redis is no error.
        """
        self._store.add_listener(self._changed)
        if self._redis is not None:
            await self._redis.start(wait=wait)

    async def close(self) -> None:
        """Unsubscribe and close the Redis connections."""
        self._store.remove_listener(self._changed)
        if self._redis is not None:
            await self._redis.close()
        self._connected = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- the read API --------------------------------------------------------------------

    async def get(
        self,
        tenant: str,
        kind: DefinitionKind,
        definition_id: str,
        version: int | Pointer = "LATEST",
    ) -> StoredDefinition[Definition]:
        """As :meth:`DefinitionStore.get`, from memory when possible."""
        ref = check_version_ref(version)
        if ref == "SNAPSHOT":
            self.stats.misses += 1
            return await self._store.get_exact(tenant, kind, definition_id, None)
        if isinstance(ref, int):
            number = ref
        else:
            pointers = await self.pointers(tenant, kind, definition_id)
            number = follow_pointer(pointers, ref, tenant, kind, definition_id)
        key = (tenant, kind, definition_id, number)
        cached = self._versions.get(key)
        if cached is not None:
            self._versions.move_to_end(key)
            self.stats.hits += 1
            return cached
        self.stats.misses += 1
        stored = await self._store.get_exact(tenant, kind, definition_id, number)
        self._versions[key] = stored
        if len(self._versions) > self._max_versions:
            self._versions.popitem(last=False)
        return stored

    async def get_node(
        self, tenant: str, definition_id: str, version: int | Pointer = "LATEST"
    ) -> StoredDefinition[NodeDefinition]:
        """:meth:`get` for a node definition."""
        stored = await self.get(tenant, DefinitionKind.NODE, definition_id, version)
        return cast("StoredDefinition[NodeDefinition]", stored)

    async def get_workflow(
        self, tenant: str, definition_id: str, version: int | Pointer = "LATEST"
    ) -> StoredDefinition[WorkflowDefinition]:
        """:meth:`get` for a workflow definition."""
        stored = await self.get(tenant, DefinitionKind.WORKFLOW, definition_id, version)
        return cast("StoredDefinition[WorkflowDefinition]", stored)

    async def pointers(self, tenant: str, kind: DefinitionKind, definition_id: str) -> Pointers:
        """As :meth:`DefinitionStore.pointers`, cached for the current TTL."""
        key = (tenant, kind, definition_id)
        entry = self._pointers.get(key)
        ttl = self._shared_ttl if self._connected else self._local_ttl
        if entry is not None and self._clock() - entry[0] < ttl:
            self.stats.hits += 1
            return entry[1]
        self.stats.misses += 1
        generation = self._generation
        fetched_at = self._clock()
        pointers = await self._store.pointers(tenant, kind, definition_id)
        # Keep it only if no invalidation arrived while it was being read.
        if generation == self._generation:
            self._pointers[key] = (fetched_at, pointers)
        return pointers

    async def resolve(
        self, tenant: str, kind: DefinitionKind, definition_id: str, version: int | Pointer
    ) -> int | None:
        """As :meth:`DefinitionStore.resolve`, with cached pointers."""
        ref = check_version_ref(version)
        if isinstance(ref, int):
            return ref
        if ref == "SNAPSHOT":
            return None
        pointers = await self.pointers(tenant, kind, definition_id)
        return follow_pointer(pointers, ref, tenant, kind, definition_id)

    async def invalidate(self, tenant: str, kind: DefinitionKind, definition_id: str) -> None:
        """Drop a definition's pointers here and tell the other replicas."""
        await self._changed(tenant, kind, definition_id)

    # -- invalidation --------------------------------------------------------------------

    async def _changed(self, tenant: str, kind: DefinitionKind, definition_id: str) -> None:
        self._drop(tenant, kind, definition_id)
        if self._redis is not None:
            await self._redis.publish(tenant, kind, definition_id)

    def _drop(self, tenant: str, kind: DefinitionKind, definition_id: str) -> None:
        self._generation += 1
        if self._pointers.pop((tenant, kind, definition_id), None) is not None:
            self.stats.invalidations += 1

    def _set_connected(self, connected: bool) -> None:  # noqa: FBT001
        if connected and not self._connected:
            # Announcements may have been missed while away: trust nothing cached.
            self._generation += 1
            self._pointers.clear()
        self._connected = connected
