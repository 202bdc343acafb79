"""Bulk redrive on a filter: a bounded job in the API process.

Temporal's batch operations know nothing of Drift's redrive (a new execution with the
failed attempt's point), so the API runs the job itself: it lists the FAILED runs of
the filter (the listing's query, tenant sealed, superseded attempts left out), then
redrives them a few at a time without waiting for each (``202`` starts, no sync place
held). The job's id starts with the tenant like a batch's; its progress is kept in
memory by the API process that runs it, so ``GET /v3/bulk/{jobId}`` answers on that
process (a job is lost when the process stops; its redrives so far stay done).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import uuid
from collections import OrderedDict
from typing import Final

from temporalio.client import Client

from drift_api.engine import Engine
from drift_api.problems import ApiError
from drift_api.run_attempts import Attempts
from drift_api.run_query import RunFilter, visibility_query
from drift_models import RedriveRequest, RunStatus

__all__ = ["MAX_BULK_REDRIVE", "BulkRedrives", "RedriveJob"]

MAX_BULK_REDRIVE: Final = 10_000
"""The most runs one bulk redrive takes (narrow the filter beyond)."""
_AT_ONCE: Final = 8
_KEPT_JOBS: Final = 256
_LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class RedriveJob:
    """A bulk redrive's progress.

    Attributes:
        job_id: its id.
        total: runs it takes.
        done: runs redriven.
        failed: runs that could not be redriven (refused, or Temporal away).
        finished: whether every run has been tried.
    """

    job_id: str
    total: int
    done: int = 0
    failed: int = 0
    finished: bool = False


class BulkRedrives:
    """Starts bulk redrives and keeps their progress.

    Args:
        client: the Temporal client.
        runs: redrives one run.
        timeout: seconds one visibility call may take.
    """

    def __init__(self, client: Client, runs: Engine, *, timeout: float = 10.0) -> None:
        self._client = client
        self._runs = runs
        self._timeout = dt.timedelta(seconds=timeout)
        self._attempts = Attempts(client, timeout=self._timeout)
        self._jobs: OrderedDict[str, RedriveJob] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    async def count(self, tenant: str, run_filter: RunFilter) -> int:
        """How many FAILED runs of the filter a bulk redrive would take."""
        query = _failed_query(tenant, run_filter)
        if query is None:
            return 0
        counted = await self._client.count_workflows(query, rpc_timeout=self._timeout)
        superseded = await self._attempts.superseded_count(tenant, query, run_filter)
        return counted.count - superseded

    async def start(self, tenant: str, run_filter: RunFilter) -> RedriveJob:
        """Start redriving every FAILED run of the filter.

        Raises:
            ApiError: 409 when the filter takes more than :data:`MAX_BULK_REDRIVE` runs.
            RPCError: when Temporal cannot list them.
        """
        run_ids = await self._failed_runs(tenant, run_filter)
        job = RedriveJob(job_id=f"{tenant}.bulk.{uuid.uuid4().hex}", total=len(run_ids))
        self._jobs[job.job_id] = job
        while len(self._jobs) > _KEPT_JOBS:
            self._jobs.popitem(last=False)
        task = asyncio.create_task(self._run(tenant, job, run_ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def job(self, job_id: str) -> RedriveJob | None:
        """A job this process runs (or ran), if any."""
        return self._jobs.get(job_id)

    async def _failed_runs(self, tenant: str, run_filter: RunFilter) -> list[str]:
        query = _failed_query(tenant, run_filter)
        if query is None:
            return []
        listing = self._client.list_workflows(query, page_size=1000, rpc_timeout=self._timeout)
        run_ids: list[str] = []
        prefix = f"{tenant}/"
        while True:
            await listing.fetch_next_page()
            page = await self._attempts.current(tenant, listing.current_page or [])
            run_ids += [execution.id.removeprefix(prefix) for execution in page]
            if len(run_ids) > MAX_BULK_REDRIVE:
                raise ApiError(
                    409,
                    "Too Many Runs",
                    f"the filter takes more than {MAX_BULK_REDRIVE} FAILED runs; narrow it "
                    "(e.g. a closed time range) and redrive in parts",
                )
            if not listing.next_page_token:
                return list(dict.fromkeys(run_ids))

    async def _run(self, tenant: str, job: RedriveJob, run_ids: list[str]) -> None:
        gate = asyncio.Semaphore(_AT_ONCE)

        async def one(run_id: str) -> None:
            async with gate:
                try:
                    await self._runs.redrive(tenant, run_id, RedriveRequest(), wait=False)
                except Exception as error:  # noqa: BLE001 - one run's trouble is the job's count
                    job.failed += 1
                    _LOG.info("bulk redrive %s: run %s not redriven: %s", job.job_id, run_id, error)
                else:
                    job.done += 1

        try:
            await asyncio.gather(*(one(run_id) for run_id in run_ids))
        finally:
            job.finished = True


def _failed_query(tenant: str, run_filter: RunFilter) -> str | None:
    """The filter's query narrowed to FAILED runs; ``None`` when it names other statuses only."""
    if run_filter.statuses and RunStatus.FAILED not in run_filter.statuses:
        return None
    return visibility_query(tenant, dataclasses.replace(run_filter, statuses=(RunStatus.FAILED,)))
