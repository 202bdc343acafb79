"""Redrive: where a FAILED run can be continued from, once the cause of its failure is fixed.

When a state's failure is final (before the failure route or ``defaultFailureNode``
runs), the engine records a *redrive point*: the state that failed, the values it had
not written yet, the pinned plan, the context's revision, and the key of a snapshot of
the stored context at that moment (the context before that state, in the store's
content-addressed blobs). A run that ends FAILED carries its point in the failure its
Temporal execution closes with; a redrive starts a new execution with the same workflow
id and the point in its :class:`~drift_models.engine.RunInput`, which restores the
context and goes on at the failed state. The first attempt's history stays as it was.

Plain data only: the engine's own parts (the plan, the pending records) travel as JSON
the API never looks into.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from drift_models._base import ApiStruct

__all__ = ["DEFAULT_MAX_REDRIVES", "RUN_FAILED", "RedrivePoint"]

RUN_FAILED: Final = "DriftRunFailed"
"""The ``ApplicationError`` type a FAILED run's execution fails with; its first detail is
the run's redrive point, when it has one."""

DEFAULT_MAX_REDRIVES: Final = 10
"""How many times one run may be redriven unless a setting says otherwise."""


class RedrivePoint(ApiStruct, kw_only=True):
    """Where a failed attempt of a run can be continued from.

    Attributes:
        state: the state whose failure was final.
        error_message: why it failed.
        snapshot: the blob key of the stored context as it was before ``state`` ran.
        revision: the context's revision the snapshot was taken at.
        closed_revision: the stored revision when the attempt closed (a redrive restores
            only a context still at this revision and FAILED).
        plan: the pinned plan (engine JSON).
        records: values the failed state had not written yet (engine JSON).
        redrives: how many redrives of the run came before this attempt.
        created_at: when the run first started.
        disposition: the disposition so far.
        stable_points: the stable points the run had passed (callbacks keep counting).
        child_runs: the child runs the run had started (child ids stay unique).
        failed_run_id: the Temporal run id of the failed attempt, set by the redrive
            (the run's history reads its attempts in order through it).
    """

    state: str
    error_message: str | None = None
    snapshot: str
    revision: int
    closed_revision: int | None = None
    plan: Any = None
    records: list[Any] = []
    redrives: int = 0
    created_at: dt.datetime | None = None
    disposition: str | None = None
    stable_points: int = 0
    child_runs: int = 0
    failed_run_id: str | None = None
