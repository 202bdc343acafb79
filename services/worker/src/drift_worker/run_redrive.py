"""Redrive points: what a failed run keeps so that a redrive can go on at its failure.

When a state's failure is final, the run keeps a snapshot of the context before that
state (a local activity writes it to the store's blobs) with the plan and the records
still to write; a FAILED run closes with that point in its failure. A redrive starts a
new execution with the point in its input: the context is restored, and the run goes on
at the failed state (:mod:`drift_worker.redrive_steps`, :class:`drift_models.RedrivePoint`).
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import FailureError

from drift_models import RedrivePoint, RunStatus
from drift_worker.plan import Record
from drift_worker.redrive_steps import (
    ACTIVITY_RESTORE,
    ACTIVITY_SNAPSHOT,
    RestoreRequest,
    SnapshotRequest,
)
from drift_worker.retries import failure_message
from drift_worker.run_state import StateFailed, as_builtins
from drift_worker.run_steps import ENGINE_RETRY, ENGINE_TIMEOUT, RunSteps

__all__ = ["RunRedrive"]


class RunRedrive(RunSteps):
    """Keeps a failed run's redrive point, and restores one when a redrive starts."""

    async def _restore(self, point: RedrivePoint) -> str | None:
        """Put the failed attempt's context back; answer the state to go on at."""
        request = RestoreRequest(
            tenant_id=self._input.tenant_id,
            run_id=self._input.run_id,
            snapshot=point.snapshot,
            expected_revision=point.closed_revision or point.revision,
            state=point.state,
        )
        try:
            self._revision = await self._until_stored(
                "restoring the context for the redrive",
                lambda: workflow.execute_local_activity(
                    ACTIVITY_RESTORE,
                    request,
                    result_type=int,
                    start_to_close_timeout=ENGINE_TIMEOUT,
                    retry_policy=ENGINE_RETRY,
                ),
            )
        except FailureError as error:
            # Nothing was changed: the run stays the failed attempt, still redrivable.
            self._point = point
            self._end(RunStatus.FAILED, error=failure_message(error))
            return None
        return point.state

    async def _redrive_point(
        self, failure: StateFailed, records: list[Record]
    ) -> RedrivePoint | None:
        """Keep where a redrive would continue from: ``failure``'s state, before it ran."""
        # No patch marker: one asked for where a step's failure resolves could answer
        # differently on replay (decision 63). Runs without Drift's search attributes
        # (started by 0.2, the recorded v1 histories) never take a point.
        if not self._visible:
            return None
        request = SnapshotRequest(
            tenant_id=self._input.tenant_id, run_id=self._input.run_id, revision=self._revision
        )
        try:
            key = await self._until_stored(
                "keeping the context for a redrive",
                lambda: workflow.execute_local_activity(
                    ACTIVITY_SNAPSHOT,
                    request,
                    start_to_close_timeout=ENGINE_TIMEOUT,
                    retry_policy=ENGINE_RETRY,
                ),
            )
        except FailureError as error:
            workflow.logger.warning("no redrive point: %s", failure_message(error))
            return None
        if not isinstance(key, str):
            return None
        return RedrivePoint(
            state=failure.state,
            error_message=failure.message,
            snapshot=key,
            revision=self._revision,
            plan=as_builtins(self._require_plan()),
            records=[as_builtins(record) for record in records],
            redrives=self._input.redrive_count,
            created_at=self._created_at,
            disposition=self._disposition,
            stable_points=self._stable_points,
            child_runs=self._child_runs,
        )
