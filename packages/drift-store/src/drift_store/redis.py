"""Connecting to Redis, plain or through Sentinel, from one address string.

A plain Redis is ``redis://[:password@]host:port/db`` (or ``rediss://`` for TLS). A
Redis behind Sentinel is ``redis+sentinel://[:password@]host1:port1,host2:port2/master[/db]``:
the client asks the sentinels where the master is and follows a failover by itself.
:func:`redis_address` builds that string from the services' separate settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel

__all__ = ["RedisAddressError", "connect_redis", "redis_address"]

_SENTINEL = "redis+sentinel"


class RedisAddressError(ValueError):
    """A Redis address that cannot be understood."""


def redis_address(
    *,
    url: str | None = None,
    sentinels: Sequence[str] = (),
    master: str = "mymaster",
    password: str | None = None,
) -> str | None:
    """The address to give :func:`connect_redis`, from plain or Sentinel settings.

    Sentinel settings win when both are given; ``None`` means no Redis.

    Raises:
        RedisAddressError: for a sentinel that is not ``host:port``.
    """
    if sentinels:
        hosts = []
        for sentinel in sentinels:
            host, _, port = sentinel.strip().rpartition(":")
            if not host or not port.isdigit():
                msg = f"Redis sentinel {sentinel!r} is not host:port"
                raise RedisAddressError(msg)
            hosts.append(f"{host}:{port}")
        secret = f":{quote(password, safe='')}@" if password else ""
        return f"{_SENTINEL}://{secret}{','.join(hosts)}/{quote(master, safe='')}"
    if url and password and "@" not in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://:{quote(password, safe='')}@{rest}"
    return url or None


def connect_redis(address: str, *, timeout: float) -> aioredis.Redis:
    """A client for ``address`` (plain or ``redis+sentinel://``); it connects lazily.

    Raises:
        RedisAddressError: for an address that names no Redis.
    """
    parsed = urlsplit(address)
    if parsed.scheme in {"redis", "rediss", "unix"}:
        return aioredis.Redis.from_url(
            address, socket_timeout=timeout, socket_connect_timeout=timeout
        )
    if parsed.scheme != _SENTINEL:
        msg = f"Redis address {address!r} must start with redis://, rediss:// or {_SENTINEL}://"
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
