"""The end of a drill: wait until every run is stable, then count and check every answer.

Temporal is the record of what happened: a run exists when Temporal has it, its state
is the engine's ``drift.state`` query, its history says which states ran and which
resumes and events were accepted (and when). The demo back ends say which calls each
run made. Against that, every answer a client got is checked:

- a start answered 200/202 must have a run; 200 carries a stable state;
- a 503 (start, resume, event) is true only when nothing happened: no run started
  before the 503 came back, no resume accepted that no 2xx acknowledged — except the
  API's "cannot know" answers ("Start Unconfirmed", "Outcome Unknown": Temporal went
  away mid-call and could not be asked again in time), which claim neither and are
  counted apart (``unsure``);
- a 409 to a start with a fresh id, a 404 for a run that had started before the request
  was sent, any other 5xx: untrue;
- a 409 to an answer is true only while the run had not reached its view (or event
  wait) yet, by its history; an answer that said it waited there before the engine got
  there (a state read ahead of the engine) is untrue: acting on it is refused;
- every resume or event acknowledged with 2xx is in the run's history (else: lost).

Duplicates: a state in two completed steps of one run, or a back-end call made twice
for one run (unless a worker was killed between the two calls: at-least-once delivery
of the node that was running).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import aiohttp
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from drift_api.run_history import read_history
from drift_models import RunHistory, RunStatus, WorkflowResponse, temporal_workflow_id
from drift_models.engine import QUERY_STATE
from drift_nodes import discover_nodes
from drift_store import open_store
from tests.faults.load import WAIT_NODES, Driver, Reply, Run
from tests.faults.platform import TENANT

__all__ = ["Accounting", "Fact", "account", "table"]

_BAD: Final = frozenset(
    {
        WorkflowExecutionStatus.FAILED,
        WorkflowExecutionStatus.TERMINATED,
        WorkflowExecutionStatus.TIMED_OUT,
        WorkflowExecutionStatus.CANCELED,
    }
)


@dataclass
class Fact:
    """What Temporal knows of one run once it is stable (``exists`` false: no run)."""

    exists: bool
    started_at: float = 0.0
    execution: WorkflowExecutionStatus | None = None
    state: WorkflowResponse | None = None
    history: RunHistory | None = None
    stored_status: RunStatus | None = None
    query_error: str = ""


@dataclass
class Accounting:
    """The counts of one drill, and the findings behind every non-zero bad count."""

    drill: str
    requested: int = 0
    started: int = 0
    completed: int = 0
    waiting: int = 0
    failed: int = 0
    unstable: int = 0
    lost: int = 0
    duplicated: int = 0
    repeats_after_kill: int = 0
    untrue: int = 0
    refused_503: int = 0
    reads_503: int = 0
    unsure: int = 0
    no_answer: int = 0
    store_behind: int = 0
    answers: int = 0
    findings: list[str] = field(default_factory=list)

    def note(self, counter: str, message: str) -> None:
        """Count one finding under ``counter`` and keep its explanation."""
        setattr(self, counter, getattr(self, counter) + 1)
        self.findings.append(f"{counter}: {message}")

    def bad(self) -> dict[str, int]:
        """The counts every drill must end with at zero."""
        return {
            "lost": self.lost,
            "duplicated": self.duplicated,
            "FAILED": self.failed,
            "untrue answers": self.untrue,
            "not stable": self.unstable,
            "store behind engine": self.store_behind,
        }


def _stable(workflow: str, fact: Fact) -> bool:
    if fact.execution is not WorkflowExecutionStatus.RUNNING:
        return True
    state = fact.state
    if state is None:
        return False
    if state.workflow_status is RunStatus.WAITING:
        return True
    return (
        state.workflow_status is RunStatus.SCHEDULER_WAITING
        and state.current_node == WAIT_NODES[workflow]
    )


async def _observe(client: Client, run_id: str) -> Fact:
    handle = client.get_workflow_handle(temporal_workflow_id(TENANT, run_id))
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return Fact(exists=False)
        raise
    fact = Fact(exists=True, started_at=description.start_time.timestamp())
    fact.execution = description.status
    try:
        fact.state = await asyncio.wait_for(
            handle.query(QUERY_STATE, result_type=WorkflowResponse), 10
        )
    except (RPCError, TimeoutError, WorkflowQueryFailedError) as error:
        # Judged by its execution status (a running run without a state is not stable);
        # a query that fails on replay (nondeterminism) is a finding of its own.
        fact.query_error = str(error) or type(error).__name__
    return fact


async def settle(client: Client, runs: Sequence[Run], timeout: float) -> dict[str, Fact]:
    """Observe every run until all are stable or ``timeout`` seconds pass."""
    facts: dict[str, Fact] = {}
    pending = list(runs)
    deadline = time.monotonic() + timeout
    while pending:
        observed = await asyncio.gather(*(_observe(client, run.run_id) for run in pending))
        still: list[Run] = []
        for run, fact in zip(pending, observed, strict=True):
            facts[run.run_id] = fact
            if fact.exists and not _stable(run.workflow, fact):
                still.append(run)
        pending = still
        if not pending or time.monotonic() > deadline:
            break
        await asyncio.sleep(1.0)
    for run_id, fact in facts.items():
        if fact.exists:
            fact.history = await read_history(client, TENANT, run_id)
    return facts


async def backend_calls(url: str) -> list[dict[str, object]]:
    """Every call the demo back ends received."""
    async with aiohttp.ClientSession() as session, session.get(f"{url}/_calls") as answer:
        calls: list[dict[str, object]] = await answer.json()
        return calls


async def stored_statuses(store_url: str, facts: dict[str, Fact]) -> None:
    """Fill in the store's status of every run (a fresh connection, after the faults)."""
    async with open_store(store_url, node_types=discover_nodes().node_types) as store:
        for run_id, fact in facts.items():
            if fact.exists:
                record = await store.contexts.get(TENANT, run_id)
                fact.stored_status = None if record is None else record.status


