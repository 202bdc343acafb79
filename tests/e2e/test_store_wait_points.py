"""Runs that waited for the store at every kind of point replay.

One real SQLite outage (the write lock held by another connection) meets runs at each
place the workflow schedules engine store I/O: pinning a run (``begin``), a step of the
main loop, the step after a resume (an update), the step after an event (a signal),
and marking a terminated run (``mark``). Each run completes (or ends TERMINATED), its
history shows the store error it waited out, and that history replays against today's
workflow code. With ``DRIFT_RECORD_HISTORIES=1`` the histories are kept for
``services/worker/tests/test_replay.py``. (SQLite readers do not wait on the write lock,
so a utility call, which only reads, is covered with the outage faked, in
``services/worker/tests/test_store_wait.py``.)
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from drift_models import RunStatus
from drift_worker.runtime import RunningWorker
from tests.e2e.engine import Engine
from tests.e2e.test_histories import _replay_and_keep
from tests.e2e.test_store_outage import CHAIN, _counter, _node, _publish, _sqlite_locked

OUTAGE_SECONDS = 6.0

EVENTED = {
    "id": "evented",
    "startNode": "expect",
    "states": {
        "expect": {
            "nodeDefinition": _node("WAIT", "expect", {"event": {"name": "ping"}}),
            "nextNode": "count",
        },
        "count": {
            "nodeDefinition": _node("SCRIPT", "count", {"script": _counter("count")}),
            "nextNode": "done",
        },
        "done": {"nodeDefinition": _node("SUCCESS", "done", {"output": "ok"})},
    },
}


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    # Writes give up after 1 s while another connection holds the write lock.
    return f"sqlite:///{tmp_path / 'drift.db'}?busy_timeout=1"


async def _met_the_outage(engine: Engine, run_id: str) -> bool:
    history = await engine.handle(run_id).fetch_history()
    return "StoreUnavailable" in json.dumps(history.to_json_dict())


async def test_runs_that_waited_for_the_sqlite_store_anywhere_replay(
    engine: Engine, worker: RunningWorker, store_url: str
) -> None:
    del worker  # the worker fixture runs the runs
    await _publish(engine, CHAIN)
    await _publish(engine, EVENTED)
    refund = {"orderId": "A-100", "reason": "x"}
    for run_id in ("w-resume", "w-mark"):
        waiting = await engine.start("refund", refund, run_id=run_id)
        assert waiting.workflow_status is RunStatus.WAITING
    await engine.begin("evented", {}, run_id="w-event")
    expecting = await engine.state("w-event")  # the first stable point: waiting for its event
    assert (expecting.workflow_status, expecting.current_node) == (
        RunStatus.SCHEDULER_WAITING,
        "expect",
    )

    path = Path(store_url.removeprefix("sqlite:///").split("?")[0])
    async with _sqlite_locked(path):
        await engine.begin("chain", {}, run_id="w-begin")
        resumed = asyncio.create_task(engine.resume("w-resume", {"decision": ["approve"]}))
        terminated = asyncio.create_task(engine.terminate("w-mark", "stopped during the outage"))
        await engine.event("w-event", "ping", {"n": 1})
        await asyncio.sleep(OUTAGE_SECONDS)
        assert not resumed.done()
        assert not terminated.done()

    answers: dict[str, Any] = {
        "w-resume": await asyncio.wait_for(resumed, 120),
        "w-mark": await asyncio.wait_for(terminated, 120),
    }
    for run_id in ("w-begin", "w-event"):
        answers[run_id] = await asyncio.wait_for(engine.result(run_id), 120)
    expected = {
        "w-begin": RunStatus.COMPLETED,
        "w-resume": RunStatus.COMPLETED,
        "w-event": RunStatus.COMPLETED,
        "w-mark": RunStatus.TERMINATED,
    }
    assert {k: v.workflow_status for k, v in answers.items()} == expected
    assert (await engine.context("w-mark")).status is RunStatus.TERMINATED
    names = {
        "w-begin": "store-wait-begin-chain",
        "w-resume": "store-wait-after-update",
        "w-event": "store-wait-after-signal",
        "w-mark": "store-wait-mark",
    }
    for run_id, name in names.items():
        assert await _met_the_outage(engine, run_id), f"{run_id} never met the outage"
        await _replay_and_keep(engine, run_id, name)
