"""A store outage while runs are in flight delays them and never fails them.

The store really goes away: the SQLite file is locked for writing by another connection
(every write fails with "database is locked"), or the HBase Thrift gateway is stopped
(every call fails). Runs started before and during the outage, pure chains stepping
through it and a resume sent during it all end COMPLETED, with every node output
written once.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType

from drift_models import RunStatus, WorkflowResponse
from drift_models.engine import QUERY_STATE
from drift_store import DefinitionKind
from drift_store.testing import hbase_server
from drift_worker.runtime import RunningWorker
from tests.e2e.engine import Engine
from tests.e2e.test_histories import _replay_and_keep

OUTAGE_SECONDS = {"sqlite": 8.0, "hbase": 20.0}


def _node(kind: str, name: str, config: dict[str, Any], params: tuple[str, ...] = ()) -> Any:
    return {"type": kind, "id": name, "name": name, "parameters": list(params), "config": config}


def _counter(name: str) -> str:
    # Counts its own runs in the context: a node run again on top of its own written
    # output would answer 2.
    return f"{{'n': (_global.get('{name}') or {{'n': 0}})['n'] + 1}}"


CHAIN = {
    "id": "chain",
    "startNode": "fetch",
    "states": {
        "fetch": {
            "nodeDefinition": _node(
                "HTTP", "fetch", {"url": "{{ _enum_store.ordersServiceUrl }}/orders/A-100"}
            ),
            "nextNode": "count",
        },
        "count": {
            "nodeDefinition": _node("SCRIPT", "count", {"script": _counter("count")}),
            "nextNode": "pause",
        },
        "pause": {
            "nodeDefinition": _node("WAIT", "pause", {"durationSeconds": 1}),
            "nextNode": "tally",
        },
        "tally": {
            "nodeDefinition": _node("SCRIPT", "tally", {"script": _counter("tally")}),
            "nextNode": "done",
        },
        "done": {
            "nodeDefinition": _node("SUCCESS", "done", {"output": "{{ n }}"}, ("n",)),
            "parameters": {"n": "$.count.n"},
        },
    },
}


@pytest.fixture(params=["sqlite", "hbase"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        # Writes give up after 1 s while another connection holds the write lock.
        return f"sqlite:///{tmp_path / 'drift.db'}?busy_timeout=1"
    base: str = request.getfixturevalue("hbase_url")
    return base.replace("timeout=30", "timeout=5")


@contextlib.asynccontextmanager
async def _sqlite_locked(path: Path) -> AsyncIterator[None]:
    """Hold the database's write lock from another connection for the block."""
    locked = threading.Event()
    release = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute("BEGIN EXCLUSIVE")
            locked.set()
            release.wait(60)
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    holder = asyncio.create_task(asyncio.to_thread(hold))
    assert await asyncio.to_thread(locked.wait, 10), "the write lock was not taken"
    try:
        yield
    finally:
        release.set()
        await holder


@contextlib.asynccontextmanager
async def _thrift_stopped(hbase: hbase_server.HBaseServer) -> AsyncIterator[None]:
    """Stop the HBase Thrift gateway for the block, then start it again."""
    await asyncio.to_thread(hbase.stop_thrift)
    try:
        yield
    finally:
        await asyncio.to_thread(hbase.start_thrift)


async def _publish(engine: Engine, document: dict[str, Any]) -> None:
    store = engine.store
    workflow = store.definitions.node_types.convert_workflow(document)
    await store.definitions.put(engine.tenant, workflow)
    published = await store.definitions.publish(engine.tenant, DefinitionKind.WORKFLOW, workflow.id)
    number = published.definition.version
    assert isinstance(number, int)
    await store.definitions.activate(engine.tenant, DefinitionKind.WORKFLOW, workflow.id, number)


async def test_a_store_outage_delays_runs_and_fails_none(
    request: pytest.FixtureRequest, engine: Engine, worker: RunningWorker, store_url: str
) -> None:
    kind = "sqlite" if store_url.startswith("sqlite") else "hbase"
    await _publish(engine, CHAIN)
    waiting = await engine.start("refund", {"orderId": "A-100", "reason": "x"}, run_id="o-view")
    assert waiting.workflow_status is RunStatus.WAITING
    before = [f"o-before-{i}" for i in range(4)]
    during = [f"o-during-{i}" for i in range(3)]
    for run_id in before:
        await engine.begin("chain", {}, run_id=run_id)
    for run_id in before:  # the runs are stepping when the store goes
        await engine.history_event(run_id, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)

    if kind == "sqlite":
        outage = _sqlite_locked(Path(store_url.removeprefix("sqlite:///").split("?")[0]))
    else:
        outage = _thrift_stopped(request.getfixturevalue("hbase"))
    async with outage:
        for run_id in during:
            await engine.begin("chain", {}, run_id=run_id)
        resumed = asyncio.create_task(engine.resume("o-view", {"decision": ["approve"]}))
        await asyncio.sleep(OUTAGE_SECONDS[kind] / 2)
        # A run waiting for the store still answers queries, and is not failed.
        for run_id in (*before, *during):
            state: WorkflowResponse = await engine.handle(run_id).query(
                QUERY_STATE, result_type=WorkflowResponse, rpc_timeout=timedelta(seconds=30)
            )
            assert state.workflow_status is not RunStatus.FAILED, state
        await asyncio.sleep(OUTAGE_SECONDS[kind] / 2)
        assert not resumed.done()  # its next step waits for the store

    answer = await asyncio.wait_for(resumed, 180)
    assert answer.workflow_status is RunStatus.COMPLETED, answer
    for run_id in (*before, *during):
        final = await asyncio.wait_for(engine.result(run_id), 180)
        assert final.workflow_status is RunStatus.COMPLETED, final
        assert final.output == 1  # count ran once on the stored context
        record = await engine.context(run_id)
        assert record.status is RunStatus.COMPLETED
        assert record.context.global_["tally"] == {"n": 1}
        assert record.context.global_["fetch"]["body"]["id"] == "A-100"

    metrics = worker.metrics.registry
    failures = sum(
        sample.value
        for metric in metrics.collect()
        if metric.name == "drift_worker_store_unavailable"
        for sample in metric.samples
        if sample.name == "drift_worker_store_unavailable_total"
    )
    assert failures > 0  # the outage was met, not slept through
    assert metrics.get_sample_value("drift_worker_runs_waiting_for_store") == 0
    # Histories with store waits (timers between tries, no patch marker) replay.
    await _replay_and_keep(engine, "o-during-0", "store-wait-begin")
    await _replay_and_keep(engine, "o-before-0", "store-wait-step")
    await _replay_and_keep(engine, "o-view", "store-wait-resume")
