"""The runs pages: the list, the inbox of waiting runs, a run, its answer and its end.

Lists come from :func:`drift_api.console.run_list.list_runs` (the one seam: the runs
search of ``GET /v3/workflow``), the inbox's layouts from the definitions; a run's
answer goes through :meth:`RunGateway.resume` and a terminate through
:meth:`RunGateway.terminate`, the calls behind ``PUT /v3/workflow/resume/{runId}`` and
``DELETE /v3/workflow/terminate/{runId}``: the same checks, the same refusals.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Final

from litestar import Request, Response, get, post
from litestar.params import PathParameter
from litestar.response import Redirect

from drift_api.console.forms import answer_of, problems_by_widget, widgets_of
from drift_api.console.render import page
from drift_api.console.run_details import read_details, run_graph_svg
from drift_api.console.run_list import RunFilters, list_runs
from drift_api.console.run_live import fingerprint
from drift_api.console.waiting_views import layouts_of
from drift_api.console.web import BASE, Console, checked_form, first, signed_in_caller
from drift_api.problems import ApiError
from drift_api.run_list_routes import provide_search
from drift_api.run_query import ID_PATTERN
from drift_models import ResumeRequest, RunStatus, RunSummary, TerminateRequest

__all__ = ["graph_svg", "inbox", "resume", "run_page", "runs_page", "show_run", "terminate"]

RunId = Annotated[str, PathParameter(pattern=r"^[\w.:\-]{1,200}$")]
_LIVE: Final = frozenset({RunStatus.CREATED, RunStatus.RUNNING, RunStatus.SCHEDULER_WAITING})


def _time(text: str | None, name: str, problems: list[str]) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        problems.append(f"{name}: {text[:40]!r} is not a time; use YYYY-MM-DDTHH:MM (UTC)")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _identifier(text: str | None, name: str, problems: list[str]) -> str | None:
    if not text:
        return None
    if re.match(ID_PATTERN, text) is None:
        problems.append(f"{name}: {text[:40]!r} is not an id; use letters, digits and _ . : @ -")
        return None
    return text


def _filters(request: Request[Any, Any, Any], problems: list[str]) -> RunFilters:
    query = request.query_params
    status = None
    if query.get("status"):
        try:
            status = RunStatus(query["status"])
        except ValueError:
            problems.append(f"status: {query['status'][:40]!r} is not a run status")
    return RunFilters(
        status=status,
        workflow=_identifier(query.get("workflow"), "workflow", problems),
        node=_identifier(query.get("node"), "node", problems),
        started_after=_time(query.get("after"), "started after", problems),
        started_before=_time(query.get("before"), "started before", problems),
        cursor=query.get("cursor") or None,
    )


@get("/runs", include_in_schema=False)
async def runs_page(request: Request[Any, Any, Any]) -> Response[str]:
    """The tenant's runs, newest first, with the runs search's filters."""
    console, caller = await signed_in_caller(request)
    problems: list[str] = []
    filters = _filters(request, problems)
    search = await provide_search(request.app.state)
    listed = await list_runs(search, caller, filters) if not problems else None
    query = {k: v for k, v in request.query_params.items() if k != "cursor" and v}
    context = console.context(
        title="Runs",
        page=listed,
        filters=filters,
        query=query,
        problems=problems,
        statuses=list(RunStatus),
    )
    return page("runs.html", context, status=400 if problems else 200)


@get("/inbox", include_in_schema=False)
async def inbox(request: Request[Any, Any, Any]) -> Response[str]:
    """The runs waiting for a person's answer, grouped by layout and workflow."""
    console, caller = await signed_in_caller(request)
    problems: list[str] = []
    workflow = _identifier(request.query_params.get("workflow"), "workflow", problems)
    if problems:
        raise ApiError(400, "Invalid Filter", problems[0])
    filters = RunFilters(
        status=RunStatus.WAITING,
        workflow=workflow,
        cursor=request.query_params.get("cursor") or None,
        limit=25,
    )
    listed = await list_runs(await provide_search(request.app.state), caller, filters)
    layouts = await layouts_of(console.services.definitions, caller.tenant_id, listed.items)
    groups: dict[tuple[str, str], list[RunSummary]] = {}
    for run in listed.items:
        layout = layouts[run.workflow_id]
        groups.setdefault((layout, run.workflow_definition_id), []).append(run)
    context = console.context(
        title="Inbox",
        groups=sorted(groups.items()),
        workflow=workflow or "",
        next_cursor=listed.next_page_token,
    )
    return page("inbox.html", context)


