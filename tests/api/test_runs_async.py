"""Async mode: 202 at once, then every stable point POSTed to a local receiver, signed."""

from __future__ import annotations

import pytest

from drift_models import SignatureError, verify_callback
from tests.api.harness import Api, new_run_id
from tests.peers import CALLBACK_SECRET, CallbackReceiver


async def test_refund_in_async_mode(examples: Api, receiver: CallbackReceiver) -> None:
    api = examples
    run_id = new_run_id()
    started = await api.start(
        "refund",
        {"orderId": "A-100", "reason": "damaged"},
        workflowId=run_id,
        callbackUrl=receiver.url,
    )
    assert started.status_code == 202, started.text
    assert started.json()["workflowId"] == run_id
    assert started.json()["workflowStatus"] == "CREATED"

    waiting = await receiver.wait_for(run_id, "WAITING")
    body = waiting["body"]
    assert body["currentNode"] == "confirmRefund"
    assert body["view"]["layoutId"]
    assert waiting["runId"] == run_id
    assert waiting["sequence"] == "1"

    resumed = await api.resume(run_id, {"decision": ["decline"]}, callbackUrl=receiver.url)
    assert resumed.status_code == 202, resumed.text
    done = await receiver.wait_for(run_id, "COMPLETED")
    assert done["body"]["disposition"] == "DECLINED"
    assert done["sequence"] == "2"
    assert receiver.rejected == []

    state = await api.get(f"/v3/workflow/{run_id}")
    assert state.json()["workflowStatus"] == "COMPLETED"


async def test_async_resume_still_refuses_a_bad_answer(
    examples: Api, receiver: CallbackReceiver
) -> None:
    run_id = new_run_id()
    await examples.start(
        "refund", {"orderId": "A-300", "reason": "x"}, workflowId=run_id, callbackUrl=receiver.url
    )
    await receiver.wait_for(run_id, "WAITING")
    refused = await examples.resume(run_id, {"decision": ["maybe"]}, callbackUrl=receiver.url)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["path"].startswith("$.viewResponse")


def test_the_receiver_refuses_a_forged_signature() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify_callback(CALLBACK_SECRET, b'{"workflowId":"x"}', "t=1,v1=00")
