"""Temporal's refusals and failures as precise problem details.

The run workflow refuses updates in its validators with typed ``ApplicationError`` s
(``NotWaiting``, ``WrongView``, ``InvalidResume`` with every problem as details,
``NotStarted``, ``UnknownState``, ``AlreadyEnded``); Temporal itself answers "already
completed" for a run that has ended and ``NOT_FOUND`` for one that never was. Each
becomes the 404, 409 or 422 a client can act on.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateHandle
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from drift_api.problems import ApiError
from drift_models import Problem

__all__ = ["ended", "refusal_known", "refused", "refused_request", "rpc_error"]

_REQUEST_REFUSALS: Final = {
    RPCStatusCode.INVALID_ARGUMENT: (422, "Request Refused"),
    RPCStatusCode.FAILED_PRECONDITION: (409, "Request Refused"),
    RPCStatusCode.ALREADY_EXISTS: (409, "Run Id Taken"),
    RPCStatusCode.OUT_OF_RANGE: (422, "Request Refused"),
    RPCStatusCode.PERMISSION_DENIED: (403, "Request Refused"),
}
"""Temporal's refusals of a request that retrying cannot change."""

_REFUSALS: Final = {
    "NotWaiting": (409, "Not Waiting"),
    "WrongView": (409, "Wrong View"),
    "NotStarted": (409, "Not Started"),
    "AlreadyEnded": (409, "Run Ended"),
}


def refusal_known(handle: WorkflowUpdateHandle[Any]) -> bool:
    """Whether the server already answered the update with a refusal (a validator's).

    A rejected update comes back with its outcome, so no result needs to be awaited;
    the SDK keeps that outcome on the handle without a public accessor.
    """
    outcome = getattr(handle, "_known_outcome", None)
    return outcome is not None and bool(outcome.HasField("failure"))


def refused(error: WorkflowUpdateFailedError, run_id: str) -> ApiError:
    """An update the run refused, as a precise problem."""
    cause = error.cause
    if not isinstance(cause, ApplicationError):
        return ApiError(502, "Engine Error", f"run {run_id!r} could not handle the request")
    if cause.type == "InvalidResume":
        problems = [
            msgspec.convert(detail, Problem) for detail in cause.details if isinstance(detail, dict)
        ]
        return ApiError(
            422, "Invalid Answer", f"the answer does not fit the view: {cause.message}", problems
        )
    if cause.type == "UnknownState":
        return ApiError(
            422,
            "Unknown State",
            cause.message,
            [Problem(path="$.node", message=cause.message, code="state-unknown")],
        )
    status, title = _REFUSALS.get(cause.type or "", (409, "Conflict"))
    return ApiError(status, title, f"run {run_id!r}: {cause.message}")


def ended(error: RPCError) -> bool:
    """Whether Temporal refused a call because the run has closed (or was closing).

    An update that reaches a run in the workflow task that closes it is aborted with
    ``NOT_FOUND`` "workflow update was aborted by closing workflow".
    """
    return "already completed" in error.message or "aborted by closing workflow" in error.message


def refused_request(error: RPCError) -> bool:
    """Whether Temporal refused the request itself, so it did nothing with it.

    Any other failure (a timeout, a broken connection) may have come after Temporal
    acted on the request.
    """
    return error.status in _REQUEST_REFUSALS or error.status is RPCStatusCode.UNIMPLEMENTED


def rpc_error(error: RPCError, run_id: str, *, path: str = "$") -> ApiError:
    """A failed Temporal call as a precise problem.

    A refusal of the request itself (too large, malformed, over a limit of the
    namespace) is a ``4xx`` without ``Retry-After``: retrying the same request cannot
    succeed. Only a Temporal that cannot be reached or is overloaded is ``503``.
    """
    if ended(error):
        return ApiError(409, "Run Ended", f"run {run_id!r} has already ended")
    if error.status is RPCStatusCode.NOT_FOUND:
        return ApiError(404, "Run Not Found", f"there is no run {run_id!r}")
    refusal = _REQUEST_REFUSALS.get(error.status)
    if refusal is not None:
        status, title = refusal
        message = f"Temporal refused the request for run {run_id!r}: {_first_line(error.message)}"
        return ApiError(
            status, title, message, [Problem(path=path, message=message, code="engine-refused")]
        )
    return ApiError(
        503,
        "Engine Unavailable",
        f"Temporal could not be reached: {error.message}",
        headers={"Retry-After": "1"},
    )


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "no reason given"
