"""The runtime API (``/v3``): start, resume, terminate, state, utility calls, events.

Status codes: ``200`` when a call reached the run's next stable point; ``202`` when it
answers before (async mode, or the sync timeout passed) with the current state; the
errors are problem details (see :mod:`drift_api.problems`).
"""

from __future__ import annotations

from typing import Annotated, Final, cast

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import HeaderParameter, JSONBody, Parameter

from drift_api.auth import Caller
from drift_api.dependencies import provide_caller, provide_runs
from drift_api.openapi import problems
from drift_api.problems import ApiError
from drift_api.runs import Answer, RunGateway
from drift_models import (
    EventRequest,
    Problem,
    RedriveRequest,
    ResumeRequest,
    RunHistory,
    StartRequest,
    TerminateRequest,
    UtilityRequest,
    UtilityResponse,
    WorkflowResponse,
)

__all__ = ["RunController"]

STATE_SOURCE: Final = "X-Drift-State-Source"
RUN_ID_PATTERN: Final = r"^[\w.:\-]{1,200}$"
EVENT_PATTERN: Final = r"^[\w.:\-]{1,128}$"

RunIdParameter = Annotated[
    str, Parameter(description="The run's id (its workflowId).", pattern=RUN_ID_PATTERN)
]

_LATER: Final = {
    202: ResponseSpec(
        data_container=WorkflowResponse,
        description="Accepted: the run goes on (async mode, or the sync timeout passed); "
        "the body is its current state.",
        generate_examples=False,
    )
}


def _reply(answer: Answer[WorkflowResponse]) -> Response[WorkflowResponse]:
    return Response(
        answer.body,
        status_code=200 if answer.complete else 202,
        headers={STATE_SOURCE: answer.source},
    )


