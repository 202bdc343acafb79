"""The HBase layout read back as raw rows and cells, against SPEC "Storage".

The store is written through its public API; the rows are read with a Thrift client of
the test's own, so a change of table, row key, family or qualifier fails here even when
the store still reads its own writes back.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from drift_models import RunStatus
from drift_store import DefinitionKind, Store, open_store
from drift_store._hbase_transport import happybase
from drift_store.testing import hbase_server
from drift_store.testing._samples import context, new_tenant, script_node, workflow
from drift_store.urls import HBaseUrl, parse_store_url

Row = dict[bytes, bytes]


@pytest.fixture
def prefix() -> str:
    """A table prefix of this test alone."""
    return f"raw{uuid.uuid4().hex[:8]}_"


@pytest.fixture
def url(hbase: hbase_server.HBaseServer, prefix: str) -> str:
    return f"{hbase.url}?prefix={prefix}&timeout=30"


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    async with open_store(url) as opened:
        yield opened


@pytest.fixture
async def raw(url: str) -> AsyncIterator[Any]:
    """An aiohappybase connection of the test's own to the same Thrift gateway."""
    parsed = parse_store_url(url)
    assert isinstance(parsed, HBaseUrl)
    connection = happybase.Connection(host=parsed.host, port=parsed.port, timeout=30_000)
    await connection.open()
    yield connection
    connection.close()


async def _row(raw: Any, table: str, key: str) -> Row:
    cells: Row = await raw.table(table).row(key.encode())
    return cells


def _millis(cell: bytes, low: int, high: int) -> int:
    assert cell.isdigit(), cell
    value = int(cell)
    assert low <= value <= high, (low, value, high)
    return value


async def test_every_spec_table_has_the_main_family(store: Store, raw: Any, prefix: str) -> None:
    del store  # opening the store created its tables
    for table in ("WorkflowHB", "NodeHB", "WorkflowContextHB"):
        families = await raw.table(f"{prefix}{table}").families()
        assert list(families) == [b"main"], (table, families)


async def test_definitions_are_rows_id_underscore_version(
    store: Store, raw: Any, prefix: str
) -> None:
    tenant = new_tenant()
    await store.definitions.put(tenant, script_node("compute"))
    await store.definitions.put(tenant, workflow("flow"))
    await store.definitions.publish(tenant, DefinitionKind.NODE, "compute")
    await store.definitions.publish(tenant, DefinitionKind.WORKFLOW, "flow")
    await store.definitions.activate(tenant, DefinitionKind.WORKFLOW, "flow", 1)

    for version in ("SNAPSHOT", "1"):
        flow = await _row(raw, f"{prefix}WorkflowHB", f"{tenant}/flow_{version}")
        assert flow[b"main:workflowKey"] == f"flow_{version}".encode()
        document = json.loads(flow[b"main:workflowData"])
        assert document["id"] == "flow"
        assert document["startNode"] == "compute"
        assert set(document["states"]) == {"compute", "done"}

        node = await _row(raw, f"{prefix}NodeHB", f"{tenant}/compute_{version}")
        assert node[b"main:nodeKey"] == f"compute_{version}".encode()
        node_document = json.loads(node[b"main:nodeData"])
        assert (node_document["type"], node_document["id"]) == ("SCRIPT", "compute")
        assert node_document["config"]["script"] == "1 + 1"

    # Nothing else of this tenant is in the definition tables: no version 2, no stray rows.
    scanned = [
        key
        async for key, _ in raw.table(f"{prefix}WorkflowHB").scan(row_prefix=f"{tenant}/".encode())
    ]
    assert scanned == [f"{tenant}/flow_1".encode(), f"{tenant}/flow_SNAPSHOT".encode()]


async def test_a_context_is_one_row_keyed_by_run_id(store: Store, raw: Any, prefix: str) -> None:
    tenant = new_tenant()
    before = int(time.time() * 1000)
    created = await store.contexts.create(
        tenant, "run-7", context(orderId="A-1"), current_node="compute", status=RunStatus.RUNNING
    )
    updated_context = context(orderId="A-1")
    updated_context.set_output("compute", {"n": 2})
    await store.contexts.update(
        tenant,
        "run-7",
        expected_revision=created.revision,
        context=updated_context,
        current_node="done",
        status=RunStatus.COMPLETED,
    )
    after = int(time.time() * 1000)

    row = await _row(raw, f"{prefix}WorkflowContextHB", f"{tenant}/run-7")
    assert row[b"main:contextKey"] == b"run-7"
    assert row[b"main:currentNode"] == b"done"
    assert row[b"main:status"] == b"COMPLETED"
    created_at = _millis(row[b"main:createdAt"], before, after)
    updated_at = _millis(row[b"main:updatedAt"], created_at, after)
    assert updated_at >= created_at
    assert json.loads(row[b"main:context"]) == {
        "_global": {"params": {"orderId": "A-1"}, "compute": {"n": 2}},
        "_enum_store": {"region": "eu"},
    }

    # Clearing the current node removes its cell rather than storing an empty one.
    await store.contexts.update(tenant, "run-7", expected_revision=2, current_node=None)
    cleared = await _row(raw, f"{prefix}WorkflowContextHB", f"{tenant}/run-7")
    assert b"main:currentNode" not in cleared
    assert cleared[b"main:status"] == b"COMPLETED"