def _run_of(path: str, runs: dict[str, Run]) -> str | None:
    for segment in path.split("/"):
        for prefix in ("A-100-", "acct-"):
            if segment.startswith(prefix) and segment[len(prefix) :] in runs:
                return segment[len(prefix) :]
    return None


def _check_duplicates(
    sheet: Accounting,
    facts: dict[str, Fact],
    calls: list[dict[str, object]],
    runs: dict[str, Run],
    crashes: Sequence[float],
) -> None:
    for run_id, fact in facts.items():
        if fact.history is None:
            continue
        steps = Counter(
            node for entry in fact.history.entries if entry.event == "STEP" for node in entry.nodes
        )
        for node, times in steps.items():
            if times > 1:
                sheet.note("duplicated", f"{run_id}: state {node} completed in {times} steps")
    seen: dict[tuple[str, str, str], float] = {}
    for call in sorted(calls, key=lambda c: float(str(c["at"]))):
        path, method, at = str(call["path"]), str(call["method"]), float(str(call["at"]))
        owner = _run_of(path, runs)
        if owner is None:
            continue
        key = (owner, method, path)
        if key in seen:
            if any(seen[key] < crash < at for crash in crashes):
                sheet.repeats_after_kill += 1
            else:
                sheet.note("duplicated", f"{owner}: {method} {path} called again")
        seen[key] = at


def _accepted(fact: Fact, operation: str) -> list[float]:
    event = "RESUMED" if operation == "resume" else "EVENT"
    if fact.history is None:
        return []
    return sorted(e.at.timestamp() for e in fact.history.entries if e.event == event)


def _reached_wait(fact: Fact, workflow: str) -> float | None:
    """When the engine's history shows the run arriving where it waits for its answer."""
    if fact.history is None:
        return None
    where = f"at {WAIT_NODES[workflow]}"
    for entry in fact.history.entries:
        if entry.event == "STEP" and entry.outcome in ("VIEW", "WAIT") and entry.detail == where:
            return entry.at.timestamp()
    return None


