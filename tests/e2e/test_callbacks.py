"""Callbacks: every stable point is POSTed, signed, in order; internal addresses refused."""

from __future__ import annotations

import msgspec

from drift_models import RunStatus, WorkflowResponse
from tests.e2e.engine import Engine
from tests.peers import CallbackReceiver


async def test_each_stable_point_is_posted_and_signed(
    engine: Engine, receiver: CallbackReceiver
) -> None:
    first = await engine.start(
        "refund", {"orderId": "A-100", "reason": "x"}, run_id="cb-1", callback_url=receiver.url
    )
    assert first.workflow_status is RunStatus.WAITING
    await engine.resume("cb-1", {"decision": ["decline"]})
    await receiver.wait_for("cb-1", "COMPLETED")
    assert receiver.rejected == []  # every signature checked out
    assert [(item["sequence"], item["runId"]) for item in receiver.received] == [
        ("1", "cb-1"),
        ("2", "cb-1"),
    ]
    bodies = [msgspec.convert(item["body"], WorkflowResponse) for item in receiver.received]
    assert [b.workflow_status for b in bodies] == [RunStatus.WAITING, RunStatus.COMPLETED]
    assert bodies[0].view == first.view
    assert bodies[1].disposition == "DECLINED"


async def test_a_callback_to_an_internal_address_is_refused_and_the_run_goes_on(
    engine: Engine,
) -> None:
    final = await engine.start(
        "refund",
        {"orderId": "A-200", "reason": "x"},
        run_id="cb-2",
        callback_url="http://169.254.169.254/latest/meta-data",
    )
    assert final.workflow_status is RunStatus.COMPLETED
    result = await engine.result("cb-2")
    assert result.disposition == "NOT_ELIGIBLE"
    history = await engine.handle("cb-2").fetch_history()
    failures = [
        e.activity_task_failed_event_attributes.failure.message
        for e in history.events
        if e.HasField("activity_task_failed_event_attributes")
    ]
    assert len(failures) == 1
    assert failures[0].startswith(
        "callback to http://169.254.169.254/latest/meta-data refused: 169.254.169.254 is"
    )
