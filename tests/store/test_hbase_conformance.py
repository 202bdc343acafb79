"""The conformance suite against a real HBase (started from Maven Central jars)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from drift_store import BackendUnavailableError, Store, open_store
from drift_store.testing import StoreConformance, context
from drift_store.testing._processes import free_port


class TestHBase(StoreConformance):
    @pytest.fixture
    async def store(self, hbase_url: str) -> AsyncIterator[Store]:
        async with open_store(hbase_url) as store:
            yield store


async def test_table_creation_is_idempotent(hbase_url: str) -> None:
    async with open_store(hbase_url) as first:
        await first.contexts.create("acme", "idempotent", context())
    async with open_store(hbase_url) as second:
        assert await second.contexts.get("acme", "idempotent") is not None
        assert second.description.startswith("hbase 127.0.0.1:")


async def test_tables_are_named_as_the_spec_says(hbase_url: str) -> None:
    prefix = hbase_url.split("prefix=")[1].split("&", maxsplit=1)[0]
    async with open_store(hbase_url) as store:
        client = store.backend._client  # type: ignore[attr-defined]
        names = await client.call("list", lambda c: c.getTableNames())
    expected = {"WorkflowHB", "NodeHB", "WorkflowContextHB", "DefinitionPointerHB"}
    assert {f"{prefix}{name}".encode() for name in expected} <= set(names)


async def test_an_unreachable_gateway_is_reported_with_its_address() -> None:
    port = free_port()
    with pytest.raises(BackendUnavailableError, match=f"hbase 127.0.0.1:{port}"):
        async with open_store(f"hbase://127.0.0.1:{port}?timeout=2"):
            pass
