"""Load and accounting for the cluster drills: runs driven over the REST API, then counted.

Every run is the refund example (A-100, approved): a sync start, then a resume. A client
retries what the rules allow (503: nothing was created, same run id again; 202: the run
exists, read it until it waits) and notes every answer. Afterwards each run is counted:
lost (never finished), FAILED, duplicated (more than one Temporal execution for its id,
or a node's output recorded twice in its history), or wrong (an answer other than the
true one). A drill passes with all four at zero.

Until the fault drills' shared driver (tests/faults) lands on main, this is the cluster's
own; it follows the same rules.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from temporalio.client import Client

from tests.api.harness import Api, new_run_id

REFUND = {"orderId": "A-100", "reason": "drill"}
STEPS = [
    "lookupOrder",
    "computeRefund",
    "routeRefund",
    "confirmRefund",
    "routeDecision",
    "refunded",
]
"""The nodes of an approved A-100 refund, each once, in order."""

_RETRY_SECONDS = 0.3


@dataclass
class RunRecord:
    """What one client saw of one run."""

    run_id: str
    answers: list[int] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    done: bool = False
    began: float = 0.0
    ended: float = 0.0


@dataclass
class Drill:
    """The runs of one drill and when the fault happened (monotonic seconds)."""

    records: list[RunRecord]
    fault_began: float
    fault_ended: float

    def in_flight_during_fault(self) -> int:
        """Runs begun before the fault ended and finished after it began."""
        return sum(
            1 for r in self.records if r.began < self.fault_ended and r.ended > self.fault_began
        )

    def answers(self) -> dict[int, int]:
        """How often each HTTP status was answered, over every request of the drill."""
        counts: dict[int, int] = {}
        for record in self.records:
            for status in record.answers:
                counts[status] = counts.get(status, 0) + 1
        return dict(sorted(counts.items()))


@dataclass
class Accounting:
    """The drill's tally; :meth:`problems` is empty when the drill passed."""

    started: int = 0
    finished: int = 0
    lost: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def problems(self) -> dict[str, list[str]]:
        found = {
            "lost": self.lost,
            "failed": self.failed,
            "duplicated": self.duplicated,
            "wrong": self.wrong,
        }
        return {kind: items for kind, items in found.items() if items}


async def _until(api: Api, run_id: str, statuses: set[str], deadline: float) -> dict[str, object]:
    body: dict[str, object] = {}
    while time.monotonic() < deadline:
        try:
            answer = await api.get(f"/v3/workflow/{run_id}")
        except httpx.HTTPError:
            await asyncio.sleep(_RETRY_SECONDS)
            continue
        if answer.status_code == 200:
            body = answer.json()
            if body.get("workflowStatus") in statuses:
                return body
        await asyncio.sleep(_RETRY_SECONDS)
    return body


async def drive_refund(api: Api, record: RunRecord, seconds: float = 120.0) -> None:
    """Start the refund, approve it, and retry only as the rules allow."""
    record.began = time.monotonic()
    deadline = record.began + seconds
    try:
        if await _start(api, record, deadline):
            await _resume(api, record, deadline)
    finally:
        record.ended = time.monotonic()


async def _start(api: Api, record: RunRecord, deadline: float) -> bool:
    """The sync start, again with the same run id after a 503; whether the run waits."""
    while time.monotonic() < deadline:
        try:
            answer = await api.start("refund", REFUND, workflowId=record.run_id)
        except httpx.HTTPError as error:
            record.wrong.append(f"start: no answer ({type(error).__name__})")
            return False
        record.answers.append(answer.status_code)
        if answer.status_code == 503:
            await asyncio.sleep(_RETRY_SECONDS)
            continue
        if answer.status_code == 202:
            state = await _until(api, record.run_id, {"WAITING", "COMPLETED", "FAILED"}, deadline)
        elif answer.status_code == 200:
            state = answer.json()
        else:
            record.wrong.append(f"start answered {answer.status_code}: {answer.text[:200]}")
            return False
        if state.get("workflowStatus") != "WAITING":
            record.wrong.append(
                f"after the start: {state.get('workflowStatus')} {state.get('errorMessage')}"
            )
            return False
        return True
    record.wrong.append("start: no true answer before the deadline")
    return False


