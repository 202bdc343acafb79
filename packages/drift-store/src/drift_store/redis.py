"""Connecting to Redis, plain or through Sentinel, from one address string.

A plain Redis is ``redis://[:password@]host:port/db`` (or ``rediss://`` for TLS). A
Redis behind Sentinel is ``redis+sentinel://[:password@]host1:port1,host2:port2/master[/db]``:
the client asks the sentinels where the master is and follows a failover by itself.
:func:`redis_address` builds that string from the services' separate settings.
:func:`connect_redis` needs the ``redis`` extra (``pip install "drift-store[redis]"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from drift_store.extras import require_extra

if TYPE_CHECKING:
    import redis.asyncio as aioredis

__all__ = ["RedisAddressError", "connect_redis", "redis_address"]

SENTINEL_SCHEME = "redis+sentinel"


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
        return f"{SENTINEL_SCHEME}://{secret}{','.join(hosts)}/{quote(master, safe='')}"
    if url and password and "@" not in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://:{quote(password, safe='')}@{rest}"
    return url or None


def connect_redis(address: str, *, timeout: float) -> aioredis.Redis:
    """A client for ``address`` (plain or ``redis+sentinel://``); it connects lazily.

    Raises:
        RedisAddressError: for an address that names no Redis.
        MissingExtraError: when redis-py is not installed (the ``redis`` extra).
    """
    require_extra("redis")
    from drift_store._redis_client import open_client  # noqa: PLC0415 - the optional client

    return open_client(address, timeout=timeout)
