"""The run's activities: pinning, steps, marks, and where each of them runs.

A node's activity runs as a local activity when its state is pure, else as an ordinary
activity that heartbeats (:func:`~drift_worker.node_activity.run_node_activity`); the
engine's own I/O (pinning, marking) runs as local activities. Every one of them waits
out a store outage on a durable timer instead of spending the node's retries
(:func:`~drift_worker.store_wait.until_stored`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy as TemporalRetry
from temporalio.exceptions import FailureError

from drift_models import RunInput, RunStatus
from drift_worker.node_activity import run_node_activity
from drift_worker.plan import (
    ACTIVITY_BEGIN,
    ACTIVITY_MARK,
    ACTIVITY_STEP,
    BeginRequest,
    BeginResult,
    MarkRequest,
    Record,
    StepRequest,
    StepResult,
)
from drift_worker.retries import failure_message
from drift_worker.run_state import RunState, StateFailed, as_builtins
from drift_worker.store_wait import until_stored

__all__ = ["ENGINE_RETRY", "ENGINE_TIMEOUT", "RunSteps"]

ENGINE_TIMEOUT = timedelta(seconds=30)
"""The limit of one attempt of an engine activity (pin, mark, snapshot, restore)."""
ENGINE_RETRY = TemporalRetry(initial_interval=timedelta(milliseconds=200), maximum_attempts=0)
"""Engine activities retry until they go through (a store outage is waited out)."""

T = TypeVar("T")


class RunSteps(RunState):
    """Runs the run's activities and keeps the context's revision they answer."""

    async def _begin(self, run: RunInput) -> str | None:
        request = BeginRequest(
            tenant_id=run.tenant_id,
            run_id=run.run_id,
            workflow_definition_id=run.workflow_definition_id,
            version=run.version,
            params=run.params,
            thread_context=None if run.thread_context is None else as_builtins(run.thread_context),
        )
        try:
            begun: BeginResult = await self._until_stored(
                "pinning the run",
                lambda: workflow.execute_local_activity(
                    ACTIVITY_BEGIN,
                    request,
                    result_type=BeginResult,
                    start_to_close_timeout=ENGINE_TIMEOUT,
                    retry_policy=TemporalRetry(
                        maximum_attempts=5, non_retryable_error_types=["DefinitionError"]
                    ),
                ),
            )
        except FailureError as error:
            self._end(RunStatus.FAILED, error=f"the run could not start: {failure_message(error)}")
            return None
        self._plan = begun.plan
        self._revision = begun.revision
        self._status = RunStatus.RUNNING
        return begun.plan.start_node

    def _step_request(
        self,
        state: str,
        records: list[Record] | None = None,
        *,
        chain: bool = True,
        after_end: bool = False,
    ) -> StepRequest:
        """What runs ``state`` of this run at the context's revision the run last saw."""
        plan = self._require_plan()
        return StepRequest(
            tenant_id=self._input.tenant_id,
            run_id=self._input.run_id,
            workflow_id=plan.workflow_id,
            workflow_version=plan.workflow_version,
            pins=plan.pins(),
            state=state,
            records=records or [],
            revision=self._revision,
            chain=chain,
            after_end=after_end,
        )

    async def _step(
        self,
        state: str,
        records: list[Record],
        *,
        chain: bool = True,
        after_end: bool = False,
        restartable: bool = False,
    ) -> StepResult:
        planned = self._require_plan().states[state]
        request = self._step_request(state, records, chain=chain, after_end=after_end)

        def attempt() -> Awaitable[StepResult]:
            return run_node_activity(ACTIVITY_STEP, request, planned, StepResult)

        result: StepResult
        try:
            result = await self._until_stored(f"state {state!r}", attempt, restartable=restartable)
        except FailureError as error:
            raise StateFailed(state, failure_message(error)) from error
        return result

    async def _mark(self, status: RunStatus, records: list[Record] | None = None) -> None:
        request = MarkRequest(
            tenant_id=self._input.tenant_id,
            run_id=self._input.run_id,
            status=status,
            current_node=self._current,
            revision=self._revision,
            records=records or [],
        )
        self._revision = await self._until_stored(
            f"marking the run {status}",
            lambda: workflow.execute_local_activity(
                ACTIVITY_MARK,
                request,
                result_type=int,
                start_to_close_timeout=ENGINE_TIMEOUT,
                retry_policy=ENGINE_RETRY,
            ),
        )

    async def _until_stored(
        self, what: str, attempt: Callable[[], Awaitable[T]], *, restartable: bool = False
    ) -> T:
        """Run an engine activity, waiting out store outages (see ``store_wait``).

        ``restartable`` lets a long wait continue as new (the run loop then runs the
        same state again).
        """
        return await until_stored(
            what,
            attempt,
            run_id=self._input.run_id,
            describe=failure_message,
            history_too_long=self._should_continue_as_new if restartable else None,
        )

    async def _fail(self, state: str, message: str) -> None:
        self._current = state
        self._error = message
        await self._mark(RunStatus.FAILED)
        self._end(RunStatus.FAILED, error=message)

    async def _mark_terminated(self) -> None:
        reason = self._terminate.reason if self._terminate else None
        self._view = None
        await self._mark(RunStatus.TERMINATED)
        self._end(RunStatus.TERMINATED, error=reason or "terminated")

    async def _run_post_nodes(self) -> None:
        plan = self._plan
        if plan is None:
            return
        for state in plan.post_nodes:
            try:
                result = await self._step(state, [], chain=False, after_end=True)
                self._revision = result.revision
            except (StateFailed, FailureError) as error:
                workflow.logger.warning("post-completion state %s failed: %s", state, error)
