"""The child workflow that runs one batch of a big MAP's items.

A MAP of more items than one history should hold runs them batch by batch, each batch
a child workflow of the run, on the same task queue. The child reads the parent's
context (its revision is fixed while the MAP runs), runs its items with the MAP's
``maxConcurrency``, and answers their outputs in input order; the parent merges them.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from drift_worker.fanout import FanoutRun, run_items
    from drift_worker.fanout_plan import MAP_BATCH_WORKFLOW, BatchInput, BatchResult

__all__ = ["DriftMapBatchWorkflow"]


@workflow.defn(name=MAP_BATCH_WORKFLOW)
class DriftMapBatchWorkflow:
    """Runs items ``start`` to ``end`` of a MAP of a parent run."""

    @workflow.run
    async def run(self, batch: BatchInput) -> BatchResult:
        """Run the batch; answer each item's output, in input order."""
        spec = batch.plan.states[batch.owner].map
        if spec is None:
            msg = f"{batch.owner!r} is not a MAP state"
            raise ApplicationError(msg, type="NotAMap", non_retryable=True)
        fan = FanoutRun(
            tenant_id=batch.tenant_id,
            run_id=batch.run_id,
            plan=batch.plan,
            revision=batch.revision,
            records=list(batch.records),
        )
        return await run_items(
            fan, batch.owner, spec, batch.start, batch.end, may_fail=batch.may_fail
        )
