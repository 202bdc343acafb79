"""Bulk terminate of a filter: exactly those runs end, a dry run counts first, tenant sealed."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.harness import BOOTSTRAP_KEY, Api, new_run_id, publish_examples

BULK = 200
BYSTANDERS = 30


async def _start(api: Api, client: str, count: int) -> set[str]:
    caller = Api(http=api.http, tenant=api.tenant, key=api.key, client_id=client)
    gate = asyncio.Semaphore(24)

    async def one() -> str:
        run_id = new_run_id()
        async with gate:
            started = await caller.start(
                "refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id
            )
        assert started.status_code == 200, started.text
        assert started.json()["workflowStatus"] == "WAITING"
        return run_id

    return set(await asyncio.gather(*(one() for _ in range(count))))


async def _listed(api: Api, query: str) -> dict[str, str]:
    found: dict[str, str] = {}
    token = ""
    while True:
        page = (await api.get(f"/v3/workflow?limit=200&{query}{token}")).json()
        found.update({i["workflowId"]: i["workflowStatus"] for i in page["items"]})
        if not page["nextPageToken"]:
            return found
        token = f"&pageToken={page['nextPageToken']}"


async def _until(api: Api, query: str, expected: int) -> None:
    async with asyncio.timeout(60):
        while (  # noqa: ASYNC110 - polls the API
            await api.get(f"/v3/workflow?limit=1&total=true&{query}")
        ).json()["total"] != expected:
            await asyncio.sleep(0.3)


async def test_bulk_terminate_ends_exactly_the_filtered_runs(examples: Api) -> None:
    other = examples.as_tenant(f"{examples.tenant}x", key=BOOTSTRAP_KEY)
    await publish_examples(other)
    targets = await _start(examples, "bulk", BULK)
    bystanders = await _start(examples, "keep", BYSTANDERS)
    foreign = await _start(other, "bulk", BYSTANDERS)
    await _until(examples, "clientId=bulk&status=WAITING", BULK)

    dry = await examples.post("/v3/bulk/terminate?clientId=bulk&status=WAITING&dryRun=true")
    assert dry.status_code == 202, dry.text
    assert dry.json() == {
        "jobId": None,
        "action": "terminate",
        "state": "DRY_RUN",
        "total": BULK,
        "done": 0,
        "failed": 0,
    }
    started = await examples.post("/v3/bulk/terminate?clientId=bulk&reason=cleanup")
    assert started.status_code == 202, started.text
    job: dict[str, Any] = started.json()
    assert job["total"] == BULK
    assert job["jobId"].startswith(f"{examples.tenant}.bulk.")
    # Another tenant cannot read the job.
    assert (await other.get(f"/v3/bulk/{job['jobId']}")).status_code == 404
    async with asyncio.timeout(120):
        while job["state"] == "RUNNING":
            await asyncio.sleep(0.5)
            answer = await examples.get(f"/v3/bulk/{job['jobId']}")
            assert answer.status_code == 200, answer.text
            job = answer.json()
    assert job["state"] == "COMPLETED", job
    assert job["done"] == BULK
    assert job["failed"] == 0

    await _until(examples, "status=TERMINATED", BULK)
    mine = await _listed(examples, "")
    assert {run for run, status in mine.items() if status == "TERMINATED"} == targets
    assert {run for run, status in mine.items() if status == "WAITING"} == bystanders
    theirs = await _listed(other, "")
    assert set(theirs) == foreign
    assert set(theirs.values()) == {"WAITING"}
    # A terminated run reads TERMINATED, with the reason.
    state = (await examples.get(f"/v3/workflow/{next(iter(targets))}")).json()
    assert state["workflowStatus"] == "TERMINATED"
    assert "cleanup" in state["errorMessage"]
    # Nothing open is left to terminate for that filter.
    again = await examples.post("/v3/bulk/terminate?clientId=bulk&dryRun=true")
    assert again.json()["total"] == 0


async def test_a_bulk_filter_is_checked_like_a_listing(examples: Api) -> None:
    bad = await examples.post("/v3/bulk/terminate?currentNode=x%27%20OR%20%271%27%3D%271")
    assert bad.status_code == 400, bad.text
    unknown = await examples.get(f"/v3/bulk/{examples.tenant}.bulk.nope")
    assert unknown.status_code == 404, unknown.text
