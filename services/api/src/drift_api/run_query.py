"""Visibility queries composed from typed filters: no caller text ever becomes syntax.

Every value a caller gives has been checked (a pattern, an enum, an ISO time) before it
gets here, and :func:`literal` is the one function that turns a value into query text:
it refuses anything that is not plain (quotes, backslashes, control characters), so a
check that was forgotten fails loudly instead of opening an injection. The tenant is
always ANDed, twice (its attribute and its workflow id prefix), so no filter can reach
another tenant's runs.

Statuses: an open run's Drift status is the attribute its workflow keeps current at
each stable point; a closed run's is its Temporal close (``Failed`` is FAILED,
``Terminated``/``Canceled``/``TimedOut`` are TERMINATED), so runs stopped from outside
Drift read as the API reads them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from drift_models import RunStatus
from drift_models.engine import WORKFLOW_NAME
from drift_models.visibility import (
    SA_CLIENT,
    SA_NODE,
    SA_STATUS,
    SA_TENANT,
    SA_USER,
    SA_VERSION,
    SA_WORKFLOW,
)

__all__ = ["ID_PATTERN", "MAX_LIMIT", "QueryValueError", "RunFilter", "literal", "visibility_query"]

MAX_LIMIT: Final = 200
"""The most runs one page may hold."""

ID_PATTERN: Final = r"^[\w.:@\-]{1,256}(?!\n)$"
"""What a filter's id value (definition, node, client, user) may be."""

_PLAIN: Final = re.compile(r"[\w.:@/\-]{1,257}")


class QueryValueError(ValueError):
    """A value that cannot be put into a visibility query safely."""


def literal(value: str | int | dt.datetime) -> str:
    """A value as query text: a quoted plain string, a number or an RFC 3339 time.

    Raises:
        QueryValueError: for a string that is not plain (the caller's checks let it by).
    """
    if isinstance(value, bool):
        raise QueryValueError("a boolean is not a filter value")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise QueryValueError("a time needs its offset (e.g. Z)")
        return "'" + value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "'"
    if not _PLAIN.fullmatch(value):
        message = f"{value!r} is not a plain identifier"
        raise QueryValueError(message)
    return "'" + value + "'"


_OPEN: Final = {
    RunStatus.CREATED: (RunStatus.CREATED, RunStatus.RUNNING),
    RunStatus.RUNNING: (RunStatus.RUNNING, RunStatus.CREATED),
    RunStatus.WAITING: (RunStatus.WAITING,),
    RunStatus.SCHEDULER_WAITING: (RunStatus.SCHEDULER_WAITING,),
}
_CLOSED: Final = {
    RunStatus.COMPLETED: f"(ExecutionStatus = 'Completed' AND {SA_STATUS} = 'COMPLETED')",
    RunStatus.FAILED: "ExecutionStatus = 'Failed'",
    # A run the API terminated closes Canceled, or Completed when the API's cancel never
    # came (the workflow waits for it a bounded time).
    RunStatus.TERMINATED: "ExecutionStatus IN ('Terminated', 'Canceled', 'TimedOut') OR "
    f"(ExecutionStatus = 'Completed' AND {SA_STATUS} = 'TERMINATED')",
}


@dataclass(frozen=True, slots=True)
class RunFilter:
    """What to list (every field optional; fields combine with AND, statuses with OR).

    Attributes:
        workflow_definition_id: runs of this workflow.
        version: runs pinned to this version.
        statuses: runs in any of these Drift statuses.
        current_node: runs at (or ended at) this state.
        client_id: runs started by this client.
        user_id: runs started by this user.
        started_after: started at or after this time.
        started_before: started before this time.
        closed_after: closed at or after this time.
        closed_before: closed before this time.
    """

    workflow_definition_id: str | None = None
    version: int | None = None
    statuses: tuple[RunStatus, ...] = ()
    current_node: str | None = None
    client_id: str | None = None
    user_id: str | None = None
    started_after: dt.datetime | None = None
    started_before: dt.datetime | None = None
    closed_after: dt.datetime | None = None
    closed_before: dt.datetime | None = None


def visibility_query(tenant: str, run_filter: RunFilter) -> str:
    """The list filter for a tenant's runs matching ``run_filter``.

    Raises:
        QueryValueError: for a value that is not plain.
    """
    terms = [
        f"WorkflowType = {literal(WORKFLOW_NAME)}",
        # A run that continued as new leaves a closed row behind; its successor is the run.
        "ExecutionStatus != 'ContinuedAsNew'",
        f"{SA_TENANT} = {literal(tenant)}",
        f"WorkflowId STARTS_WITH {literal(tenant + '/')}",
    ]
    equal: list[tuple[str, str | int | None]] = [
        (SA_WORKFLOW, run_filter.workflow_definition_id),
        (SA_VERSION, run_filter.version),
        (SA_NODE, run_filter.current_node),
        (SA_CLIENT, run_filter.client_id),
        (SA_USER, run_filter.user_id),
    ]
    terms += [f"{name} = {literal(value)}" for name, value in equal if value is not None]
    if run_filter.statuses:
        terms.append(_statuses(run_filter.statuses))
    ranges: list[tuple[str, str, dt.datetime | None]] = [
        ("StartTime", ">=", run_filter.started_after),
        ("StartTime", "<", run_filter.started_before),
        ("CloseTime", ">=", run_filter.closed_after),
        ("CloseTime", "<", run_filter.closed_before),
    ]
    terms += [f"{name} {op} {literal(value)}" for name, op, value in ranges if value is not None]
    return " AND ".join(terms)


def _statuses(statuses: tuple[RunStatus, ...]) -> str:
    open_values: list[RunStatus] = []
    closed: list[str] = []
    for status in dict.fromkeys(statuses):
        if status in _OPEN:
            open_values += [v for v in _OPEN[status] if v not in open_values]
        else:
            closed.append(_CLOSED[status])
    parts = list(closed)
    if open_values:
        listed = ", ".join(literal(value.value) for value in open_values)
        parts.insert(0, f"(ExecutionStatus = 'Running' AND {SA_STATUS} IN ({listed}))")
    return "(" + " OR ".join(parts) + ")"
