"""Redis addresses: plain, with a password, and behind Sentinel."""

from __future__ import annotations

import pytest

from drift_store import RedisAddressError, connect_redis, redis_address


def test_no_redis() -> None:
    assert redis_address() is None
    assert redis_address(url="") is None


def test_plain_redis_with_a_password() -> None:
    assert redis_address(url="redis://cache:6379/0") == "redis://cache:6379/0"
    assert (
        redis_address(url="redis://cache:6379/0", password="p@ss") == "redis://:p%40ss@cache:6379/0"
    )
    assert (
        redis_address(url="redis://:kept@cache:6379/0", password="other")
        == "redis://:kept@cache:6379/0"
    )


def test_sentinels_win_over_a_plain_url() -> None:
    address = redis_address(
        url="redis://ignored:6379",
        sentinels=["s1:26379", " s2:26379"],
        master="drift-master",
        password="se/cret",
    )
    assert address == "redis+sentinel://:se%2Fcret@s1:26379,s2:26379/drift-master"


def test_a_bad_sentinel_is_named() -> None:
    with pytest.raises(RedisAddressError, match="'nope' is not host:port"):
        redis_address(sentinels=["nope"])


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("http://cache:6379", "must start with redis://"),
        ("redis+sentinel://s1:26379", "names no Sentinel master"),
        ("redis+sentinel://s1/master", "sentinel 's1' is not host:port"),
    ],
)
def test_bad_addresses_are_refused(address: str, message: str) -> None:
    with pytest.raises(RedisAddressError, match=message):
        connect_redis(address, timeout=1.0)


async def test_a_sentinel_client_is_built_lazily() -> None:
    client = connect_redis("redis+sentinel://:pw@127.0.0.1:1,127.0.0.1:2/drift/3", timeout=1.0)
    try:
        assert client.connection_pool.connection_kwargs["db"] == 3
        assert client.connection_pool.connection_kwargs["password"] == "pw"
    finally:
        await client.aclose()