async def _resume(api: Api, record: RunRecord, deadline: float) -> None:
    """Approve; after 202, 409 or 503 read the run until it ends (or try again)."""
    while time.monotonic() < deadline:
        try:
            answer = await api.resume(record.run_id, {"decision": ["approve"]})
        except httpx.HTTPError as error:
            record.wrong.append(f"resume: no answer ({type(error).__name__})")
            return
        record.answers.append(answer.status_code)
        if answer.status_code == 200 and answer.json().get("workflowStatus") == "COMPLETED":
            record.done = True
            return
        if answer.status_code not in {202, 409, 503}:
            record.wrong.append(f"resume answered {answer.status_code}: {answer.text[:200]}")
            return
        # 202: accepted, still running; 409 after a retry: the first resume got through.
        # Either way the run must end COMPLETED; read it until it does.
        state = await _until(api, record.run_id, {"COMPLETED", "FAILED"}, time.monotonic() + 5)
        status = state.get("workflowStatus")
        if status == "COMPLETED":
            record.done = True
            return
        if answer.status_code == 409 and status != "WAITING":
            record.wrong.append(f"resume 409 while {status}")
            return
        await asyncio.sleep(_RETRY_SECONDS)


async def run_drill(
    apis: list[Api],
    fault: Callable[[], Awaitable[None]],
    *,
    runs: int = 24,
    fault_after: float = 1.0,
) -> Drill:
    """Drive ``runs`` refunds, spread over ``apis`` and over time, with ``fault`` mid-way."""
    records = [RunRecord(new_run_id()) for _ in range(runs)]

    async def one(index: int, record: RunRecord) -> None:
        await asyncio.sleep(index * 2 * fault_after / runs)  # half before the fault, half after
        await drive_refund(apis[index % len(apis)], record)

    drivers = [asyncio.create_task(one(i, r)) for i, r in enumerate(records)]
    await asyncio.sleep(fault_after)
    began = time.monotonic()
    await fault()
    ended = time.monotonic()
    await asyncio.gather(*drivers)
    return Drill(records, began, ended)


async def account(api: Api, client: Client, records: list[RunRecord]) -> Accounting:
    """Count every run: its end, its history's node outputs, its Temporal executions."""
    tally = Accounting(started=len(records))
    for record in records:
        tally.wrong += [f"{record.run_id}: {w}" for w in record.wrong]
        state = await _until(api, record.run_id, {"COMPLETED", "FAILED"}, time.monotonic() + 30)
        status = state.get("workflowStatus")
        if status == "FAILED":
            tally.failed.append(f"{record.run_id}: {state.get('errorMessage')}")
            continue
        if status != "COMPLETED":
            tally.lost.append(f"{record.run_id}: {status}")
            continue
        tally.finished += 1
        output = state.get("output")
        refund = output.get("refund") if isinstance(output, dict) else None
        if (
            state.get("disposition") != "REFUNDED"
            or not isinstance(refund, dict)
            or refund.get("amount") != 80.0
        ):
            tally.wrong.append(f"{record.run_id}: ended {state.get('disposition')} {output}")
        history = (await api.get(f"/v3/workflow/{record.run_id}/history")).json()
        nodes = [n for e in history["entries"] if e["event"] == "STEP" for n in e["nodes"]]
        if nodes != STEPS:
            tally.duplicated.append(f"{record.run_id}: node outputs {nodes}")
        executions = await _executions(client, f"{api.tenant}/{record.run_id}")
        if executions != 1:
            tally.duplicated.append(f"{record.run_id}: {executions} Temporal executions")
    return tally


async def _executions(client: Client, workflow_id: str) -> int:
    """How many executions visibility lists for the id (it may lag a moment behind)."""
    count = 0
    for _ in range(20):
        count = (await client.count_workflows(f"WorkflowId = '{workflow_id}'")).count
        if count >= 1:
            return count
        await asyncio.sleep(0.25)
    return count
