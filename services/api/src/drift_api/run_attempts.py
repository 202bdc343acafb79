"""Superseded attempts: one Drift run, several Temporal executions after a redrive.

A redrive starts a new execution under the run's workflow id; the failed one stays
in visibility, closed Failed, and must not read as a FAILED run any more. Every
redriven execution carries ``DriftAttempt`` (how many redrives came before it; unset is
0), and only a Failed execution can be redriven, so an execution is *superseded*
exactly when it closed Failed and an execution of the same workflow id has a higher
attempt. Both checks are typed visibility queries (``WorkflowId IN (...)`` of ids
Temporal itself answered, quoted by :func:`drift_api.run_query.literal`; no caller text).

- A listing page drops its superseded items: one query per page that holds a Failed
  execution at all (pages may hold fewer items than ``limit``; paging stays stable).
- A count subtracts the superseded executions the filter matches: the redriven
  executions sharing the filter's fixed attributes (workflow, version, client, user)
  are listed (usually few), then the filter's Failed executions among their workflow
  ids. A filter without FAILED costs nothing more; no such redrive, one list query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Final

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey

from drift_api.run_query import QueryValueError, RunFilter, literal, visibility_query
from drift_models import RunStatus
from drift_models.visibility import SA_ATTEMPT

__all__ = ["Attempts", "attempt_of"]

_ATTEMPT: Final = SearchAttributeKey.for_int(SA_ATTEMPT)
_BATCH: Final = 100
"""Workflow ids per ``IN`` list."""


def attempt_of(execution: WorkflowExecution) -> int:
    """How many redrives came before this execution (0 for a run's first)."""
    return execution.typed_search_attributes.get(_ATTEMPT) or 0


class Attempts:
    """Tells superseded executions from runs.

    Args:
        client: the Temporal client.
        timeout: how long one visibility call may take.
    """

    def __init__(self, client: Client, *, timeout: dt.timedelta) -> None:
        self._client = client
        self._timeout = timeout

    async def current(
        self, tenant: str, executions: Sequence[WorkflowExecution]
    ) -> list[WorkflowExecution]:
        """``executions`` without the superseded ones, in their order."""
        failed = [e for e in executions if e.status is WorkflowExecutionStatus.FAILED]
        if not failed:
            return list(executions)
        latest = await self._latest(tenant, {e.id for e in failed})
        return [e for e in executions if not _superseded(e, latest)]

    async def superseded_count(self, tenant: str, query: str, run_filter: RunFilter) -> int:
        """How many of the executions ``query`` (``run_filter``'s) matches are superseded.

        Only the redriven executions that share the filter's fixed attributes are
        looked at: a redrive copies the failed attempt's workflow, version, client and
        user, so no other can stand for an execution the query matches.
        """
        if run_filter.statuses and RunStatus.FAILED not in run_filter.statuses:
            return 0  # a superseded attempt is FAILED
        fixed = RunFilter(
            workflow_definition_id=run_filter.workflow_definition_id,
            version=run_filter.version,
            client_id=run_filter.client_id,
            user_id=run_filter.user_id,
        )
        latest = await self._latest(tenant, None, fixed)
        if not latest:
            return 0
        superseded = 0
        for batch in _batches(sorted(latest)):
            terms = f"{query} AND ExecutionStatus = 'Failed' AND {_ids(batch)}"
            async for execution in self._client.list_workflows(
                terms, page_size=1000, rpc_timeout=self._timeout
            ):
                if _superseded(execution, latest):
                    superseded += 1
        return superseded

    async def _latest(
        self, tenant: str, ids: set[str] | None, run_filter: RunFilter | None = None
    ) -> dict[str, int]:
        """Workflow id → its highest attempt, for ids with a redriven execution."""
        base = f"{visibility_query(tenant, run_filter or RunFilter())} AND {SA_ATTEMPT} >= 1"
        groups: Iterable[list[str] | None] = [None] if ids is None else _batches(sorted(ids))
        latest: dict[str, int] = {}
        for batch in groups:
            query = base if batch is None else f"{base} AND {_ids(batch)}"
            async for execution in self._client.list_workflows(
                query, page_size=1000, rpc_timeout=self._timeout
            ):
                latest[execution.id] = max(latest.get(execution.id, 0), attempt_of(execution))
        return latest


def _superseded(execution: WorkflowExecution, latest: dict[str, int]) -> bool:
    return execution.status is WorkflowExecutionStatus.FAILED and attempt_of(
        execution
    ) < latest.get(execution.id, 0)


def _batches(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + _BATCH] for i in range(0, len(ids), _BATCH)]


def _ids(batch: list[str]) -> str:
    quoted: list[str] = []
    for workflow_id in batch:
        try:
            quoted.append(literal(workflow_id))
        except QueryValueError:
            continue  # not a Drift run id: it was never redriven through the API
    return f"WorkflowId IN ({', '.join(quoted) or literal('-')})"
