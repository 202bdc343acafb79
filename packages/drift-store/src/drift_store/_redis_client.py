"""The redis-py client behind :func:`drift_store.connect_redis` (the ``redis`` extra)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel

from drift_store.redis import SENTINEL_SCHEME, RedisAddressError

__all__ = ["open_client"]


def open_client(address: str, *, timeout: float) -> aioredis.Redis:
    """A client for ``address`` (plain or ``redis+sentinel://``); it connects lazily.

    Raises:
        RedisAddressError: for an address that names no Redis.
    """
    parsed = urlsplit(address)
    if parsed.scheme in {"redis", "rediss", "unix"}:
        return aioredis.Redis.from_url(
            address, socket_timeout=timeout, socket_connect_timeout=timeout
        )
    if parsed.scheme != SENTINEL_SCHEME:
        msg = (
            f"Redis address {address!r} must start with redis://, rediss:// or {SENTINEL_SCHEME}://"
        )
        raise RedisAddressError(msg)
    netloc = parsed.netloc.rpartition("@")[2]
    password = unquote(parsed.password) if parsed.password else None
    hosts: list[tuple[str, int]] = []
    for item in netloc.split(","):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            msg = f"Redis address {address!r}: sentinel {item!r} is not host:port"
            raise RedisAddressError(msg)
        hosts.append((host, int(port)))
    parts = [unquote(p) for p in parsed.path.split("/") if p]
    if not parts:
        msg = f"Redis address {address!r} names no Sentinel master (…/<master>)"
        raise RedisAddressError(msg)
    database = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        hosts,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        sentinel_kwargs={"socket_timeout": timeout, "socket_connect_timeout": timeout},
    )
    client = sentinel.master_for(
        parts[0],
        redis_class=_SentinelMaster,
        password=password,
        db=database,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )
    master: _SentinelMaster = client
    master.sentinels = tuple(sentinel.sentinels)
    return master


class _SentinelMaster(aioredis.Redis):
    """The master's client; closing it also closes the connections to the sentinels."""

    sentinels: tuple[aioredis.Redis, ...] = ()

    async def aclose(self, close_connection_pool: bool | None = None) -> None:  # noqa: FBT001 - redis-py's signature
        await super().aclose(close_connection_pool)
        for sentinel in self.sentinels:
            await sentinel.aclose()