def _check_ahead(sheet: Accounting, reply: Reply, workflow: str, reached: float | None) -> None:
    """A state that says the run waits for its answer before the engine got there."""
    if reply.status not in (200, 202) or reply.node != WAIT_NODES[workflow]:
        return
    if reply.state not in ("WAITING", "SCHEDULER_WAITING"):
        return
    if reached is None or reply.received < reached - _CLOCK_SLACK:
        when = "never" if reached is None else f"{reached - reply.received:.1f} s later"
        sheet.note(
            "untrue",
            f"{reply.run_id}: {reply.operation} (try {reply.attempt}, api {reply.api}) answered "
            f"{reply.state} at {reply.node}, but the engine got there {when} (an answer then "
            "is refused)",
        )


_CLOCK_SLACK: Final = 1.0
"""Seconds a read may precede the history event of the step it reports (the event is
written when the workflow task completes, a moment after the state changed)."""


def _check_answers(
    sheet: Accounting, facts: dict[str, Fact], runs: dict[str, Run], replies: Sequence[Reply]
) -> None:
    by_run: dict[str, list[Reply]] = {}
    for reply in replies:
        by_run.setdefault(reply.run_id, []).append(reply)
    for run_id, answers in by_run.items():
        fact = facts[run_id]
        reached = _reached_wait(fact, runs[run_id].workflow) if fact.exists else None
        for reply in answers:
            answering = reply.operation in ("resume", "event")
            if answering and reply.status == 409 and reached is not None and reply.sent < reached:
                continue  # "not waiting" was true: the run was not there yet
            _check_one(sheet, fact, reply, answers)
            if fact.exists:
                _check_ahead(sheet, reply, runs[run_id].workflow, reached)
        for operation in ("resume", "event"):
            acknowledged = [
                r for r in answers if r.operation == operation and r.status in (200, 202)
            ]
            accepted = _accepted(fact, operation) if fact.exists else []
            if len(acknowledged) > len(accepted):
                sheet.note(
                    "lost",
                    f"{run_id}: {len(acknowledged)} {operation} answered 2xx, "
                    f"{len(accepted)} in its history",
                )


def _check_one(sheet: Accounting, fact: Fact, reply: Reply, answers: list[Reply]) -> None:
    what = f"{reply.run_id}: {reply.operation} (try {reply.attempt}, api {reply.api})"
    status = reply.status
    if status is None:
        sheet.no_answer += 1
        return
    if status == 503:
        if reply.operation == "get":
            sheet.reads_503 += 1
            return
        sheet.refused_503 += 1
        _check_refusal(sheet, fact, reply, answers, what)
        return
    if status in (200, 202):
        _check_acknowledged(sheet, fact, reply, what)
        return
    if status == 404 and reply.operation == "get":
        _check_not_found(sheet, fact, reply, what)
        return
    if status >= 500 or (status == 404 and fact.exists) or (reply.operation == "start"):
        sheet.note("untrue", f"{what} answered {status} {reply.detail}")
        return
    if status == 409 and reply.operation in ("resume", "event"):
        before = [at for at in _accepted(fact, reply.operation) if at <= reply.received]
        if not before:
            sheet.note("untrue", f"{what} answered 409 to a waiting run: {reply.detail}")


def _check_acknowledged(sheet: Accounting, fact: Fact, reply: Reply, what: str) -> None:
    """A 2xx must have a run; a sync start's 200 carries a stable state."""
    if not fact.exists:
        sheet.note("lost", f"{what} answered {reply.status} {reply.state}, but there is no run")
    elif reply.operation == "start" and reply.status == 200 and reply.state not in _STABLE_STATES:
        sheet.note("untrue", f"{what} answered 200 with the unstable state {reply.state}")


def _check_not_found(sheet: Accounting, fact: Fact, reply: Reply, what: str) -> None:
    """A read sent while the run's start was still on its way finds no run, truly."""
    if fact.exists and fact.started_at < reply.sent:
        started = f"{reply.sent - fact.started_at:.1f} s after the run started"
        sheet.note("untrue", f"{what} answered 404 {started}: {reply.detail}")


