"""The state of one run, and what it takes across continue-as-new.

:class:`RunState` holds what the run workflow knows of a run: its pinned plan, status,
current state, view, answer and events, and the response it last gave. It starts from a
run's input, from what a previous execution carried over (:class:`CarryOver`, on
continue-as-new) or from a redrive point, and it is what a stable point publishes: the
response, the search attributes that changed, a callback.
"""

from __future__ import annotations

from typing import Any

import msgspec
from temporalio import workflow
from temporalio.exceptions import ApplicationError

from drift_models import (
    RedrivePoint,
    ResumeInput,
    ResumeRules,
    RunInput,
    RunStatus,
    TerminateInput,
    View,
    WorkflowResponse,
)
from drift_models.visibility import run_attributes
from drift_worker.plan import CallbackRequest, CarryOver, Plan, Record
from drift_worker.search_attributes import changed, shown_by

__all__ = ["RunState", "RunTerminated", "StateFailed", "as_builtins"]


class RunTerminated(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside the run loop when a terminate request arrives."""


class StateFailed(Exception):  # noqa: N818 - a control-flow signal, not an error
    """A state failed for good; the run loop routes the failure.

    Args:
        state: the state that failed.
        message: why, for a person.
        records: values not written yet that the failure route must keep.
    """

    def __init__(self, state: str, message: str, records: list[Record] | None = None) -> None:
        super().__init__(message)
        self.state = state
        self.message = message
        self.records = records or []


class RunState:
    """What the run workflow knows of one run, and how a stable point shows it.

    Args:
        run: the execution's input (with a carry-over or a redrive point, if any).
    """

    def __init__(self, run: RunInput) -> None:
        carry = None if run.carry_over is None else msgspec.convert(run.carry_over, CarryOver)
        self._carry = carry
        self._input = msgspec.structs.replace(run, carry_over=None, redrive=None)
        self._plan: Plan | None = carry.plan if carry else None
        self._revision = carry.revision if carry else 0
        self._status = RunStatus.RUNNING if carry else RunStatus.CREATED
        self._current: str | None = carry.state if carry else None
        self._disposition: str | None = carry.disposition if carry else None
        self._view: View | None = None
        self._rules: ResumeRules | None = None
        self._error: str | None = None
        self._output: Any = None
        self._stable_points = carry.stable_points if carry else 0
        self._created_at = carry.created_at if carry else workflow.now()
        self._response = self._build_response()
        self._resume: ResumeInput | None = None
        self._terminate: TerminateInput | None = None
        self._events: dict[str, list[Any]] = dict(carry.events) if carry else {}
        self._callback_url = carry.callback_url if carry else run.callback_url
        self._callbacks: list[CallbackRequest] = []
        self._callbacks_busy = False
        self._child_runs = carry.child_runs if carry else 0
        self._shown = shown_by(workflow.info().typed_search_attributes)
        # Runs started with Drift's search attributes (by this API or a parent of this
        # engine) keep them current and close with their true Temporal status; runs
        # started before (recorded histories) keep the shape they were recorded with.
        self._visible = bool(self._shown)
        self._point: RedrivePoint | None = None
        self._redriven = run.redrive
        if run.redrive is not None:
            self._continue_from(run.redrive)

    def _continue_from(self, point: RedrivePoint) -> None:
        """Take the failed attempt's state over (a redrive)."""
        self._plan = msgspec.convert(point.plan, Plan)
        self._revision = point.closed_revision or point.revision
        self._status = RunStatus.RUNNING
        self._current = point.state
        self._disposition = point.disposition
        self._stable_points = point.stable_points
        self._created_at = point.created_at or self._created_at
        self._child_runs = point.child_runs
        self._response = self._build_response()

    def _end(self, status: RunStatus, *, error: str | None = None) -> None:
        if error is not None:
            self._error = error
        elif status is RunStatus.COMPLETED:
            self._error = None
        self._settle(status)

    def _settle(self, status: RunStatus) -> None:
        self._status = status
        if not status.is_final:
            # The run got past the failure: a later end redrives from a later failure.
            self._point = None
        self._stable_points += 1
        self._show()
        self._response = self._build_response()
        if self._callback_url:
            self._callbacks.append(
                CallbackRequest(
                    url=self._callback_url, body=self._response, sequence=self._stable_points
                )
            )

    def _show(self) -> None:
        """Upsert the search attributes that changed since Temporal last heard of them.

        Only changed values travel, in the workflow task that reached the stable point:
        one history event, never an extra task.
        """
        plan = self._plan
        thread = self._input.thread_context
        wanted = run_attributes(
            tenant=self._input.tenant_id,
            workflow=plan.workflow_id if plan else self._input.workflow_definition_id,
            version=plan.workflow_version if plan else None,
            status=self._status.value,
            node=self._current,
            client=thread.client_id if thread else None,
            user=thread.user_id if thread else None,
            attempt=self._input.redrive_count,
        )
        updates = changed(self._shown, wanted)
        if updates and self._visible:
            workflow.upsert_search_attributes(updates)
            self._shown.update(wanted)

    def _build_response(self) -> WorkflowResponse:
        plan = self._plan
        return WorkflowResponse(
            workflow_id=self._input.run_id,
            workflow_status=self._status,
            workflow_definition_id=plan.workflow_id if plan else self._input.workflow_definition_id,
            workflow_version=plan.workflow_version if plan else None,
            current_node=self._current,
            disposition=self._disposition,
            error_message=self._error,
            view=self._view,
            output=self._output,
            created_at=self._created_at,
            updated_at=workflow.now(),
        )

    def _require_plan(self) -> Plan:
        if self._plan is None:
            raise ApplicationError("the run has not started yet", type="NotStarted")
        return self._plan

    def _should_continue_as_new(self) -> bool:
        # An update still waiting for a stable point cannot cross into a new run, so a
        # long stretch without one keeps its history until the caller has its answer.
        if not workflow.all_handlers_finished():
            return False
        plan = self._plan
        info = workflow.info()
        too_long = plan is not None and info.get_current_history_length() >= plan.history_limit
        return too_long or info.is_continue_as_new_suggested()

    async def _continue_as_new(self, state: str, records: list[Record]) -> None:
        await workflow.wait_condition(
            lambda: (
                workflow.all_handlers_finished()
                and not self._callbacks
                and not self._callbacks_busy
            )
        )
        carry = CarryOver(
            plan=self._require_plan(),
            state=state,
            records=records,
            revision=self._revision,
            disposition=self._disposition,
            stable_points=self._stable_points,
            created_at=self._created_at,
            events=self._events,
            callback_url=self._callback_url,
            child_runs=self._child_runs,
        )
        workflow.continue_as_new(
            msgspec.structs.replace(self._input, carry_over=msgspec.to_builtins(carry))
        )


def as_builtins(value: Any) -> Any:
    """``value`` as JSON-like builtins (what recorded payloads and failure details hold)."""
    return msgspec.to_builtins(value)
