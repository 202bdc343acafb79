"""The console's one way to list runs: the runs search behind ``GET /v3/workflow``.

The runs list and the inbox both call :func:`list_runs` and nothing else. The filter
goes to :class:`drift_api.run_search.RunSearch`, the service ``GET /v3/workflow``
answers with: one visibility query (the tenant's attribute and id prefix ANDed, values
checked, no caller text as syntax), so a page holds the runs asked for, and the page
cursor is that listing's sealed token (bound to the tenant and the filter). Each row is
what visibility knows of the run (status, workflow, version, node, start and end, as of
the run's last stable point), so a page costs one visibility call whatever the number
of runs, and no call to any run; a run's own page reads its true state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from drift_api.auth import Caller
from drift_api.run_query import RunFilter
from drift_api.run_search import RunSearch
from drift_models import RunPage, RunStatus

__all__ = ["RunFilters", "list_runs"]

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


async def list_runs(search: RunSearch, caller: Caller, filters: RunFilters) -> RunPage:
    """One page of the caller's tenant's runs matching ``filters``, newest first.

    Raises:
        ApiError: 400 for a filter value that cannot be queried, 422 for a cursor that
            is not this listing's, 503 when Temporal cannot list runs now.
    """
    run_filter = RunFilter(
        workflow_definition_id=filters.workflow,
        statuses=() if filters.status is None else (filters.status,),
        current_node=filters.node,
        started_after=filters.started_after,
        started_before=filters.started_before,
    )
    return await search.page(
        caller.tenant_id,
        run_filter,
        limit=max(1, min(filters.limit, _MAX_PAGE)),
        page_token=filters.cursor,
        total=False,
    )
