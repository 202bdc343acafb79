"""Callback delivery as the docs promise it: retried on 5xx and 429, a final 4xx given up
without harming the run, and the run kept open until its pending callbacks are done."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus

from drift_models import RunStatus
from drift_worker.plan import ACTIVITY_CALLBACK
from tests.e2e.engine import Engine
from tests.peers import CallbackReceiver

NOT_ELIGIBLE_ORDER = {"orderId": "A-200", "reason": "x"}
"""A refund start that completes at once (one stable point, so one callback)."""


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """The embedded store: callbacks do not touch the store backend."""
    return f"sqlite:///{tmp_path / 'drift.db'}"


async def _failed_callback_messages(engine: Engine, run_id: str) -> list[str]:
    history = await engine.handle(run_id).fetch_history()
    return [
        e.activity_task_failed_event_attributes.failure.message
        for e in history.events
        if e.HasField("activity_task_failed_event_attributes")
    ]


@pytest.mark.parametrize("first_status", [500, 503, 429])
async def test_a_refused_callback_is_retried_until_it_arrives(
    engine: Engine, receiver: CallbackReceiver, first_status: int
) -> None:
    receiver.answers = [first_status]
    run_id = f"cb-retry-{first_status}"
    final = await engine.start(
        "refund", NOT_ELIGIBLE_ORDER, run_id=run_id, callback_url=receiver.url
    )
    assert final.workflow_status is RunStatus.COMPLETED
    result = await engine.handle(run_id).result()
    assert result.disposition == "NOT_ELIGIBLE"
    # The same callback (same sequence, so the same idempotency key) came twice: the
    # first was refused, the retry was taken.
    assert receiver.attempts == ["1", "1"]
    assert [(item["sequence"], item["body"]["workflowStatus"]) for item in receiver.received] == [
        ("1", "COMPLETED")
    ]
    assert receiver.rejected == []
    # A retried attempt leaves no failure event: Temporal records only the last attempt.
    assert await _failed_callback_messages(engine, run_id) == []


@pytest.mark.parametrize("final_status", [400, 404, 410])
async def test_a_final_client_error_is_not_retried_and_the_run_is_unharmed(
    engine: Engine, receiver: CallbackReceiver, final_status: int
) -> None:
    receiver.answers = [final_status]
    run_id = f"cb-final-{final_status}"
    final = await engine.start(
        "refund", NOT_ELIGIBLE_ORDER, run_id=run_id, callback_url=receiver.url
    )
    assert final.workflow_status is RunStatus.COMPLETED
    result = await engine.handle(run_id).result()
    assert result.workflow_status is RunStatus.COMPLETED
    assert result.disposition == "NOT_ELIGIBLE"
    described = await engine.handle(run_id).describe()
    assert described.status is WorkflowExecutionStatus.COMPLETED
    # The workflow closes only after its callbacks are done, so one attempt is final.
    assert receiver.attempts == ["1"]
    assert receiver.received == []
    assert await _failed_callback_messages(engine, run_id) == [
        f"callback to {receiver.url} answered {final_status}"
    ]


async def test_the_run_stays_open_while_a_callback_is_pending(
    engine: Engine, receiver: CallbackReceiver
) -> None:
    receiver.gate = asyncio.Event()
    receiver.answers = [503]
    run_id = "cb-pending"
    final = await engine.start(
        "refund", NOT_ELIGIBLE_ORDER, run_id=run_id, callback_url=receiver.url
    )
    assert final.workflow_status is RunStatus.COMPLETED
    await receiver.wait_for_attempts(1)
    # The Drift run is over, its callback is held by the receiver: the workflow is open.
    described = await engine.handle(run_id).describe()
    assert described.status is WorkflowExecutionStatus.RUNNING
    pending = [a.activity_type.name for a in described.raw_description.pending_activities]
    assert pending == [ACTIVITY_CALLBACK]
    receiver.gate.set()
    result = await engine.handle(run_id).result()
    assert result.disposition == "NOT_ELIGIBLE"
    # The workflow closed only after the retry was delivered.
    assert receiver.attempts == ["1", "1"]
    assert [item["sequence"] for item in receiver.received] == ["1"]
