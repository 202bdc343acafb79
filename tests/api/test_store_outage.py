"""Every answer during a store outage is true: real HBase whose Thrift gateway is frozen.

The worker and the API share a real HBase store; ``SIGSTOP`` on the Thrift gateway
makes every store call time out (as a partition would) and ``SIGCONT`` brings it back.
Reads, starts and resumes sent meanwhile answer what Temporal knows: ``200`` with the
state, or ``202`` when the run goes on — never ``503`` for something that happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from drift_store.testing import hbase_server
from tests.api.harness import Api, new_run_id

REFUND = {"orderId": "A-100", "reason": "damaged"}


@pytest.fixture
def store_url(hbase_url: str) -> str:
    # One second per store call: an outage shows within the test's sync timeout.
    return hbase_url.replace("timeout=30", "timeout=1")


@contextlib.contextmanager
def store_down(hbase: hbase_server.HBaseServer) -> Iterator[None]:
    """Freeze the Thrift gateway for the block (every call to it times out)."""
    thrift = hbase.pids[1]
    os.kill(thrift, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(thrift, signal.SIGCONT)


def _sync_timeout(api: Api, seconds: float) -> None:
    app = api.http._transport.app  # type: ignore[attr-defined]
    app.state["services"].runs._sync_timeout = seconds


async def _until(api: Api, run_id: str, statuses: set[str], tries: int = 200) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(tries):
        read = await api.get(f"/v3/workflow/{run_id}")
        if read.status_code == 200:
            body = read.json()
            if body["workflowStatus"] in statuses:
                return body
        await asyncio.sleep(0.1)
    return body


async def test_reads_starts_and_resumes_during_a_store_outage_answer_truly(
    examples: Api, hbase: hbase_server.HBaseServer
) -> None:
    api = examples
    waiting = new_run_id()
    first = await api.start("refund", REFUND, workflowId=waiting, version=1)
    assert first.status_code == 200, first.text
    assert first.json()["workflowStatus"] == "WAITING"
    _sync_timeout(api, 1.5)

    with store_down(hbase):
        read = await api.get(f"/v3/workflow/{waiting}")
        assert read.status_code == 200, read.text
        assert read.headers["x-drift-state-source"] == "engine"
        assert read.json()["workflowStatus"] == "WAITING"
        assert read.json()["view"]["inputOptions"]

        resumed = await api.resume(waiting, {"decision": ["approve"], "note": ["ok"]})
        assert resumed.status_code == 202, resumed.text
        assert resumed.json()["workflowId"] == waiting
    # The run went on after the 202: the worker waited for the store, so it completes.
    ended = await _until(api, waiting, {"COMPLETED", "FAILED"})
    assert ended["workflowStatus"] == "COMPLETED", ended

    started = new_run_id()
    with store_down(hbase):
        answer = await api.start("refund", REFUND, workflowId=started, version=1)
        assert answer.status_code == 202, answer.text
        assert answer.json()["workflowId"] == started
        assert answer.json()["workflowDefinitionId"] == "refund"
        # Parameters big enough to travel through the store: the store is needed before
        # anything is sent, so this 503 is true, and nothing was started.
        nothing = new_run_id()
        big = {**REFUND, "reason": "r" * (160 * 1024)}
        refused = await api.start("refund", big, workflowId=nothing, version=1)
        assert refused.status_code == 503, refused.text[:500]
        assert refused.headers["retry-after"]
    assert (await api.get(f"/v3/workflow/{nothing}")).status_code == 404
    _sync_timeout(api, 30)
    again = await api.start("refund", REFUND, workflowId=started, version=1)
    assert again.status_code == 200, again.text
    assert again.json()["workflowId"] == started
    assert again.json()["workflowStatus"] == "WAITING", again.text
