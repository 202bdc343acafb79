"""Many concurrent sync starts: every caller gets its first view, none lost, none doubled."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from tests.api.harness import Api, new_run_id
from tests.peers import Services

STARTS = 100


async def test_concurrent_starts_all_get_their_first_view(
    examples: Api, services: Services
) -> None:
    """A start answers 200 at its first view, or 202 with its true state after the sync
    timeout (a slow machine, a cluster of many processes); either way every run gets
    there, once."""
    run_ids = [new_run_id() for _ in range(STARTS)]
    answers = await asyncio.gather(
        *(
            examples.start("refund", {"orderId": "A-100", "reason": f"r{i}"}, workflowId=run_id)
            for i, run_id in enumerate(run_ids)
        )
    )
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {200, 202}, (statuses, answers[0].text)
    assert statuses[200] > 0, statuses
    bodies = [a.json() for a in answers]
    assert [b["workflowId"] for b in bodies] == run_ids
    for answer, body in zip(answers, bodies, strict=True):
        if answer.status_code == 200:
            _assert_at_the_view(body)
        else:
            # Past the sync timeout: the state it was in then, whatever that was.
            assert body["workflowStatus"] in {"CREATED", "RUNNING", "WAITING"}, body
            _assert_at_the_view(await _until_waiting(examples, body["workflowId"]))
    assert services.calls.count("GET /orders/A-100") == STARTS


def _assert_at_the_view(body: dict[str, Any]) -> None:
    assert body["workflowStatus"] == "WAITING", body
    assert body["currentNode"] == "confirmRefund", body
    assert body["view"] is not None, body


async def _until_waiting(api: Api, run_id: str, tries: int = 300) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(tries):
        read = await api.get(f"/v3/workflow/{run_id}")
        assert read.status_code == 200, read.text
        body = read.json()
        if body["workflowStatus"] == "WAITING":
            return body
        await asyncio.sleep(0.2)
    return body


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
