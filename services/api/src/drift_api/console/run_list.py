"""The console's one way to list runs: the seam where ``GET /v3/workflow``'s service plugs in.

The runs list and the inbox both call :func:`list_runs` and nothing else. The filter
goes to Temporal's visibility store as the query ``GET /v3/workflow`` lists with
(:func:`drift_api.run_query.visibility_query`: the tenant's attribute and id prefix
ANDed, values checked, no caller text as syntax), so a page holds the runs asked for.
Each listed run's true state is then read through the same :class:`RunGateway` the
REST API answers with (Temporal first, then the store); a run whose state moved on
since visibility last heard of it is left out rather than shown under a filter it no
longer matches. Paging uses Temporal's page token as an opaque cursor.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field
from typing import Final

from temporalio.client import WorkflowExecution, WorkflowExecutionStatus
from temporalio.service import RPCError

from drift_api.auth import Caller
from drift_api.problems import ApiError
from drift_api.run_query import QueryValueError, RunFilter, visibility_query
from drift_api.runs import RunGateway
from drift_models import RunStatus, WorkflowResponse

__all__ = ["RunFilters", "RunPage", "list_runs"]

_MAX_PAGE: Final = 100


@dataclass(frozen=True, slots=True)
class RunFilters:
    """What the runs list is asked for (every filter optional).

    Attributes:
        status: only runs in this status.
        workflow: only runs of this workflow definition.
        node: only runs standing at this node.
        started_after: only runs started at or after this time.
        started_before: only runs started before this time.
        cursor: where the previous page ended.
        limit: how many runs a page holds at most.
    """

    status: RunStatus | None = None
    workflow: str | None = None
    node: str | None = None
    started_after: dt.datetime | None = None
    started_before: dt.datetime | None = None
    cursor: str | None = None
    limit: int = 25


@dataclass(frozen=True, slots=True)
class RunPage:
    """One page of runs, newest first.

    Attributes:
        runs: each run's state, as ``GET /v3/workflow/{runId}`` answers it.
        next_cursor: the cursor of the next page, ``None`` on the last.
    """

    runs: list[WorkflowResponse] = field(default_factory=list)
    next_cursor: str | None = None


def _query(tenant: str, filters: RunFilters) -> str:
    run_filter = RunFilter(
        workflow_definition_id=filters.workflow,
        statuses=() if filters.status is None else (filters.status,),
        current_node=filters.node,
        started_after=filters.started_after,
        started_before=filters.started_before,
    )
    try:
        return visibility_query(tenant, run_filter)
    except QueryValueError:
        message = "a workflow or node filter may hold letters, digits and _ . : @ - only"
        raise ApiError(400, "Invalid Filter", message) from None


def _token(cursor: str | None) -> bytes | None:
    if not cursor:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise ApiError(400, "Bad Cursor", "the page cursor is not one this console gave") from None


def _run_id(execution: WorkflowExecution, tenant: str) -> str:
    return execution.id.removeprefix(f"{tenant}/")


def _keep(state: WorkflowResponse, filters: RunFilters) -> bool:
    if filters.status is not None and state.workflow_status != filters.status:
        return False
    if filters.workflow and state.workflow_definition_id != filters.workflow:
        return False
    return not (filters.node and state.current_node != filters.node)


async def _state(
    runs: RunGateway, caller: Caller, execution: WorkflowExecution
) -> WorkflowResponse:
    run_id = _run_id(execution, caller.tenant_id)
    try:
        return (await runs.state(caller, run_id)).body
    except ApiError:
        # A run Temporal lists but nothing can read now still shows, with what is known.
        closed = execution.status not in {None, WorkflowExecutionStatus.RUNNING}
        return WorkflowResponse(
            workflow_id=run_id,
            workflow_status=RunStatus.FAILED if closed else RunStatus.RUNNING,
            workflow_definition_id="?",
            created_at=execution.start_time,
            error_message="the run's state cannot be read now",
        )


async def list_runs(runs: RunGateway, caller: Caller, filters: RunFilters) -> RunPage:
    """One page of the caller's tenant's runs matching ``filters``, newest first.

    Raises:
        ApiError: 400 for a cursor this console did not give, 503 when Temporal cannot
            list runs now.
    """
    limit = max(1, min(filters.limit, _MAX_PAGE))
    listing = runs.client.list_workflows(
        _query(caller.tenant_id, filters), page_size=limit, next_page_token=_token(filters.cursor)
    )
    try:
        await listing.fetch_next_page()
    except RPCError as error:
        raise ApiError(
            503, "Runs Unavailable", f"Temporal cannot list runs now: {error.message}"
        ) from None
    page = list(listing.current_page or [])
    states = await asyncio.gather(*(_state(runs, caller, execution) for execution in page))
    token = listing.next_page_token
    cursor = base64.urlsafe_b64encode(token).decode().rstrip("=") if token else None
    return RunPage(runs=[s for s in states if _keep(s, filters)], next_cursor=cursor)