_STABLE_STATES: Final = frozenset({"WAITING", "SCHEDULER_WAITING", "COMPLETED", "FAILED"})


_UNSURE: Final = ("Start Unconfirmed", "Outcome Unknown")
"""The API's own "I cannot know" answers: a 503 that claims nothing happened or not."""


def _check_refusal(
    sheet: Accounting, fact: Fact, reply: Reply, answers: list[Reply], what: str
) -> None:
    if reply.detail.startswith(_UNSURE):
        sheet.unsure += 1  # true whatever happened: it says it does not know
        return
    if reply.operation == "start":
        if fact.exists and fact.started_at <= reply.received:
            sheet.note("untrue", f"{what} answered 503, but the run had started")
        return
    earlier = [r for r in answers if r.operation == reply.operation and r.sent < reply.sent]
    if any(r.status is None for r in earlier):
        return  # an earlier try got no answer and may have been the one applied
    acknowledged = sum(1 for r in earlier if r.status in (200, 202))
    applied = sum(1 for at in _accepted(fact, reply.operation) if at <= reply.received)
    if applied > acknowledged:
        sheet.note("untrue", f"{what} answered 503, but the {reply.operation} was applied")


def _count_states(sheet: Accounting, facts: dict[str, Fact], runs: dict[str, Run]) -> None:
    for run_id, fact in facts.items():
        if not fact.exists:
            continue
        sheet.started += 1
        if fact.query_error:
            sheet.note("unstable", f"{run_id}: its state cannot be read: {fact.query_error}")
            continue
        state = fact.state
        status = state.workflow_status if state else None
        if fact.execution in _BAD or status is RunStatus.FAILED:
            execution = fact.execution.name if fact.execution else None
            detail = state.error_message if state else ""
            sheet.note("failed", f"{run_id}: Temporal {execution}, run {status}: {detail}")
        elif fact.execution is WorkflowExecutionStatus.COMPLETED:
            sheet.completed += 1
        elif _stable(runs[run_id].workflow, fact):
            sheet.waiting += 1
        else:
            node = state.current_node if state else None
            sheet.note("unstable", f"{run_id}: still {status} at {node}")
        if status is not None and fact.stored_status is not status and status.is_final:
            sheet.note("store_behind", f"{run_id}: engine {status}, store {fact.stored_status}")


async def account(
    drill: str,
    driver: Driver,
    *,
    client: Client,
    store_url: str,
    backends_url: str,
    crashes: Sequence[float] = (),
    timeout: float = 120.0,
) -> Accounting:
    """Settle every run of ``driver``, then count and check (see the module's docstring)."""
    sheet = Accounting(drill, requested=len(driver.runs), answers=len(driver.replies))
    facts = await settle(client, list(driver.runs.values()), timeout)
    await stored_statuses(store_url, facts)
    calls = await backend_calls(backends_url)
    _count_states(sheet, facts, driver.runs)
    _check_duplicates(sheet, facts, calls, driver.runs, crashes)
    _check_answers(sheet, facts, driver.runs, driver.replies)
    return sheet


_COLUMNS: Final = (
    ("drill", "drill"),
    ("runs", "requested"),
    ("started", "started"),
    ("done", "completed"),
    ("waiting", "waiting"),
    ("FAILED", "failed"),
    ("lost", "lost"),
    ("dup", "duplicated"),
    ("retried", "repeats_after_kill"),
    ("untrue", "untrue"),
    ("503", "refused_503"),
    ("get503", "reads_503"),
    ("unsure", "unsure"),
    ("noanswer", "no_answer"),
    ("unstable", "unstable"),
    ("store", "store_behind"),
    ("answers", "answers"),
)


def table(sheets: Sequence[Accounting]) -> str:
    """The counts of every drill as a text table."""
    rows = [[str(getattr(s, attribute)) for _, attribute in _COLUMNS] for s in sheets]
    header = [title for title, _ in _COLUMNS]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in [header, *rows]
    ]
    return "\n".join(lines)
