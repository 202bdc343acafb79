"""A run's node-by-node history, read from its Temporal history.

Temporal keeps every step the engine took: local-activity markers and activity
completions carry the step's result (which states ran, where the run went), updates
carry resumes and utility calls, signals carry events. This module turns those events
into a short list people (and ``drift logs``) can read. It needs no store: the history
is the record.

A redriven run has one execution per attempt: each redrive's input names the failed
execution it continues (``failedRunId``), so the attempts are read back from the
latest, then listed oldest first. Every entry says its attempt; those of a failed
attempt a redrive continued are marked ``superseded``, and each redrive begins with a
``REDRIVEN`` entry naming the state it went on at.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, Final

import msgspec
from temporalio.api.common.v1 import Payloads
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError

from drift_api.engine_errors import rpc_error
from drift_models import RunHistory, RunHistoryEntry, temporal_workflow_id

__all__ = ["PAGE_TIMEOUT", "attempt_states", "read_history"]

_UPDATES: Final = {
    "drift.resume": "RESUMED",
    "drift.utility": "UTILITY",
    "drift.terminate": "TERMINATE",
}
_MAX_ATTEMPTS: Final = 1001
PAGE_TIMEOUT: Final = 10.0
"""Seconds one page of a run's history may take to come from Temporal."""


async def read_history(
    client: Client, tenant: str, run_id: str, *, page_timeout: float = PAGE_TIMEOUT
) -> RunHistory:
    """The node-by-node history of a tenant's run.

    Args:
        client: the Temporal client.
        tenant: the run's tenant.
        run_id: the run.
        page_timeout: seconds each page of history may take (a Temporal that does not
            answer is a ``503``, not a request that hangs).

    Raises:
        ApiError: 404 when the tenant has no such run (or its history is gone), 503 when
            Temporal cannot be reached or does not answer in time.
    """
    histories = await _attempts(
        client, temporal_workflow_id(tenant, run_id), run_id, dt.timedelta(seconds=page_timeout)
    )
    last = len(histories) - 1
    entries: list[RunHistoryEntry] = []
    for attempt, history in enumerate(histories):
        scheduled: dict[int, str] = {}
        for event in history.events:
            entries.extend(
                msgspec.structs.replace(entry, attempt=attempt, superseded=attempt < last)
                for entry in _entries(event, scheduled)
            )
    return RunHistory(workflow_id=run_id, entries=entries)


async def attempt_states(client: Client, tenant: str, run_id: str) -> tuple[set[str], set[str]]:
    """A redriven run's states of its failed attempts, and the states redrives went on at.

    Both are empty for a run that was never redriven.
    """
    history = await read_history(client, tenant, run_id)
    earlier = {
        node
        for entry in history.entries
        if entry.superseded and entry.event == "STEP"
        for node in entry.nodes
    }
    redriven = {
        node for entry in history.entries if entry.event == "REDRIVEN" for node in entry.nodes
    }
    return earlier, redriven


async def _attempts(
    client: Client, workflow_id: str, run_id: str, page_timeout: dt.timedelta
) -> list[WorkflowHistory]:
    """The histories of the run's attempts, oldest first."""
    chain: list[WorkflowHistory] = []
    execution: str | None = None
    while len(chain) < _MAX_ATTEMPTS:
        handle = client.get_workflow_handle(workflow_id, run_id=execution)
        try:
            history = await handle.fetch_history(rpc_timeout=page_timeout)
        except RPCError as error:
            if chain:
                break  # an earlier attempt is past its retention: show the ones kept
            raise rpc_error(error, run_id) from None
        chain.append(history)
        execution = _redriven_from(history)
        if execution is None:
            break
    return chain[::-1]


def _redriven_from(history: WorkflowHistory) -> str | None:
    """The failed execution a redriven execution continues, from its input."""
    if not history.events:
        return None
    started = history.events[0].workflow_execution_started_event_attributes
    run = _first(started.input)
    point = run.get("redrive") if isinstance(run, dict) else None
    failed = point.get("failedRunId") if isinstance(point, dict) else None
    return failed if isinstance(failed, str) and failed else None


