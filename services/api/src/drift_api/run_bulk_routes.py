"""``/v3/bulk``: terminate or redrive a filter's runs (the listing's parameters); follow it."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter, QueryParameter

from drift_api.auth import Caller
from drift_api.dependencies import provide_caller, services_of
from drift_api.openapi import problems
from drift_api.run_bulk import BulkRuns
from drift_api.run_bulk_redrive import BulkRedrives
from drift_api.run_list_routes import provide_run_filter
from drift_api.run_query import RunFilter
from drift_models import BulkJob

__all__ = ["BulkController"]


async def provide_bulk(state: State) -> BulkRuns:
    """The bulk actions of this app."""
    bulk: BulkRuns | None = state.get("run_bulk")
    if bulk is None:
        runs = services_of(state).runs
        bulk = BulkRuns(runs.client, BulkRedrives(runs.client, runs))
        state["run_bulk"] = bulk
    return bulk


class BulkController(Controller):
    """Bulk actions on the caller's runs."""

    path = "/v3/bulk"
    tags = ["runs"]
    dependencies = {
        "caller": Provide(provide_caller),
        "bulk": Provide(provide_bulk),
        "run_filter": Provide(provide_run_filter),
    }

    @post(
        "/terminate",
        status_code=202,
        summary="Terminate every open run of a filter",
        description=(
            "The filter takes the parameters of GET /v3/workflow. dryRun=true only counts "
            "the runs it would reach. Otherwise a Temporal batch operation terminates them; "
            "follow it with GET /v3/bulk/{jobId}."
        ),
        responses=problems(400, 409, 422, 503),
    )
    async def terminate(
        self,
        caller: NamedDependency[Caller],
        bulk: NamedDependency[BulkRuns],
        run_filter: NamedDependency[RunFilter],
        reason: Annotated[str, Parameter(max_length=500, pattern=r"^[^\x00-\x1f]*$")] = "bulk",
        dry_run: Annotated[bool, QueryParameter(name="dryRun")] = False,  # noqa: FBT002
    ) -> BulkJob:
        """Start (or count) a bulk terminate."""
        return await bulk.terminate(caller.tenant_id, run_filter, reason=reason, dry_run=dry_run)

    @post(
        "/redrive",
        status_code=202,
        summary="Redrive every FAILED run of a filter",
        description=(
            "The filter takes the parameters of GET /v3/workflow; only FAILED runs are taken "
            "(a redriven run's superseded attempts are not). dryRun=true only counts them. "
            "Otherwise a job of this API process redrives them a few at a time, each "
            "answering at once; follow it with GET /v3/bulk/{jobId} on the same process."
        ),
        responses=problems(400, 409, 422, 503),
    )
    async def redrive(
        self,
        caller: NamedDependency[Caller],
        bulk: NamedDependency[BulkRuns],
        run_filter: NamedDependency[RunFilter],
        dry_run: Annotated[bool, QueryParameter(name="dryRun")] = False,  # noqa: FBT002
    ) -> BulkJob:
        """Start (or count) a bulk redrive."""
        return await bulk.redrive(caller.tenant_id, run_filter, dry_run=dry_run)

    @get("/{job_id:str}", summary="A bulk action's progress", responses=problems(404, 503))
    async def job(
        self,
        caller: NamedDependency[Caller],
        bulk: NamedDependency[BulkRuns],
        job_id: Annotated[str, Parameter(max_length=300)],
    ) -> BulkJob:
        """How far the job has come."""
        return await bulk.job(caller.tenant_id, job_id)
