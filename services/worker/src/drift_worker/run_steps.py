"""The run's activities: pinning, steps, marks, and where each of them runs.

A node's activity runs as a local activity when its state is pure, else as an ordinary
activity that heartbeats (:func:`~drift_worker.node_activity.run_node_activity`); the
engine's own I/O (pinning, marking) runs as local activities. A run whose input says how
its start state runs pins and runs its first step in one activity of that kind
(:mod:`~drift_worker.first_step`). Every one of them waits
out a store outage on a durable timer instead of spending the node's retries
(:func:`~drift_worker.store_wait.until_stored`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import msgspec
from temporalio import workflow
from temporalio.common import RetryPolicy as TemporalRetry
from temporalio.exceptions import FailureError

from drift_models import RunInput, RunStatus, StartActivity
from drift_worker.first_step import (
    ACTIVITY_BEGIN_STEP,
    BeginStepResult,
    FirstStepFailure,
    later_attempts,
)
from drift_worker.node_activity import HEARTBEAT_TIMEOUT, run_node_activity
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
BEGIN_RETRY = TemporalRetry(maximum_attempts=5, non_retryable_error_types=["DefinitionError"])
"""Pinning a run: a definition that cannot run fails the run at once."""
BEGIN_STEP_TIMEOUT = timedelta(hours=1)
"""The limit of one attempt of pinning plus the first step, whose own timeout (unknown
before the plan) the activity applies inside; a worker that died is noticed by the
heartbeat (regular) or the workflow task's timeout (local)."""

T = TypeVar("T")


class RunSteps(RunState):
    """Runs the run's activities and keeps the context's revision they answer."""

    _first: StepResult | FirstStepFailure | None = None
    """The first step's answer (or its first attempt's failure), from ``drift.begin-step``."""

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
            if run.start_activity is None:
                begun: BeginResult = await self._until_stored(
                    "pinning the run",
                    lambda: workflow.execute_local_activity(
                        ACTIVITY_BEGIN,
                        request,
                        result_type=BeginResult,
                        start_to_close_timeout=ENGINE_TIMEOUT,
                        retry_policy=BEGIN_RETRY,
                    ),
                )
            else:
                both = await self._until_stored(
                    "pinning the run", lambda: self._begin_step(request, run.start_activity)
                )
                begun = both.begun
                self._first = both.step or both.failure
        except FailureError as error:
            self._end(RunStatus.FAILED, error=f"the run could not start: {failure_message(error)}")
            return None
        self._plan = begun.plan
        self._revision = begun.revision
        if isinstance(self._first, StepResult):
            # The first step has written the context: a terminate before the loop marks
            # on that revision.
            self._revision = self._first.revision
        self._status = RunStatus.RUNNING
        return begun.plan.start_node

    def _begin_step(
        self, request: BeginRequest, kind: StartActivity | None
    ) -> Awaitable[BeginStepResult]:
        """Schedule ``drift.begin-step`` as the activity ``kind`` the run's input names."""
        if kind == "regular":
            return workflow.execute_activity(
                ACTIVITY_BEGIN_STEP,
                request,
                result_type=BeginStepResult,
                start_to_close_timeout=BEGIN_STEP_TIMEOUT,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=BEGIN_RETRY,
            )
        return workflow.execute_local_activity(
            ACTIVITY_BEGIN_STEP,
            request,
            result_type=BeginStepResult,
            start_to_close_timeout=BEGIN_STEP_TIMEOUT,
            retry_policy=BEGIN_RETRY,
        )

    def _step_request(
        self,
        state: str,
        records: list[Record] | None = None,
        *,
        chain: bool = True,
        after_end: bool = False,
    ) -> StepRequest:
        """What runs ``state`` of this run at the context's revision the run last saw."""
        return self._require_plan().step(
            self._input.tenant_id,
            self._input.run_id,
            state,
            self._revision,
            records=records,
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
        plan = self._require_plan()
        planned = plan.states[state]
        first = None
        if state == plan.start_node and not after_end:
            first, self._first = self._first, None
        if isinstance(first, StepResult):
            return first
        if first is not None:
            # The first attempt ran in ``drift.begin-step``; the node's policy goes on.
            if not first.retryable or planned.retry.maximum_attempts == 1:
                raise StateFailed(state, first.message)
            await workflow.sleep(timedelta(seconds=planned.retry.initial_interval_seconds))
            planned = msgspec.structs.replace(planned, retry=later_attempts(planned.retry))
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