def _entries(event: HistoryEvent, scheduled: dict[int, str]) -> list[RunHistoryEntry]:
    at = event.event_time.ToDatetime(tzinfo=dt.UTC)
    if event.HasField("activity_task_scheduled_event_attributes"):
        attributes = event.activity_task_scheduled_event_attributes
        scheduled[event.event_id] = attributes.activity_type.name
        return []
    if event.HasField("activity_task_completed_event_attributes"):
        completed = event.activity_task_completed_event_attributes
        kind = scheduled.get(completed.scheduled_event_id, "")
        return _activity(at, kind, _first(completed.result))
    if event.HasField("marker_recorded_event_attributes"):
        return _marker(at, event)
    read = _READERS.get(event.WhichOneof("attributes") or "")
    entry = None if read is None else read(at, event)
    return [] if entry is None else [entry]


def _started(at: dt.datetime, event: HistoryEvent) -> RunHistoryEntry:
    run = _first(event.workflow_execution_started_event_attributes.input) or {}
    point = run.get("redrive")
    if isinstance(point, dict):
        state = str(point.get("state"))
        detail = f"redrive {run.get('redriveCount', 1)}: goes on at {state}"
        return RunHistoryEntry(at=at, event="REDRIVEN", nodes=[state], detail=detail)
    detail = f"{run.get('workflowDefinitionId')} ({run.get('version', 'ACTIVE')})"
    return RunHistoryEntry(at=at, event="STARTED", detail=detail)


def _marker(at: dt.datetime, event: HistoryEvent) -> list[RunHistoryEntry]:
    attributes = event.marker_recorded_event_attributes
    details = attributes.details
    data = _first(details["data"]) if "data" in details else None
    kind = data.get("activity_type") if isinstance(data, dict) else None
    if "result" in details and kind is not None:
        return _activity(at, kind, _first(details["result"]))
    if attributes.failure.message:
        return [RunHistoryEntry(at=at, event="FAILED", detail=attributes.failure.message)]
    return []


def _failed(at: dt.datetime, event: HistoryEvent) -> RunHistoryEntry:
    message = event.activity_task_failed_event_attributes.failure.message
    return RunHistoryEntry(at=at, event="FAILED", detail=message)


def _update(at: dt.datetime, event: HistoryEvent) -> RunHistoryEntry | None:
    request = event.workflow_execution_update_accepted_event_attributes.accepted_request
    name = _UPDATES.get(request.input.name)
    if name is None:
        return None
    argument = _first(request.input.args)
    detail: str | None = None
    if isinstance(argument, dict):
        shown = argument.get("viewResponse") or argument.get("node") or argument.get("reason")
        detail = json.dumps(shown, ensure_ascii=False)
    return RunHistoryEntry(at=at, event=name, detail=detail)


def _signal(at: dt.datetime, event: HistoryEvent) -> RunHistoryEntry:
    signal = _first(event.workflow_execution_signaled_event_attributes.input)
    name = signal.get("name") if isinstance(signal, dict) else None
    return RunHistoryEntry(at=at, event="EVENT", detail=name)


def _timer(at: dt.datetime, _: HistoryEvent) -> RunHistoryEntry:
    return RunHistoryEntry(at=at, event="TIMER", detail="a timer fired")


def _child(at: dt.datetime, event: HistoryEvent) -> RunHistoryEntry:
    child = event.start_child_workflow_execution_initiated_event_attributes.workflow_id
    return RunHistoryEntry(at=at, event="CHILD", detail=child.split("/", 1)[-1])


def _continued(at: dt.datetime, _: HistoryEvent) -> RunHistoryEntry:
    return RunHistoryEntry(at=at, event="CONTINUED", detail="continued as new")


