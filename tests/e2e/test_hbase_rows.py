"""What the engine writes to HBase, read back as raw cells: a run's context row as SPEC
"Storage" names it, at a view and after the run ended."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from drift_models import RunStatus
from drift_store._hbase_transport import happybase
from drift_store.urls import HBaseUrl, parse_store_url
from tests.e2e.engine import Engine


@pytest.fixture
def store_url(hbase_url: str) -> str:
    """HBase only: the rows are the point."""
    return hbase_url


@pytest.fixture
async def raw(store_url: str) -> AsyncIterator[Any]:
    """An aiohappybase connection of the test's own, beside the worker's store."""
    parsed = parse_store_url(store_url)
    assert isinstance(parsed, HBaseUrl)
    connection = happybase.Connection(host=parsed.host, port=parsed.port, timeout=30_000)
    await connection.open()
    yield connection
    connection.close()


async def test_a_runs_context_row_follows_it_through_a_view_to_its_end(
    engine: Engine, raw: Any, store_url: str
) -> None:
    parsed = parse_store_url(store_url)
    assert isinstance(parsed, HBaseUrl)
    table = raw.table(f"{parsed.prefix}WorkflowContextHB")
    row_key = f"{engine.tenant}/raw-1".encode()
    before = int(time.time() * 1000)
    waiting = await engine.start("refund", {"orderId": "A-100", "reason": "x"}, run_id="raw-1")
    assert waiting.workflow_status is RunStatus.WAITING

    at_view = await table.row(row_key)
    assert at_view[b"main:contextKey"] == b"raw-1"
    assert at_view[b"main:status"] == b"WAITING"
    assert at_view[b"main:currentNode"] == b"confirmRefund"
    context = json.loads(at_view[b"main:context"])
    assert context["_global"]["params"] == {"orderId": "A-100", "reason": "x"}
    assert context["_global"]["lookupOrder"]["body"]["id"] == "A-100"
    created_at = int(at_view[b"main:createdAt"])
    assert before <= created_at <= int(at_view[b"main:updatedAt"])

    await engine.resume("raw-1", {"decision": ["decline"]})
    await engine.result("raw-1")
    ended = await table.row(row_key)
    assert ended[b"main:status"] == b"COMPLETED"
    assert int(ended[b"main:createdAt"]) == created_at
    assert int(ended[b"main:updatedAt"]) >= int(at_view[b"main:updatedAt"])
    assert "confirmRefund" in json.loads(ended[b"main:context"])["_global"]
