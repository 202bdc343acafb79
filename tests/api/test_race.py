"""Many concurrent sync starts: every caller gets its first view, none lost, none doubled."""

from __future__ import annotations

import asyncio

from tests.api.harness import Api, new_run_id
from tests.peers import Services

STARTS = 100


async def test_concurrent_starts_all_get_their_first_view(
    examples: Api, services: Services
) -> None:
    run_ids = [new_run_id() for _ in range(STARTS)]
    answers = await asyncio.gather(
        *(
            examples.start("refund", {"orderId": "A-100", "reason": f"r{i}"}, workflowId=run_id)
            for i, run_id in enumerate(run_ids)
        )
    )
    assert [a.status_code for a in answers] == [200] * STARTS, [a.text for a in answers[:3]]
    bodies = [a.json() for a in answers]
    assert [b["workflowId"] for b in bodies] == run_ids
    assert {b["workflowStatus"] for b in bodies} == {"WAITING"}
    assert all(b["view"] is not None and b["currentNode"] == "confirmRefund" for b in bodies)
    assert services.calls.count("GET /orders/A-100") == STARTS


async def test_the_same_idempotency_key_is_one_run(examples: Api, services: Services) -> None:
    run_id = new_run_id()
    answers = await asyncio.gather(
        *(
            examples.start("refund", {"orderId": "A-300", "reason": "once"}, workflowId=run_id)
            for _ in range(10)
        )
    )
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["workflowId"] for a in answers} == {run_id}
    assert {a.json()["createdAt"] for a in answers} == {answers[0].json()["createdAt"]}
    assert services.calls.count("GET /orders/A-300") == 1

    ended = await examples.delete(f"/v3/workflow/terminate/{run_id}")
    assert ended.json()["workflowStatus"] == "TERMINATED"
    repeated = await examples.start(
        "refund", {"orderId": "A-300", "reason": "once"}, workflowId=run_id
    )
    assert repeated.status_code == 200, repeated.text
    assert repeated.json()["workflowStatus"] == "TERMINATED"
    assert services.calls.count("GET /orders/A-300") == 1

    other = await examples.start("account-verification", {"accountId": "a"}, workflowId=run_id)
    assert other.status_code == 409, other.text


async def test_the_idempotency_key_header_names_the_run(examples: Api) -> None:
    run_id = new_run_id()
    params = {"orderId": "A-100", "reason": "header"}
    first = await examples.start("refund", params, headers={"Idempotency-Key": run_id})
    assert first.status_code == 200, first.text
    assert first.json()["workflowId"] == run_id
    again = await examples.start(
        "refund", params, workflowId=run_id, headers={"Idempotency-Key": run_id}
    )
    assert again.json()["createdAt"] == first.json()["createdAt"]
    clash = await examples.start(
        "refund", params, workflowId="another", headers={"Idempotency-Key": run_id}
    )
    assert clash.status_code == 422
    assert clash.json()["errors"][0]["path"] == "$.workflowId"
