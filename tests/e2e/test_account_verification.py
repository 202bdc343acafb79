"""Account verification: a disconnected utility state called again and again while the
view is shown, then a resume and a final server-side check."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError

from drift_models import NodeStatus, RunStatus
from tests.e2e.engine import Engine
from tests.peers import VALID_CODE, Services


async def test_codes_are_checked_repeatedly_before_the_resume(
    engine: Engine, services: Services
) -> None:
    first = await engine.start("account-verification", {"accountId": "acc-7"}, run_id="v-1")
    assert first.workflow_status is RunStatus.WAITING
    assert first.current_node == "askCode"
    assert first.view is not None
    code = first.view.option("code")
    assert code is not None
    assert code.description == (
        "Ask Ada Lovelace for the code sent to ***0018; check it with the verify button "
        "before confirming."
    )

    assert code.meta_data == {"utilityNode": "verifyCode", "resendNode": "sendCode"}

    wrong = await engine.utility("v-1", "verifyCode", {"code": "000000"})
    assert wrong.status is NodeStatus.COMPLETED
    assert wrong.response == {"valid": False, "attemptsLeft": 2}
    resent = await engine.utility("v-1", "sendCode", {})
    assert resent.status is NodeStatus.COMPLETED
    right = await engine.utility("v-1", "verifyCode", {"code": VALID_CODE})
    assert right.response == {"valid": True, "attemptsLeft": 3}

    still = await engine.state("v-1")
    assert still.workflow_status is RunStatus.WAITING
    assert still.current_node == "askCode"

    with pytest.raises(WorkflowUpdateFailedError):
        await engine.utility("v-1", "noSuchState", {})

    final = await engine.resume("v-1", {"code": [VALID_CODE], "outcome": ["verified"]})
    assert final.workflow_status is RunStatus.COMPLETED
    assert final.disposition == "VERIFIED"
    assert final.output == {"accountId": "acc-7", "verified": True}
    assert services.calls == [
        "GET /accounts/acc-7",
        "POST verify 000000",
        "POST /accounts/acc-7/codes",
        f"POST verify {VALID_CODE}",
        f"POST verify {VALID_CODE}",
    ]
    record = await engine.context("v-1")
    assert "verifyCode" not in record.context.global_  # utility calls leave no trace
    assert record.context.global_["finalCheck"] == {"valid": True, "attemptsLeft": 3}


async def test_a_wrong_final_code_ends_in_failure(engine: Engine) -> None:
    await engine.start("account-verification", {"accountId": "acc-8"}, run_id="v-2")
    final = await engine.resume("v-2", {"code": ["111111"], "outcome": ["verified"]})
    assert final.workflow_status is RunStatus.FAILED
    assert final.disposition == "NOT_VERIFIED"
    assert final.error_message == "Account acc-8 could not be verified."
