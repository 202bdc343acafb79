"""The HBase client's pool policy on dead connections (unit tests with fake connections;
tests/store/test_hbase_resilience.py restarts a real gateway)."""

from __future__ import annotations

from typing import Any

import pytest

from drift_store import BackendUnavailableError
from drift_store import _hbase_client as module
from drift_store import _hbase_transport as transport
from drift_store._hbase_client import HBaseClient
from drift_store.urls import HBaseUrl

TTransportException: Any = transport.TTransportException


class FakeConnection:
    """A pooled connection that has been used before (``client`` is set)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.client: Any = name
        self.closed = False

    async def open(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> tuple[HBaseClient, list[FakeConnection]]:
    client = HBaseClient(HBaseUrl(host="127.0.0.1", port=9, pool=1, timeout=2))
    made: list[FakeConnection] = []

    def new_connection() -> FakeConnection:
        made.append(FakeConnection(f"fresh-{len(made)}"))
        return made[-1]

    monkeypatch.setattr(client, "_new_connection", new_connection)
    monkeypatch.setattr(module, "alive", lambda _connection: True)
    client._idle.get_nowait()
    old = FakeConnection("pooled")
    client._idle.put_nowait(old)
    made.append(old)
    return client, made


def _dies_on(*names: str, error: Exception | None = None) -> Any:
    calls: list[str] = []

    async def work(thrift: Any) -> str:
        calls.append(thrift)
        if thrift in names:
            raise error or TTransportException(type=4, message="TSocket read 0 bytes")
        return f"answer from {thrift}"

    work.calls = calls  # type: ignore[attr-defined]
    return work


async def test_an_idempotent_call_on_a_dead_pooled_connection_is_sent_again_on_a_fresh_one(
    pool: tuple[HBaseClient, list[FakeConnection]],
) -> None:
    client, made = pool
    work = _dies_on("pooled")
    assert await client.call("get", work) == "answer from fresh-1"
    assert work.calls == ["pooled", "fresh-1"]
    assert made[0].closed


async def test_a_counter_increment_is_never_sent_twice(
    pool: tuple[HBaseClient, list[FakeConnection]],
) -> None:
    client, _ = pool
    work = _dies_on("pooled")
    with pytest.raises(BackendUnavailableError, match="TSocket read 0 bytes"):
        await client.call("increment", work, idempotent=False)
    assert work.calls == ["pooled"]
    # The dead connection was replaced: the next call goes through.
    assert await client.call("get", _dies_on()) == "answer from fresh-1"


async def test_a_fresh_connection_that_dies_is_not_retried(
    pool: tuple[HBaseClient, list[FakeConnection]],
) -> None:
    client, _ = pool
    work = _dies_on("pooled", "fresh-1")
    with pytest.raises(BackendUnavailableError, match="TSocket read 0 bytes"):
        await client.call("get", work)
    assert work.calls == ["pooled", "fresh-1"]


async def test_a_server_error_is_not_retried_and_is_reported_by_its_first_line(
    pool: tuple[HBaseClient, list[FakeConnection]],
) -> None:
    client, _ = pool
    error = transport.thrift.IOError(message=b"org.apache.Boom: no\n\tat org.apache.X(X.java:1)")
    work = _dies_on("pooled", error=error)
    with pytest.raises(BackendUnavailableError) as raised:
        await client.call("get", work)
    assert work.calls == ["pooled"]
    assert str(raised.value).endswith("get: IOError: org.apache.Boom: no")


async def test_a_connection_the_gateway_closed_is_replaced_before_use(
    pool: tuple[HBaseClient, list[FakeConnection]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, made = pool
    monkeypatch.setattr(module, "alive", lambda connection: connection.name != "pooled")
    work = _dies_on()
    assert await client.call("checkAndPut", work, idempotent=False) == "answer from fresh-1"
    assert work.calls == ["fresh-1"]
    assert made[0].closed
