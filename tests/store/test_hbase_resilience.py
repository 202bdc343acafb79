"""The HBase store against a real HBase whose Thrift gateway restarts, and against
processes that create its tables at the same moment."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from drift_models import RunStatus
from drift_store import open_store
from drift_store.testing import context, hbase_server

POOL = 4


async def test_concurrent_first_opens_on_a_fresh_prefix_all_succeed(
    hbase: hbase_server.HBaseServer,
) -> None:
    # API and worker starting together on a fresh HBase: every opener creates the tables.
    url = f"{hbase.url}?prefix=race{uuid.uuid4().hex[:8]}_&timeout=60"
    openers = 6

    async def open_and_write(index: int) -> str:
        async with open_store(url) as store:
            await store.contexts.create("acme", f"race-{index}", context())
            record = await store.contexts.require("acme", f"race-{index}")
            return record.run_id

    written = await asyncio.gather(*(open_and_write(i) for i in range(openers)))
    assert sorted(written) == sorted(f"race-{i}" for i in range(openers))


@pytest.mark.parametrize("how", ["graceful", "killed"])
async def test_every_call_after_a_thrift_restart_succeeds(
    hbase: hbase_server.HBaseServer, hbase_url: str, how: str
) -> None:
    url = hbase_url.replace("timeout=30", f"timeout=30&pool={POOL}")
    async with open_store(url) as store:
        tenant = f"r{uuid.uuid4().hex[:6]}"
        # Open every pooled connection, so that each of them dies with the gateway.
        for i in range(POOL):
            await store.contexts.create(tenant, f"before-{i}", context())
        await asyncio.gather(*(store.contexts.require(tenant, f"before-{i}") for i in range(POOL)))
        if how == "graceful":
            hbase.restart_thrift()
        else:
            hbase.kill_thrift()
            hbase.start_thrift()
        # Reads, conditional writes and creates: one per pooled connection and more.
        for i in range(POOL * 2):
            record = await store.contexts.require(tenant, f"before-{i % POOL}")
            updated = await store.contexts.update(
                tenant,
                record.run_id,
                expected_revision=record.revision,
                status=RunStatus.WAITING,
            )
            assert updated.revision == record.revision + 1
            await store.contexts.create(tenant, f"after-{i}", context())
        for i in range(POOL * 2):
            assert await store.contexts.get(tenant, f"after-{i}") is not None


async def test_concurrent_calls_after_a_thrift_restart_succeed(
    hbase: hbase_server.HBaseServer, hbase_url: str
) -> None:
    url = hbase_url.replace("timeout=30", f"timeout=30&pool={POOL}")
    async with open_store(url) as store:
        tenant = f"c{uuid.uuid4().hex[:6]}"
        await asyncio.gather(
            *(store.contexts.create(tenant, f"run-{i}", context()) for i in range(POOL))
        )
        hbase.restart_thrift()
        found = await asyncio.gather(
            *(store.contexts.get(tenant, f"run-{i % POOL}") for i in range(POOL * 3))
        )
        assert all(record is not None for record in found)
