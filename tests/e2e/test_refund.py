"""The refund example end to end: HTTP → script → branch → view → resume → end."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError

from drift_models import RunStatus
from tests.e2e.engine import Engine
from tests.peers import Services


async def test_refund_is_approved(engine: Engine, services: Services) -> None:
    first = await engine.start(
        "refund", {"orderId": "A-100", "reason": "damaged"}, run_id="r-approve"
    )
    assert first.workflow_status is RunStatus.WAITING
    assert first.current_node == "confirmRefund"
    assert first.disposition == "AWAITING_CONFIRMATION"
    assert first.view is not None
    decision = first.view.option("decision")
    assert decision is not None
    assert decision.description == "Refund 80.0 EUR for order A-100?"
    assert [v.value for v in decision.possible_values] == ["approve", "decline"]
    assert services.calls == ["GET /orders/A-100"]

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await engine.resume("r-approve", {"decision": ["maybe"]})
    assert "maybe" in str(refused.value.cause)

    final = await engine.resume("r-approve", {"decision": ["approve"], "note": ["sorry"]})
    assert final.workflow_status is RunStatus.COMPLETED
    assert final.disposition == "REFUNDED"
    assert final.output == {
        "outcome": "REFUNDED",
        "refund": {
            "orderId": "A-100",
            "currency": "EUR",
            "eligible": True,
            "amount": 80.0,
            "reason": "damaged",
        },
    }
    record = await engine.context("r-approve")
    assert record.status is RunStatus.COMPLETED
    assert record.current_node == "refunded"
    outputs = record.context.global_
    assert outputs["lookupOrder"]["status"] == 200
    assert outputs["computeRefund"]["amount"] == 80.0
    assert outputs["confirmRefund:viewResponse"] == {
        "selectedOptions": {"decision": ["approve"], "note": ["sorry"]}
    }
    assert set(outputs) >= {
        "params",
        "threadContext",
        "lookupOrder",
        "computeRefund",
        "routeRefund",
        "confirmRefund",
        "routeDecision",
        "refunded",
    }


async def test_refund_not_eligible_ends_at_once(engine: Engine) -> None:
    final = await engine.start("refund", {"orderId": "A-200", "reason": "late"})
    assert final.workflow_status is RunStatus.COMPLETED
    assert final.disposition == "NOT_ELIGIBLE"


async def test_unknown_order_goes_to_the_failure_node(engine: Engine) -> None:
    final = await engine.start("refund", {"orderId": "NOPE", "reason": "x"}, run_id="r-missing")
    assert final.workflow_status is RunStatus.FAILED
    assert final.disposition == "REFUND_ERROR"
    assert final.error_message == "The refund could not be processed; please try again later."
    assert final.view is not None
    assert final.view.layout_id == "error"
    record = await engine.context("r-missing")
    assert "404" in record.context.global_["lookupOrder:error"]["message"]


async def test_the_same_run_id_returns_the_same_run(engine: Engine, services: Services) -> None:
    first = await engine.start("refund", {"orderId": "A-100", "reason": "x"}, run_id="r-same")
    again = await engine.start("refund", {"orderId": "A-300", "reason": "other"}, run_id="r-same")
    assert again.workflow_id == first.workflow_id
    assert again.view == first.view
    assert services.calls.count("GET /orders/A-100") == 1
    assert "GET /orders/A-300" not in services.calls