def _ended(at: dt.datetime, event: HistoryEvent) -> RunHistoryEntry:
    result = _first(event.workflow_execution_completed_event_attributes.result)
    status = result.get("workflowStatus") if isinstance(result, dict) else None
    return RunHistoryEntry(at=at, event="ENDED", detail=status)


def _failed_run(at: dt.datetime, event: HistoryEvent) -> RunHistoryEntry:
    # A FAILED run fails its workflow once its end is written (its message is the error).
    message = event.workflow_execution_failed_event_attributes.failure.message
    return RunHistoryEntry(
        at=at, event="ENDED", detail=f"FAILED: {message}" if message else "FAILED"
    )


def _cancelled(at: dt.datetime, _: HistoryEvent) -> RunHistoryEntry:
    # A run the API terminated closes cancelled; so does one cancelled from outside.
    return RunHistoryEntry(at=at, event="ENDED", detail="TERMINATED")


_READERS: Final[dict[str, Callable[[dt.datetime, HistoryEvent], RunHistoryEntry | None]]] = {
    "workflow_execution_started_event_attributes": _started,
    "activity_task_failed_event_attributes": _failed,
    "workflow_execution_update_accepted_event_attributes": _update,
    "workflow_execution_signaled_event_attributes": _signal,
    "timer_fired_event_attributes": _timer,
    "start_child_workflow_execution_initiated_event_attributes": _child,
    "workflow_execution_continued_as_new_event_attributes": _continued,
    "workflow_execution_completed_event_attributes": _ended,
    "workflow_execution_failed_event_attributes": _failed_run,
    "workflow_execution_canceled_event_attributes": _cancelled,
}


def _activity(at: dt.datetime, kind: str, result: Any) -> list[RunHistoryEntry]:
    if not isinstance(result, dict):
        return []
    if kind == "drift.begin-step":
        # Pinning and the first step in one activity: both entries, as apart.
        entries = _activity(at, "drift.begin", result.get("begun"))
        if isinstance(result.get("step"), dict):
            entries += _activity(at, "drift.step", result["step"])
        failure = result.get("failure")
        if isinstance(failure, dict):
            entries.append(RunHistoryEntry(at=at, event="FAILED", detail=failure.get("message")))
        return entries
    entry = _one_activity(at, kind, result)
    return [] if entry is None else [entry]


def _one_activity(at: dt.datetime, kind: str, result: dict[str, Any]) -> RunHistoryEntry | None:
    if kind == "drift.step":
        return RunHistoryEntry(
            at=at,
            event="STEP",
            nodes=list(result.get("executed") or []),
            outcome=result.get("outcome"),
            detail=result.get("error") or f"at {result.get('state')}",
        )
    if kind == "drift.branch":
        return _branch(at, result)
    if kind == "drift.utility":
        return RunHistoryEntry(
            at=at, event="UTILITY", nodes=[str(result.get("node"))], outcome=result.get("status")
        )
    if kind == "drift.begin":
        plan = result.get("plan") or {}
        version = plan.get("workflow_version")
        return RunHistoryEntry(
            at=at, event="PINNED", detail=f"{plan.get('workflow_id')} v{version}"
        )
    return None


def _branch(at: dt.datetime, result: dict[str, Any]) -> RunHistoryEntry:
    """A part of a PARALLEL branch or MAP item: which fan-out, which item, what ran."""
    owner = result.get("owner")
    index = result.get("item_index")
    where = f"{owner}[{index}]" if index is not None else str(owner)
    if result.get("error"):
        outcome, detail = "FAILED", f"{where}: {result['error']}"
    elif result.get("next_state"):
        outcome, detail = "NEXT", f"{where} at {result['next_state']}"
    else:
        outcome, detail = "JOINED", where
    nodes = [str(pair[0]) for pair in result.get("outputs") or [] if pair]
    return RunHistoryEntry(at=at, event="BRANCH", nodes=nodes, outcome=outcome, detail=detail)


def _first(payloads: Payloads) -> Any:
    if not payloads.payloads:
        return None
    try:
        return json.loads(payloads.payloads[0].data)
    except ValueError:
        return None
