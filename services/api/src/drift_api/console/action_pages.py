"""A run's other actions: call a utility (disconnected) state, send an event, redrive.

They go through the calls behind ``POST /v3/workflow/{runId}/disconnected-node/execute``,
``POST /v3/workflow/{runId}/event/{name}`` and ``POST /v3/workflow/{runId}/redrive``;
the run's page shows what they answered, or why they were refused.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Final

import msgspec
from litestar import Request, Response, post
from litestar.params import PathParameter
from litestar.response import Redirect

from drift_api.console.run_pages import show_run
from drift_api.console.web import BASE, checked_form, first, signed_in_caller
from drift_api.problems import ApiError
from drift_models import Problem, RedriveRequest, UtilityRequest

__all__ = ["redrive", "send_event", "utility_call"]

RunId = Annotated[str, PathParameter(pattern=r"^[\w.:\-]{1,200}$")]
_EVENT: Final = re.compile(r"^[\w.:\-]{1,128}$")
_MAX_JSON: Final = 64 * 1024


def _json(text: str, field: str) -> Any:
    """The JSON a text box holds (empty: ``None``).

    Raises:
        ApiError: 422 naming the line and column that is not JSON.
    """
    if not text.strip():
        return None
    if len(text) > _MAX_JSON:
        message = f"{field} is longer than {_MAX_JSON} characters"
        raise ApiError(
            422, "Too Long", message, [Problem(path=field, message=message, code="too-long")]
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        message = f"{field} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        raise ApiError(
            422, "Not JSON", message, [Problem(path=field, message=message, code="not-json")]
        ) from None


def _object(text: str) -> dict[str, Any]:
    parameters = _json(text, "parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise ApiError(422, "Not An Object", "parameters must be a JSON object")
    return parameters or {}


def _check_event(name: str) -> None:
    if not _EVENT.match(name):
        message = "an event name is 1-128 letters, digits, '_', '.', ':' or '-'"
        raise ApiError(422, "Bad Event Name", message)


@post("/runs/{run_id:str}/utility", include_in_schema=False, status_code=200)
async def utility_call(request: Request[Any, Any, Any], run_id: RunId) -> Response[str]:
    """Run a utility state of the run with the parameters given; show its answer."""
    console, caller = await signed_in_caller(request)
    form = await checked_form(request, console)
    try:
        parameters = _object(first(form, "parameters"))
        call = UtilityRequest(node=first(form, "node").strip(), parameters=parameters)
        answer = await console.services.runs.utility(caller, run_id, call)
    except ApiError as error:
        if error.status >= 500:  # noqa: PLR2004
            raise
        return await show_run(console, run_id, status=error.status, refusal=error)
    body = msgspec.to_builtins(answer.body)
    return await show_run(console, run_id, result=(f"Utility state {call.node}", body))


@post("/runs/{run_id:str}/event", include_in_schema=False, status_code=200)
async def send_event(request: Request[Any, Any, Any], run_id: RunId) -> Response[str]:
    """Deliver an event (a WAIT state may be waiting for it); show the state after."""
    console, caller = await signed_in_caller(request)
    form = await checked_form(request, console)
    name = first(form, "event").strip()
    try:
        _check_event(name)
        payload = _json(first(form, "payload"), "payload")
        await console.services.runs.event(caller, run_id, name, payload)
    except ApiError as error:
        if error.status >= 500:  # noqa: PLR2004
            raise
        return await show_run(console, run_id, status=error.status, refusal=error)
    return await show_run(console, run_id, result=(f"Event {name} delivered", payload))


@post("/runs/{run_id:str}/redrive", include_in_schema=False, status_code=303)
async def redrive(request: Request[Any, Any, Any], run_id: RunId) -> Response[Any]:
    """Continue a FAILED run at the state that failed, once confirmed; show where it got to."""
    console, caller = await signed_in_caller(request)
    form = await checked_form(request, console)
    if first(form, "confirm") != "yes":
        refusal = ApiError(422, "Not Confirmed", "tick the confirmation box to redrive the run")
        return await show_run(console, run_id, status=422, refusal=refusal)
    try:
        await console.services.runs.redrive(caller, run_id, RedriveRequest())
    except ApiError as error:
        if error.status >= 500:  # noqa: PLR2004
            raise
        return await show_run(console, run_id, status=error.status, refusal=error)
    return Redirect(f"{BASE}/runs/{run_id}?done=redriven", status_code=303)
