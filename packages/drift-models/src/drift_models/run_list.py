"""The bodies of the runs listing and of the bulk actions over the same filter.

``GET /v3/workflow`` answers a :class:`RunPage` of a tenant's runs, newest first;
``/v3/bulk`` answers a :class:`BulkJob`.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from drift_models._base import AnswerStruct
from drift_models.runs import RunStatus

__all__ = ["BulkJob", "RunPage", "RunSummary"]


class RunSummary(AnswerStruct, kw_only=True):
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


class RunPage(AnswerStruct, kw_only=True):
    """A page of runs.

    Attributes:
        items: the runs, newest first (open runs by start, then closed ones by close).
        next_page_token: pass as ``pageToken`` for the next page; ``None`` on the last.
        total: how many runs match the filter, when ``total=true`` was asked.
    """

    items: list[RunSummary]
    next_page_token: str | None = None
    total: int | None = None


class BulkJob(msgspec.Struct, kw_only=True, rename="camel"):
    """A bulk action and its progress.

    Attributes:
        job_id: the job (``GET /v3/bulk/{jobId}``); ``None`` for a dry run.
        action: ``terminate`` or ``redrive``.
        state: ``DRY_RUN``, ``RUNNING``, ``COMPLETED`` or ``FAILED``.
        total: runs it reaches (the dry run's count, or the batch's total once known).
        done: runs it has terminated (redriven).
        failed: runs it could not terminate (redrive).
    """

    job_id: str | None
    action: str
    state: str
    total: int
    done: int = 0
    failed: int = 0
