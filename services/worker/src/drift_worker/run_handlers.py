"""The run's updates, query and signal: how callers drive and read a run.

``drift.state`` answers at the next stable point (sent with the start, it makes a
synchronous start), ``drift.resume`` answers a view, ``drift.utility`` runs a
disconnected state, ``drift.terminate`` stops the run, ``drift.event`` delivers an event
a WAIT state may wait for, and the ``state`` query reads the run now. Every update
answers the run's next stable state, so callers never poll; validators refuse what
cannot apply before anything is recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

from drift_models import (
    EventSignal,
    NodeStatus,
    ResumeInput,
    ResumeRules,
    RunStatus,
    TerminateInput,
    UtilityInput,
    UtilityResponse,
    WorkflowResponse,
)
from drift_models.engine import (
    QUERY_STATE,
    SIGNAL_EVENT,
    UPDATE_RESUME,
    UPDATE_STATE,
    UPDATE_TERMINATE,
    UPDATE_UTILITY,
)
from drift_nodes.resume import validate_resume
from drift_worker.node_activity import run_node_activity
from drift_worker.plan import ACTIVITY_UTILITY, UtilityStepRequest
from drift_worker.retries import failure_message
from drift_worker.run_state import as_builtins
from drift_worker.run_steps import RunSteps

__all__ = ["RunHandlers"]


class RunHandlers(RunSteps):
    """The updates, query and signal of the run workflow (their names are the engine's)."""

    @workflow.query(name=QUERY_STATE)
    def state(self) -> WorkflowResponse:
        """The run's state now (possibly between stable points)."""
        if self._status.is_stable:
            return self._response
        return self._build_response()

    @workflow.update(name=UPDATE_STATE)
    async def wait_stable(self) -> WorkflowResponse:
        """Answer as soon as the run is at a stable point."""
        await workflow.wait_condition(lambda: self._status.is_stable)
        return self._response

    @workflow.update(name=UPDATE_RESUME)
    async def resume(self, answer: ResumeInput) -> WorkflowResponse:
        """Answer the view; return the run's next stable state."""
        before = self._stable_points
        self._resume = answer
        await workflow.wait_condition(lambda: self._stable_points > before)
        return self._response

    @resume.validator
    def _validate_resume(self, answer: ResumeInput) -> None:
        if answer.answer_by is not None and workflow.now().timestamp() * 1000 > answer.answer_by:
            # Its caller was told that nothing was applied: applying it now would lie.
            msg = "the answer came after its caller had been told it was not applied"
            raise ApplicationError(msg, type="Expired", non_retryable=True)
        if self._status is not RunStatus.WAITING or self._resume is not None:
            msg = f"the run is {self._status}, not waiting for an answer"
            # The detail says whether the run is on its way (RUNNING): the API waits then.
            where = "answering" if self._resume is not None else self._status.value
            raise ApplicationError(msg, where, type="NotWaiting", non_retryable=True)
        if answer.node is not None and answer.node != self._current:
            msg = f"the run waits at {self._current!r}, not at {answer.node!r}"
            raise ApplicationError(msg, type="WrongView", non_retryable=True)
        if self._view is not None:
            problems = validate_resume(
                self._rules or ResumeRules(), self._view, answer.view_response
            )
            if problems:
                raise ApplicationError(
                    "; ".join(f"{p.path}: {p.message}" for p in problems),
                    *[as_builtins(p) for p in problems],
                    type="InvalidResume",
                    non_retryable=True,
                )

    @workflow.update(name=UPDATE_UTILITY)
    async def utility(self, call: UtilityInput) -> UtilityResponse:
        """Run a disconnected state without moving the run."""
        plan = self._require_plan()
        planned = plan.states[call.node]
        request = UtilityStepRequest(
            step=self._step_request(call.node, chain=False),
            parameters=call.parameters,
        )

        def attempt() -> Awaitable[UtilityResponse]:
            return run_node_activity(ACTIVITY_UTILITY, request, planned, UtilityResponse)

        answer: UtilityResponse
        try:
            answer = await self._until_stored(f"utility call of {call.node!r}", attempt)
        except FailureError as error:
            return UtilityResponse(
                node=call.node, status=NodeStatus.FAILED, error_message=failure_message(error)
            )
        return answer

    @utility.validator
    def _validate_utility(self, call: UtilityInput) -> None:
        if self._plan is None:
            raise ApplicationError(
                "the run is still starting", type="NotStarted", non_retryable=True
            )
        if call.node not in self._plan.states:
            known = ", ".join(self._plan.states)
            msg = f"{call.node!r} is not a state of this workflow (states: {known})"
            raise ApplicationError(msg, type="UnknownState", non_retryable=True)

    @workflow.update(name=UPDATE_TERMINATE)
    async def terminate(self, request: TerminateInput) -> WorkflowResponse:
        """Stop the run; return its final state."""
        self._terminate = request
        await workflow.wait_condition(lambda: self._status.is_final)
        return self._response

    @terminate.validator
    def _validate_terminate(self, request: TerminateInput) -> None:
        del request  # any reason is fine
        if self._status.is_final:
            msg = f"the run has already ended ({self._status})"
            raise ApplicationError(msg, type="AlreadyEnded", non_retryable=True)

    @workflow.signal(name=SIGNAL_EVENT)
    def event(self, event: EventSignal) -> None:
        """Receive an event a WAIT state may be waiting for."""
        self._events.setdefault(event.name, []).append(event.payload)