async def show_run(
    console: Console,
    run_id: str,
    *,
    status: int = 200,
    posted: dict[str, list[str]] | None = None,
    refusal: ApiError | None = None,
    notice: str | None = None,
    result: tuple[str, Any] | None = None,
) -> Response[str]:
    """The run's page, with a refused answer's problems or an action's result."""
    caller = console.caller
    assert caller is not None  # noqa: S101 - only signed-in handlers get here
    runs, definitions = console.services.runs, console.services.definitions
    details = await read_details(runs, definitions, caller, run_id)
    widgets = widgets_of(details.state.view, details.rules) if details.state.view else []
    general: list[str] = []
    if refusal is not None:
        by_widget, general = problems_by_widget(refusal.errors)
        general = general or ([] if by_widget else [refusal.detail])
        for widget in widgets:
            widget.problems = by_widget.get(widget.id, [])
            widget.chosen = (posted or {}).get(widget.field, [])
    context = console.context(
        title=f"Run {run_id}",
        run_id=run_id,
        details=details,
        run=details.state,
        widgets=widgets,
        refusal=refusal,
        general_problems=general,
        notice=notice,
        result=result,
        live=details.state.workflow_status in _LIVE,
        watch=not details.state.workflow_status.is_final,
        fingerprint=fingerprint(details.state),
    )
    return page("run.html", context, status=status)


@get("/runs/{run_id:str}", include_in_schema=False)
async def run_page(request: Request[Any, Any, Any], run_id: RunId) -> Response[str]:
    """One run: state, graph, timeline, context and outputs, the view's form."""
    console, _ = await signed_in_caller(request)
    notice = request.query_params.get("done")
    return await show_run(console, run_id, notice=notice)


@get("/runs/{run_id:str}/graph.svg", include_in_schema=False, media_type="image/svg+xml")
async def graph_svg(request: Request[Any, Any, Any], run_id: RunId) -> Response[bytes]:
    """The run's workflow graph with its path and current state."""
    console, caller = await signed_in_caller(request)
    svg = await run_graph_svg(console.services.runs, console.services.definitions, caller, run_id)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@post("/runs/{run_id:str}/resume", include_in_schema=False, status_code=303)
async def resume(request: Request[Any, Any, Any], run_id: RunId) -> Response[Any]:
    """Answer the run's view; a refusal shows the API's problems beside the widgets."""
    console, caller = await signed_in_caller(request)
    form = await checked_form(request, console)
    state = (await console.services.runs.state(caller, run_id)).body
    if state.view is None:
        refusal = ApiError(409, "Not Waiting", f"run {run_id!r} shows no view to answer now")
        return await show_run(console, run_id, status=409, refusal=refusal)
    node = first(form, "node") or state.view.node
    answer = ResumeRequest(view_response=answer_of(state.view, form), node=node)
    try:
        await console.services.runs.resume(caller, run_id, answer)
    except ApiError as error:
        if error.status >= 500:  # noqa: PLR2004
            raise
        return await show_run(console, run_id, status=error.status, posted=form, refusal=error)
    return Redirect(f"{BASE}/runs/{run_id}?done=answered", status_code=303)


@post("/runs/{run_id:str}/terminate", include_in_schema=False, status_code=303)
async def terminate(request: Request[Any, Any, Any], run_id: RunId) -> Response[Any]:
    """Stop the run for good, once the person has confirmed it."""
    console, caller = await signed_in_caller(request)
    form = await checked_form(request, console)
    if first(form, "confirm") != "yes":
        refusal = ApiError(422, "Not Confirmed", "tick the confirmation box to terminate the run")
        return await show_run(console, run_id, status=422, refusal=refusal)
    reason = first(form, "reason").strip()[:1000] or None
    try:
        await console.services.runs.terminate(caller, run_id, TerminateRequest(reason=reason))
    except ApiError as error:
        if error.status >= 500:  # noqa: PLR2004
            raise
        return await show_run(console, run_id, status=error.status, refusal=error)
    return Redirect(f"{BASE}/runs/{run_id}?done=terminated", status_code=303)
