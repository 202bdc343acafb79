"""``GET /v3/workflow``: list (and count) the caller's runs through Temporal visibility.

Every filter is a typed query parameter, checked before it is used (ids by pattern,
statuses by enum, times as ISO 8601 with an offset); see :mod:`drift_api.run_query`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Annotated, Final

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter, QueryParameter

from drift_api.auth import Caller
from drift_api.dependencies import provide_caller, services_of
from drift_api.engine import RunListing
from drift_api.openapi import problems
from drift_api.problems import ApiError
from drift_api.run_query import ID_PATTERN, MAX_LIMIT, RunFilter
from drift_models import Problem, RunPage, RunStatus

__all__ = ["LIST_PARAMETERS", "RunListController", "provide_run_filter", "provide_search"]

LIST_PARAMETERS: Final = (
    "workflowDefinitionId",
    "version",
    "status",
    "currentNode",
    "clientId",
    "userId",
    "startedAfter",
    "startedBefore",
    "closedAfter",
    "closedBefore",
    "limit",
    "pageToken",
    "total",
)
"""The query parameters of ``GET /v3/workflow`` (what a console sends)."""

_SEARCH: Final = "run_search"


async def provide_search(state: State) -> RunListing:
    """The run search of this app (made once; page tokens sealed with the key pepper)."""
    search: RunListing | None = state.get(_SEARCH)
    if search is None:
        services = services_of(state)
        pepper = services.settings.api_key_pepper.encode()
        secret = hmac.new(pepper, b"drift page tokens", hashlib.sha256).digest() if pepper else None
        search = services.runs.engine.listing(secret=secret)
        state[_SEARCH] = search
    return search


TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})(?!\n)$"
"""An ISO 8601 time with its offset (what the time filters accept)."""


def _aware(name: str, text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    value: dt.datetime | None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        # The pattern let it by (it has the shape of a time), but no such time exists.
        message = f"{name} {text!r} is not a real time; e.g. 2026-12-01T12:00:00Z"
        raise ApiError(
            422,
            "Invalid Time",
            message,
            [Problem(path=f"$.{name}", message=message, code="time-invalid")],
        )
    return value


async def provide_run_filter(  # noqa: PLR0917 - one typed parameter per filter
    workflow_definition_id: Annotated[
        str | None,
        QueryParameter(
            name="workflowDefinitionId",
            pattern=ID_PATTERN,
            description="Runs of this workflow.",
        ),
    ] = None,
    version: Annotated[
        int | None, Parameter(ge=1, le=2**31, description="Runs pinned to this version.")
    ] = None,
    status: Annotated[
        list[RunStatus] | None,
        Parameter(description="Runs in any of these statuses (repeat it)."),
    ] = None,
    current_node: Annotated[
        str | None,
        QueryParameter(
            name="currentNode",
            pattern=ID_PATTERN,
            description="Runs at (or ended at) this state.",
        ),
    ] = None,
    client_id: Annotated[
        str | None,
        QueryParameter(
            name="clientId", pattern=ID_PATTERN, description="Runs started by this client."
        ),
    ] = None,
    user_id: Annotated[
        str | None,
        QueryParameter(name="userId", pattern=ID_PATTERN, description="Runs started by this user."),
    ] = None,
    started_after: Annotated[
        str | None,
        QueryParameter(
            name="startedAfter",
            pattern=TIME_PATTERN,
            description="Started at or after (ISO 8601).",
        ),
    ] = None,
    started_before: Annotated[
        str | None,
        QueryParameter(
            name="startedBefore",
            pattern=TIME_PATTERN,
            description="Started before (ISO 8601).",
        ),
    ] = None,
    closed_after: Annotated[
        str | None,
        QueryParameter(
            name="closedAfter",
            pattern=TIME_PATTERN,
            description="Closed at or after (ISO 8601).",
        ),
    ] = None,
    closed_before: Annotated[
        str | None,
        QueryParameter(
            name="closedBefore",
            pattern=TIME_PATTERN,
            description="Closed before (ISO 8601).",
        ),
    ] = None,
) -> RunFilter:
    """The filter of a listing or a bulk action, from its typed query parameters."""
    return RunFilter(
        workflow_definition_id=workflow_definition_id,
        version=version,
        statuses=tuple(status or ()),
        current_node=current_node,
        client_id=client_id,
        user_id=user_id,
        started_after=_aware("startedAfter", started_after),
        started_before=_aware("startedBefore", started_before),
        closed_after=_aware("closedAfter", closed_after),
        closed_before=_aware("closedBefore", closed_before),
    )


class RunListController(Controller):
    """Listing the caller's runs."""

    path = "/v3/workflow"
    tags = ["runs"]
    dependencies = {
        "caller": Provide(provide_caller),
        "search": Provide(provide_search),
        "run_filter": Provide(provide_run_filter),
    }

    @get(
        "/",
        summary="List runs",
        description=(
            "The caller's runs, newest first (open runs by start time, then closed runs by "
            "close time), filtered by any of the parameters (they combine with AND; several "
            "status values with OR). Page with pageToken = the previous page's "
            "nextPageToken and the same filters. total=true adds the number of matching runs."
        ),
        responses=problems(400, 422, 503),
    )
    async def list_runs(  # noqa: PLR0917 - typed parameters
        self,
        caller: NamedDependency[Caller],
        search: NamedDependency[RunListing],
        run_filter: NamedDependency[RunFilter],
        limit: Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="Runs per page.")] = 50,
        page_token: Annotated[
            str | None,
            QueryParameter(
                name="pageToken", max_length=4096, description="The previous page's nextPageToken."
            ),
        ] = None,
        total: Annotated[bool, Parameter(description="Also count the matching runs.")] = False,  # noqa: FBT002
    ) -> RunPage:
        """A page of the caller's runs."""
        return await search.page(
            caller.tenant_id, run_filter, limit=limit, page_token=page_token, total=total
        )
