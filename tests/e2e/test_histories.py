"""Replay: every example's history replays deterministically against today's workflow code.

Each test runs an example for real, then replays the history it produced. With
``DRIFT_RECORD_HISTORIES=1`` it also writes the histories to
``services/worker/tests/histories/``, where ``services/worker/tests/test_replay.py``
replays them on every run: a change that would break running instances fails there.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHistory
from temporalio.worker import Replayer

from drift_models import RunStatus
from drift_worker.converter import DATA_CONVERTER
from drift_worker.fanout_batch import DriftMapBatchWorkflow
from drift_worker.sandbox import workflow_runner
from drift_worker.workflow import DriftRunWorkflow
from tests.e2e.engine import Engine
from tests.peers import VALID_CODE

HISTORIES = Path(__file__).resolve().parents[2] / "services/worker/tests/histories"


async def replay_and_keep(
    engine: Engine, run_id: str, name: str, *, temporal_id: bool = False
) -> None:
    """Replay a run's history (or, with ``temporal_id``, any workflow's); keep it if asked."""
    handle = engine.client.get_workflow_handle(run_id) if temporal_id else engine.handle(run_id)
    history: WorkflowHistory = await handle.fetch_history()
    replayer = Replayer(
        workflows=[DriftRunWorkflow, DriftMapBatchWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=DATA_CONVERTER,
    )
    await replayer.replay_workflow(history)
    # Recorded once: from the embedded store's run of a test parametrized over stores.
    if os.environ.get("DRIFT_RECORD_HISTORIES") == "1" and "hbase" not in os.environ.get(
        "PYTEST_CURRENT_TEST", ""
    ):
        HISTORIES.mkdir(parents=True, exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(json.dumps(_without_stack_traces(history)))


_replay_and_keep = replay_and_keep  # the name the store-wait tests import


def _without_stack_traces(history: WorkflowHistory) -> Any:
    """The history as JSON, with the failures' stack traces (local paths) left out."""

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "" if k == "stackTrace" else scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    return scrub(history.to_json_dict())


async def test_refund_history_replays(engine: Engine) -> None:
    await engine.start("refund", {"orderId": "A-100", "reason": "x"}, run_id="h-refund")
    await engine.resume("h-refund", {"decision": ["approve"]})
    await replay_and_keep(engine, "h-refund", "refund-approved")


async def test_refund_failure_history_replays(engine: Engine) -> None:
    await engine.start("refund", {"orderId": "NOPE", "reason": "x"}, run_id="h-refund-failed")
    ended = await engine.result("h-refund-failed")
    assert ended.workflow_status is RunStatus.FAILED
    described = await engine.handle("h-refund-failed").describe()
    assert described.status is WorkflowExecutionStatus.FAILED
    await replay_and_keep(engine, "h-refund-failed", "refund-failure-node")


async def test_verification_history_replays(engine: Engine) -> None:
    await engine.start("account-verification", {"accountId": "a1"}, run_id="h-verify")
    await engine.utility("h-verify", "verifyCode", {"code": "1"})
    await engine.utility("h-verify", "verifyCode", {"code": VALID_CODE})
    await engine.resume("h-verify", {"code": [VALID_CODE], "outcome": ["verified"]})
    await replay_and_keep(engine, "h-verify", "account-verification")


async def test_appointment_histories_replay(engine: Engine) -> None:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    params = {
        "patientId": "P1",
        "slot": "2026-12-01T09:30",
        "fee": 5,
        "remindAt": moment.isoformat(),
    }
    await engine.start("appointment", params, run_id="h-book")
    await engine.history_event("h-book", EventType.EVENT_TYPE_TIMER_FIRED)  # the reminder is due
    await engine.event("h-book", "documentsUploaded", {"files": 1})
    await engine.result("h-book")
    await replay_and_keep(engine, "h-book", "appointment")
    await replay_and_keep(engine, "h-book.collectPayment.1", "collect-payment-child")


async def test_terminated_history_replays(engine: Engine) -> None:
    await engine.start("refund", {"orderId": "A-100", "reason": "x"}, run_id="h-term")
    await engine.terminate("h-term", "customer left")
    ended = await engine.result("h-term")
    assert ended.workflow_status is RunStatus.TERMINATED
    described = await engine.handle("h-term").describe()
    assert described.status is WorkflowExecutionStatus.CANCELED
    await replay_and_keep(engine, "h-term", "refund-terminated")


async def test_parallel_history_replays(engine: Engine) -> None:
    ended = await engine.start(
        "order-checks", {"orderId": "A-100", "accountId": "a1"}, run_id="h-par"
    )
    assert ended.workflow_status is RunStatus.COMPLETED, ended
    assert ended.output["order"] == {
        "position": 0,
        "orderId": "A-100",
        "total": 80.0,
        "delivered": True,
    }
    assert ended.output["account"]["body"]["id"] == "a1"
    await replay_and_keep(engine, "h-par", "order-checks-parallel")


async def test_map_history_replays(engine: Engine) -> None:
    orders = ["A-100", "A-200", "NOPE", "A-300", "A-100", "A-200"]
    ended = await engine.start("order-lines", {"orderIds": orders}, run_id="h-map")
    assert ended.workflow_status is RunStatus.COMPLETED, ended
    results = ended.output["results"]
    assert [r and r["orderId"] for r in results] == [
        "A-100",
        "A-200",
        None,
        "A-300",
        "A-100",
        "A-200",
    ]
    assert [r and r["position"] for r in results] == [0, 1, None, 3, 4, 5]
    assert [f["index"] for f in ended.output["failures"]] == [2]
    await replay_and_keep(engine, "h-map", "order-lines-map")
