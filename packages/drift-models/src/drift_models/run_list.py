"""The bodies of ``GET /v3/workflow``: a page of a tenant's runs, newest first."""

from __future__ import annotations

import datetime as dt

from drift_models._base import ApiStruct
from drift_models.runs import RunStatus

__all__ = ["RunPage", "RunSummary"]


class RunSummary(ApiStruct, kw_only=True):
    """One run in a listing (from Temporal's visibility store, not the run's context).

    Attributes:
        workflow_id: the run's id.
        workflow_definition_id: the workflow it executes.
        workflow_version: the version it is pinned to, once known.
        workflow_status: its Drift status (as of its last stable point while it runs).
        current_node: the state it is at (or ended at), once it reached a stable point.
        started_at: when it started (a redriven run: when its latest attempt started).
        closed_at: when it ended, if it has.
        redrives: how many times it has been redriven.
    """

    workflow_id: str
    workflow_definition_id: str
    workflow_version: int | None = None
    workflow_status: RunStatus
    current_node: str | None = None
    started_at: dt.datetime
    closed_at: dt.datetime | None = None
    redrives: int = 0


class RunPage(ApiStruct, kw_only=True):
    """A page of runs.

    Attributes:
        items: the runs, newest first (open runs by start, then closed ones by close).
        next_page_token: pass as ``pageToken`` for the next page; ``None`` on the last.
        total: how many runs match the filter, when ``total=true`` was asked.
    """

    items: list[RunSummary]
    next_page_token: str | None = None
    total: int | None = None
