"""Cross-process invalidation of cached pointers over Redis pub/sub.

Every cache subscribes to one channel and publishes ``{tenant, kind, id, origin}`` when a
publish, an activation or a rollback goes through its store. Redis may vanish at any
time: the listener then reports "disconnected" (the cache falls back to short local
TTLs), keeps retrying with back-off, and reports "connected" again once subscribed (the
cache then forgets every pointer, since messages were missed meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Final

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from drift_store.records import DefinitionKind
from drift_store.redis import connect_redis

_log = logging.getLogger("drift_store.cache")

_POLL: Final = 0.5
_PING_EVERY: Final = 5.0
_MAX_BACKOFF: Final = 5.0
_FAILURES: Final = (RedisError, OSError, TimeoutError)


class Invalidation(msgspec.Struct, frozen=True):
    """One message on the channel."""

    tenant: str
    kind: DefinitionKind
    id: str
    origin: str


class RedisInvalidation:
    """Publishes and receives invalidations on one Redis channel.

    Args:
        url: ``redis://host:port/db`` or ``redis+sentinel://host:port,…/master``.
        channel: the pub/sub channel every replica shares.
        on_message: called with ``(tenant, kind, id)`` for other replicas' changes.
        on_state: called with ``True`` once subscribed and ``False`` when Redis is lost.
        timeout: seconds for a connect, a publish and a ping.
    """

    def __init__(
        self,
        url: str,
        *,
        channel: str,
        on_message: Callable[[str, DefinitionKind, str], None],
        on_state: Callable[[bool], None],
        timeout: float = 1.0,
    ) -> None:
        self.origin = uuid.uuid4().hex
        self._channel = channel
        self._on_message = on_message
        self._on_state = on_state
        self._timeout = timeout
        self._client = connect_redis(url, timeout=timeout)
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._decoder = msgspec.json.Decoder(Invalidation)

    async def start(self, *, wait: float = 0.0) -> None:
        """Start listening; wait up to ``wait`` seconds for the first subscription."""
        self._task = asyncio.create_task(self._listen(), name="drift-cache-invalidation")
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), wait)

    async def publish(self, tenant: str, kind: DefinitionKind, definition_id: str) -> bool:
        """Tell the other replicas; ``False`` (logged, never raised) when Redis is away."""
        message = msgspec.json.encode(Invalidation(tenant, kind, definition_id, self.origin))
        try:
            await asyncio.wait_for(self._client.publish(self._channel, message), self._timeout)
        except _FAILURES as error:
            _log.warning("cannot publish an invalidation to Redis: %s", error)
            return False
        return True

    async def close(self) -> None:
        """Stop listening and close the connections."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await asyncio.wait_for(pubsub.subscribe(self._channel), self._timeout)
                self._subscribed.set()
                self._on_state(True)  # noqa: FBT003
                backoff = 0.1
                await self._receive(pubsub)
            except _FAILURES as error:
                if self._subscribed.is_set():
                    _log.warning("lost Redis; caching locally until it returns: %s", error)
                self._subscribed.clear()
                self._on_state(False)  # noqa: FBT003
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
            finally:
                with contextlib.suppress(*_FAILURES):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _receive(self, pubsub: aioredis.client.PubSub) -> None:
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + _PING_EVERY
        while True:
            message = await pubsub.get_message(timeout=_POLL)
            if message is not None and message.get("type") == "message":
                self._handle(message["data"])
            if loop.time() >= next_ping:
                # A dead peer is noticed on the next read; a silent network is not: ping.
                await asyncio.wait_for(pubsub.ping(), self._timeout)
                next_ping = loop.time() + _PING_EVERY

    def _handle(self, data: bytes) -> None:
        try:
            invalidation = self._decoder.decode(data)
        except msgspec.DecodeError:
            _log.warning("ignoring a malformed invalidation on %s: %r", self._channel, data)
            return
        if invalidation.origin != self.origin:
            self._on_message(invalidation.tenant, invalidation.kind, invalidation.id)
