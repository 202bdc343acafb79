"""The appointment example: a durable timer, an event wait with a timeout, a SYNC child."""

from __future__ import annotations

import asyncio
import datetime as dt

from drift_models import RunStatus
from tests.e2e.engine import Engine


def _params(remind_in: float) -> dict[str, object]:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=remind_in)
    return {
        "patientId": "P7",
        "slot": "2026-12-01T09:30",
        "fee": 40,
        "remindAt": moment.isoformat(),
    }


async def test_booking_waits_then_takes_the_event_then_pays_in_a_child_run(engine: Engine) -> None:
    first = await engine.start("appointment", _params(1.5), run_id="b-1")
    assert first.workflow_status is RunStatus.SCHEDULER_WAITING
    assert first.current_node == "waitForReminder"

    state: dict[str, object] = {}
    for _ in range(100):
        state = await engine.handle("b-1").query("drift.state")
        if (
            state["currentNode"] == "awaitDocuments"
            and state["workflowStatus"] == "SCHEDULER_WAITING"
        ):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"the run never waited for the documents: {state}")

    await engine.event("b-1", "documentsUploaded", {"files": ["id.pdf"]})
    final = await engine.result("b-1")
    assert final.workflow_status is RunStatus.COMPLETED
    assert final.disposition == "BOOKED"
    assert final.output == {"status": "PAID", "amount": 40, "receiptId": "R-BK-P7-20261201T0930"}

    record = await engine.context("b-1")
    outputs = record.context.global_
    assert outputs["awaitDocuments"] == {"files": ["id.pdf"]}
    assert outputs["collectPayment"] == final.output
    child = await engine.context("b-1.collectPayment.1")
    assert child.status is RunStatus.COMPLETED
    assert child.context.global_["params"] == {"amount": 40, "reference": "BK-P7-20261201T0930"}
