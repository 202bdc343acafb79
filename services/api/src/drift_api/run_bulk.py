"""Bulk terminate on a filter, through a Temporal batch operation; bulk redrive beside it.

The batch's visibility query is the listing's (:mod:`drift_api.run_query`, tenant
sealed), so it reaches exactly the runs ``GET /v3/workflow`` shows for the same filter.
Its job id starts with the tenant, and reading a job of another tenant is a 404. A dry
run only counts. Temporal terminates the runs (their post-completion states do not run);
each run's stored status follows at its next read (decision #41). A bulk redrive is a
job of the API process (:mod:`drift_api.run_bulk_redrive`), read through the same
``job`` call.

Every Temporal call here is bounded (``timeout``, 10 s): a Temporal that does not answer
makes a bulk call a ``503`` in bounded time, never a hang. A batch start Temporal did not
confirm may still have started, so its answer says so and names the job to read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Final

from temporalio.api.batch.v1 import BatchOperationTermination
from temporalio.api.enums.v1 import BatchOperationState
from temporalio.api.workflowservice.v1 import (
    DescribeBatchOperationRequest,
    StartBatchOperationRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from drift_api.engine_errors import refused_request
from drift_api.problems import ApiError
from drift_api.run_bulk_redrive import BulkRedrives
from drift_api.run_query import RunFilter, visibility_query
from drift_models import BulkJob, RunStatus

__all__ = ["BulkRuns"]

_STATES: Final = {
    BatchOperationState.BATCH_OPERATION_STATE_RUNNING: "RUNNING",
    BatchOperationState.BATCH_OPERATION_STATE_COMPLETED: "COMPLETED",
    BatchOperationState.BATCH_OPERATION_STATE_FAILED: "FAILED",
}
_OPEN: Final = (
    RunStatus.CREATED,
    RunStatus.RUNNING,
    RunStatus.WAITING,
    RunStatus.SCHEDULER_WAITING,
)


class BulkRuns:
    """Starts and reads bulk actions for a tenant.

    Args:
        client: the Temporal client.
        redrives: runs bulk redrives (none: bulk redrive is refused).
        timeout: seconds one Temporal call may take.
    """

    def __init__(
        self, client: Client, redrives: BulkRedrives | None = None, *, timeout: float = 10.0
    ) -> None:
        self._client = client
        self._redrives = redrives
        self._timeout = dt.timedelta(seconds=timeout)

    async def redrive(self, tenant: str, run_filter: RunFilter, *, dry_run: bool) -> BulkJob:
        """Redrive every FAILED run of the tenant that matches ``run_filter``."""
        if self._redrives is None:
            raise ApiError(409, "Bulk Redrive Unavailable", "this API process cannot redrive")
        try:
            if dry_run:
                count = await self._redrives.count(tenant, run_filter)
                return BulkJob(job_id=None, action="redrive", state="DRY_RUN", total=count)
            job = await self._redrives.start(tenant, run_filter)
        except RPCError as error:
            raise _engine(error) from None
        return BulkJob(job_id=job.job_id, action="redrive", state="RUNNING", total=job.total)

    async def terminate(
        self, tenant: str, run_filter: RunFilter, *, reason: str, dry_run: bool
    ) -> BulkJob:
        """Terminate every open run of the tenant that matches ``run_filter``."""
        # Only open runs can be terminated; a filter naming ended statuses reaches none.
        statuses = tuple(s for s in (run_filter.statuses or _OPEN) if s in _OPEN)
        query = (
            visibility_query(tenant, dataclasses.replace(run_filter, statuses=statuses))
            if statuses
            else None
        )
        try:
            counted = (
                None
                if query is None
                else await self._client.count_workflows(query, rpc_timeout=self._timeout)
            )
        except RPCError as error:
            raise _engine(error) from None
        count = 0 if counted is None else counted.count
        if dry_run or query is None or count == 0:
            return BulkJob(
                job_id=None,
                action="terminate",
                state="DRY_RUN" if dry_run else "COMPLETED",
                total=count,
            )
        job_id = f"{tenant}.bulk.{uuid.uuid4().hex}"
        try:
            await self._client.workflow_service.start_batch_operation(
                StartBatchOperationRequest(
                    namespace=self._client.namespace,
                    visibility_query=query,
                    job_id=job_id,
                    reason=f"drift bulk terminate: {reason}",
                    termination_operation=BatchOperationTermination(),
                ),
                timeout=self._timeout,
            )
        except RPCError as error:
            if error.status is RPCStatusCode.RESOURCE_EXHAUSTED:
                raise ApiError(
                    409,
                    "Bulk Action Busy",
                    "Temporal is running as many batch operations in this namespace as it "
                    f"allows ({error.message}); wait for a running bulk job to end, then retry",
                ) from None
            if refused_request(error):
                raise _engine(error) from None
            # The call may have reached Temporal before it broke off: the job may exist.
            raise _unconfirmed(job_id, error) from None
        return BulkJob(job_id=job_id, action="terminate", state="RUNNING", total=count)

    async def job(self, tenant: str, job_id: str) -> BulkJob:
        """A job's progress; 404 for a job of another tenant (or none)."""
        if not job_id.startswith(f"{tenant}.bulk."):
            raise _unknown(job_id)
        redriving = None if self._redrives is None else self._redrives.job(job_id)
        if redriving is not None:
            return BulkJob(
                job_id=job_id,
                action="redrive",
                state="COMPLETED" if redriving.finished else "RUNNING",
                total=redriving.total,
                done=redriving.done,
                failed=redriving.failed,
            )
        try:
            found = await self._client.workflow_service.describe_batch_operation(
                DescribeBatchOperationRequest(namespace=self._client.namespace, job_id=job_id),
                timeout=self._timeout,
            )
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise _unknown(job_id) from None
            raise _engine(error) from None
        return BulkJob(
            job_id=job_id,
            action="terminate",
            state=_STATES.get(found.state, "RUNNING"),
            total=found.total_operation_count,
            done=found.complete_operation_count,
            failed=found.failure_operation_count,
        )


def _unknown(job_id: str) -> ApiError:
    return ApiError(404, "Job Not Found", f"there is no bulk job {job_id!r}")


def _unconfirmed(job_id: str, error: RPCError) -> ApiError:
    return ApiError(
        503,
        "Bulk Job Unconfirmed",
        f"Temporal did not confirm the bulk job {job_id!r} ({error.message}): it may have "
        f"started. Read GET /v3/bulk/{job_id} before sending the bulk action again (404: it "
        "did not start)",
        headers={"Retry-After": "1"},
        extensions={"jobId": job_id},
    )


def _engine(error: RPCError) -> ApiError:
    return ApiError(
        503,
        "Engine Unavailable",
        f"Temporal could not run the bulk action: {error.message}",
        headers={"Retry-After": "1"},
    )
