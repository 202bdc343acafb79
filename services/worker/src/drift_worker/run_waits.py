"""Where a run waits: for a person's answer, a timer or an event, or a child run.

Each wait is a stable point (the run shows WAITING or SCHEDULER_WAITING, or goes on
with its child) and each gives way to a terminate request (:meth:`RunWaits._race`). They
act on the transition the step answered (:class:`~drift_nodes.ViewShown`,
:class:`~drift_nodes.Wait`, :class:`~drift_nodes.Child`) and answer the state to go on
at with the values to record first.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

from drift_models import (
    ResumeInput,
    RunInput,
    RunStatus,
    WorkflowResponse,
    temporal_workflow_id,
)
from drift_models.engine import WORKFLOW_NAME
from drift_models.visibility import run_attributes
from drift_nodes.transitions import Child, ViewShown, Wait
from drift_worker.plan import Record
from drift_worker.retries import failure_message
from drift_worker.run_state import RunTerminated, StateFailed, as_builtins
from drift_worker.run_steps import RunSteps
from drift_worker.search_attributes import start_attributes

__all__ = ["RunWaits"]


class RunWaits(RunSteps):
    """Waits for answers, timers, events and child runs; each yields to a terminate."""

    async def _race(self, awaitable: Any) -> Any:
        """Await ``awaitable`` unless a terminate request comes first."""
        task = asyncio.ensure_future(awaitable)
        stop = asyncio.ensure_future(workflow.wait_condition(lambda: self._terminate is not None))
        await workflow.wait([task, stop], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            stop.cancel()
            return task.result()
        task.cancel()
        raise RunTerminated

    async def _await_resume(self, shown: ViewShown) -> tuple[str, list[Record]]:
        self._view = shown.view
        self._rules = shown.rules
        self._resume = None
        self._settle(RunStatus.WAITING)
        await self._race(workflow.wait_condition(lambda: self._resume is not None))
        answer = cast("ResumeInput | None", self._resume)
        if answer is None:  # pragma: no cover - the condition above guarantees it
            raise StateFailed(shown.state, "the resume went missing")
        self._resume = None
        if answer.callback_url is not None:
            self._callback_url = answer.callback_url
        self._view = None
        self._rules = None
        self._status = RunStatus.RUNNING
        if shown.next_node is None:
            msg = f"{shown.state!r} has no nextNode to go to after the resume"
            raise StateFailed(shown.state, msg)
        value = as_builtins(answer.view_response)
        return shown.next_node, [Record(key=f"{shown.state}:viewResponse", value=value)]

    async def _await_wait(self, wait: Wait) -> tuple[str, list[Record]]:
        state = wait.state
        self._settle(RunStatus.SCHEDULER_WAITING)
        target = wait.next_node
        records: list[Record] = []
        if wait.event is None:
            if wait.duration_seconds is not None:
                delay = timedelta(seconds=wait.duration_seconds)
            else:
                delay = (wait.until - workflow.now()) if wait.until else timedelta(0)
            if delay > timedelta(0):
                await self._race(workflow.sleep(delay))
            records = [Record(key=state, value={"waitedUntil": workflow.now().isoformat()})]
        else:
            name = wait.event
            timeout = timedelta(seconds=wait.timeout_seconds) if wait.timeout_seconds else None
            try:
                await self._race(
                    workflow.wait_condition(lambda: bool(self._events.get(name)), timeout=timeout)
                )
            except TimeoutError:
                target = wait.timeout_node or wait.next_node
                records = [Record(key=state, value={"event": name, "timedOut": True})]
            else:
                payload = self._events[name].pop(0)
                records = [Record(key=state, value=payload)]
        self._status = RunStatus.RUNNING
        if target is None:
            raise StateFailed(state, f"{state!r} has no nextNode to go to after waiting")
        return target, records

    async def _run_child(self, child: Child) -> tuple[str, list[Record]]:
        state = child.state
        self._child_runs += 1
        child_run_id = f"{self._input.run_id}.{state}.{self._child_runs}"
        request = RunInput(
            tenant_id=self._input.tenant_id,
            run_id=child_run_id,
            workflow_definition_id=child.workflow_id,
            version=child.version,  # type: ignore[arg-type]
            params=child.params,
            thread_context=self._input.thread_context,
            parent_run_id=self._input.run_id,
            # The parent does not read the child's definitions: the child checks.
            start_activity="local",
        )
        handle = await workflow.start_child_workflow(
            WORKFLOW_NAME,
            request,
            id=temporal_workflow_id(self._input.tenant_id, child_run_id),
            result_type=WorkflowResponse,
            search_attributes=start_attributes(
                run_attributes(
                    tenant=request.tenant_id,
                    workflow=request.workflow_definition_id,
                    version=request.version if isinstance(request.version, int) else None,
                    status=RunStatus.RUNNING.value,
                    client=request.thread_context.client_id if request.thread_context else None,
                    user=request.thread_context.user_id if request.thread_context else None,
                )
            ),
            parent_close_policy=(
                workflow.ParentClosePolicy.TERMINATE
                if child.wait
                else workflow.ParentClosePolicy.ABANDON
            ),
        )
        if not child.wait:
            value: Any = {"workflowId": child_run_id}
        else:
            try:
                outcome: WorkflowResponse = await self._race(handle)
            except ChildWorkflowError as error:
                raise StateFailed(
                    state, f"child run {child_run_id} failed: {failure_message(error)}"
                ) from error
            if outcome.workflow_status is not RunStatus.COMPLETED:
                detail = outcome.error_message or outcome.workflow_status.value
                raise StateFailed(
                    state, f"child run {child_run_id} ended {outcome.workflow_status}: {detail}"
                )
            value = outcome.output
        if child.next_node is None:
            raise StateFailed(state, f"{state!r} has no nextNode to go to after the child run")
        return child.next_node, [Record(key=state, value=value)]