class RunController(Controller):
    """Runs of the caller's tenant."""

    path = "/v3/workflow"
    tags = ["runs"]
    dependencies = {"caller": Provide(provide_caller), "runs": Provide(provide_runs)}

    @post(
        "/start",
        status_code=200,
        summary="Start a run",
        description=(
            "Starts a run of a workflow version (ACTIVE by default). Sync mode answers at the "
            "first stable point (a view, a timer, an end); with callbackUrl it answers 202 at "
            "once. A start with the workflowId of an existing run returns that run."
        ),
        responses={**_LATER, **problems(404, 409, 422, 429, 503)},
    )
    async def start(
        self,
        data: JSONBody[StartRequest],
        caller: NamedDependency[Caller],
        runs: NamedDependency[RunGateway],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                description="The run's id, when the body names none (the body's workflowId "
                "wins; the two must agree when both are given).",
                pattern=RUN_ID_PATTERN,
            ),
        ] = None,
    ) -> Response[WorkflowResponse]:
        """Start a run."""
        if idempotency_key is not None:
            if data.workflow_id not in {None, idempotency_key}:
                message = (
                    f"Idempotency-Key {idempotency_key!r} differs from the body's workflowId "
                    f"{data.workflow_id!r}; send one of them, or the same value"
                )
                raise ApiError(
                    422,
                    "Conflicting Run Ids",
                    message,
                    [Problem(path="$.workflowId", message=message, code="run-id-conflict")],
                )
            data = msgspec.structs.replace(data, workflow_id=idempotency_key)
        return _reply(await runs.start(caller, data))

    @put(
        "/resume/{run_id:str}",
        status_code=200,
        summary="Answer the view a run shows",
        responses={**_LATER, **problems(404, 409, 422, 429, 503)},
    )
    async def resume(
        self,
        run_id: RunIdParameter,
        data: JSONBody[ResumeRequest],
        caller: NamedDependency[Caller],
        runs: NamedDependency[RunGateway],
    ) -> Response[WorkflowResponse]:
        """Give the person's answer; the run moves to its next stable point."""
        return _reply(await runs.resume(caller, run_id, data))

    @delete(
        "/terminate/{run_id:str}",
        status_code=200,
        summary="Stop a run for good",
        responses={**_LATER, **problems(404, 409, 429, 503)},
    )
    async def terminate(
        self,
        run_id: RunIdParameter,
        caller: NamedDependency[Caller],
        runs: NamedDependency[RunGateway],
        reason: Annotated[
            str | None, Parameter(description="Why; recorded as the run's error.", max_length=1000)
        ] = None,
    ) -> Response[WorkflowResponse]:
        """Terminate a run; answer its final state."""
        return _reply(await runs.terminate(caller, run_id, TerminateRequest(reason=reason)))

    @post(
        "/{run_id:str}/redrive",
        status_code=200,
        summary="Continue a FAILED run from the state that failed",
        description=(
            "Continues a FAILED run at the state whose failure was final, with the context "
            "as it was before that state and the same run id; the states that had succeeded "
            "do not run again and the first attempt's history is kept. Sync like a start "
            "(the next stable point; 202 past the sync timeout, or at once with callbackUrl). "
            "409 when the run is not FAILED, has no redrive point (it ended at a failure "
            "state without a node failure), or was redriven as often as a run may be."
        ),
        responses={**_LATER, **problems(404, 409, 422, 429, 503)},
    )
    async def redrive(
        self,
        run_id: RunIdParameter,
        caller: NamedDependency[Caller],
        runs: NamedDependency[RunGateway],
        data: JSONBody[RedriveRequest | None] = None,
    ) -> Response[WorkflowResponse]:
        """Redrive a failed run."""
        return _reply(await runs.redrive(caller, run_id, data or RedriveRequest()))

    @get(
        "/{run_id:str}",
        summary="Read a run's state",
        responses=problems(404, 503),
    )
    async def state(
        self,
        run_id: RunIdParameter,
        caller: NamedDependency[Caller],
        runs: NamedDependency[RunGateway],
    ) -> Response[WorkflowResponse]:
        """The run's status, current node, view, disposition and error."""
        return _reply(await runs.state(caller, run_id))

    @get(
        "/{run_id:str}/history",
        summary="Read a run's node-by-node history",
        responses=problems(404, 503),
    )
    async def history(
        self,
        run_id: RunIdParameter,
        caller: NamedDependency[Caller],
        runs: NamedDependency[RunGateway],
    ) -> RunHistory:
        """What happened to the run, oldest first.

        Steps (with the states they ran), answers, utility calls, events, timers,
        failures and the end.
        """
        return await runs.engine.history(caller.tenant_id, run_id)

    @post(
        "/{run_id:str}/disconnected-node/execute",
        status_code=200,
        summary="Run a disconnected (utility) state",
        responses={**_LATER, **problems(404, 409, 422, 429, 503)},
    )
    async def utility(
        self,
        run_id: RunIdParameter,
        data: JSONBody[UtilityRequest],
        caller: NamedDependency[Caller],
        runs: NamedDependency[RunGateway],
    ) -> Response[UtilityResponse]:
        """Run a state that is off the main path; the run stays where it was."""
        answer = await runs.utility(caller, run_id, data)
        if isinstance(answer.body, UtilityResponse):
            return Response(answer.body)
        # The sync timeout passed: 202 with the run's state, as documented.
        return cast("Response[UtilityResponse]", Response(answer.body, status_code=202))

    @post(
        "/{run_id:str}/event/{name:str}",
        status_code=202,
        summary="Send an event to a run",
        description="A WAIT state waiting for this event continues; the answer is the state "
        "known right after the event was delivered.",
        responses=problems(404, 409, 503),
    )
    async def event(
        self,
        run_id: RunIdParameter,
        name: Annotated[str, Parameter(description="The event's name.", pattern=EVENT_PATTERN)],
        data: JSONBody[EventRequest],
        caller: NamedDependency[Caller],
        runs: NamedDependency[RunGateway],
    ) -> Response[WorkflowResponse]:
        """Deliver an event."""
        await runs.event(caller, run_id, name, data.payload)
        answer = await runs.state_after(caller, run_id)
        return Response(answer.body, status_code=202, headers={STATE_SOURCE: answer.source})
