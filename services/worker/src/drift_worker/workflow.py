"""The one generic Temporal workflow that runs every Drift workflow.

It pins the definitions when the run starts (a local activity), then moves the run
state by state. Pure states run as local activities, chained until the next I/O state
or stable point; I/O states run as activities with the node's timeout and retry policy.
The context never rides in payloads: activities read and write it in the store.

The run is driven by updates: ``drift.state`` answers at the next stable point (sent
with the start, it makes a synchronous start), ``drift.resume`` answers a view,
``drift.utility`` runs a disconnected state, ``drift.terminate`` stops the run. Every
update answers the run's next stable state, so callers never poll.

When a state's failure is final, the run keeps a *redrive point* (a snapshot of the
context before that state, in the store's blobs); a FAILED run closes with it in its
failure, and a redrive starts a new execution of the same workflow id with the point
in its input, which restores the context and goes on at the failed state
(:mod:`drift_worker.redrive_steps`, :class:`drift_models.RedrivePoint`).

The engine's own store I/O (pinning, reading and writing the context, reading
definitions) does not share the node's retry budget: an activity whose store calls did
not go through fails with ``StoreUnavailable``, and the run waits on a durable timer
(1 s, doubling up to 60 s) and runs the same activity again, for as long as the store
stays away. A store outage delays runs; it never fails them. Non-local activities
heartbeat, so an attempt on a worker that died is retried within seconds.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import assert_never

from temporalio import workflow
from temporalio.common import RetryPolicy as TemporalRetry
from temporalio.exceptions import (
    ApplicationError,
    FailureError,
)

with workflow.unsafe.imports_passed_through():
    import msgspec

    from drift_models import RunInput, RunStatus, WorkflowResponse
    from drift_models.engine import WORKFLOW_NAME
    from drift_models.redrive import RUN_FAILED
    from drift_nodes.transitions import (
        Child,
        End,
        Failed,
        Next,
        ViewShown,
        Wait,
        failure_target,
    )
    from drift_worker.fanout import FanoutFailed, FanoutRun, fans_out, run_fanout
    from drift_worker.outcomes import transition_of
    from drift_worker.plan import ACTIVITY_CALLBACK, Record, StepResult
    from drift_worker.run_handlers import RunHandlers
    from drift_worker.run_redrive import RunRedrive
    from drift_worker.run_state import RunTerminated, StateFailed, as_builtins
    from drift_worker.run_waits import RunWaits
    from drift_worker.store_wait import StoreWaitTooLong

__all__ = ["RUN_FAILED", "DriftRunWorkflow"]

_CALLBACK_RETRY = TemporalRetry(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=60)
)
_CALLBACK_DEADLINE = timedelta(hours=1)
_MAX_FAILURE_ROUTES = 1000
_CANCEL_GRACE = timedelta(minutes=2)


@workflow.defn(name=WORKFLOW_NAME)
class DriftRunWorkflow(RunHandlers, RunWaits, RunRedrive):
    """Interprets one run of a pinned Drift workflow.

    The run's state and carry-over are :class:`~drift_worker.run_state.RunState`'s, its
    activities :class:`~drift_worker.run_steps.RunSteps`', its waits
    :class:`~drift_worker.run_waits.RunWaits`', its redrive points
    :class:`~drift_worker.run_redrive.RunRedrive`'s and its updates, query and signal
    :class:`~drift_worker.run_handlers.RunHandlers`'; here is the run loop.
    """

    @workflow.init
    def __init__(self, run: RunInput) -> None:
        super().__init__(run)

    # ------------------------------------------------------------------ the run loop

    @workflow.run
    async def run(self, run: RunInput) -> WorkflowResponse:
        """Run the workflow from its start (or from where a previous run continued)."""
        carry = self._carry
        callbacks = asyncio.ensure_future(self._deliver_callbacks())
        records: list[Record] = list(carry.records) if carry else []
        terminated = False
        try:
            if self._redriven is not None:
                state = await self._restore(self._redriven)
                records = [msgspec.convert(r, Record) for r in self._redriven.records]
            else:
                state = carry.state if carry else await self._begin(run)
            if state is not None:
                await self._loop(state, records)
        except RunTerminated:
            terminated = True
            await self._mark_terminated()
        # The API cancels a run it terminated once it has the answer; the cancel must
        # not cut the post-completion states or the callbacks short.
        tail = asyncio.ensure_future(self._close_out(callbacks))
        cancelled = False
        while not tail.done():
            try:
                await asyncio.shield(tail)
            except asyncio.CancelledError:
                cancelled = True
        if self._visible:
            await self._close_true(terminated=terminated, cancelled=cancelled)
        return self._response

    async def _close_out(self, callbacks: asyncio.Future[None]) -> None:
        """Run the post-completion states and deliver every callback."""
        await self._run_post_nodes()
        await workflow.wait_condition(
            lambda: (
                not self._callbacks
                and not self._callbacks_busy
                and workflow.all_handlers_finished()
            )
        )
        callbacks.cancel()

    async def _close_true(self, *, terminated: bool, cancelled: bool) -> None:
        """Close with the Temporal status that matches the Drift one (decision: true outcomes).

        A FAILED run fails the workflow (its answer stays readable by a replay query);
        a run terminated through the API waits (a bounded time) for the API's cancel and
        closes Cancelled. Without that cancel it completes, still reading TERMINATED.
        """
        if self._status is RunStatus.FAILED:
            point = self._point
            details = (
                []
                if point is None
                else [as_builtins(msgspec.structs.replace(point, closed_revision=self._revision))]
            )
            raise ApplicationError(
                self._error or "the run failed", *details, type=RUN_FAILED, non_retryable=True
            )
        if not terminated or self._status is not RunStatus.TERMINATED:
            return
        if not cancelled:
            try:
                await workflow.wait_condition(lambda: False, timeout=_CANCEL_GRACE)
            except TimeoutError:
                return
            except asyncio.CancelledError:
                pass
        raise asyncio.CancelledError(self._error or "terminated")

    async def _loop(self, state: str, records: list[Record]) -> None:
        plan = self._require_plan()
        failures = 0
        while True:
            if self._terminate is not None:
                raise RunTerminated
            if self._should_continue_as_new():
                await self._continue_as_new(state, records)
            self._current = state
            try:
                following: tuple[str, list[Record]] | None
                if fans_out(plan, state):
                    following = await self._fan_out(state, records)
                else:
                    result = await self._race(self._step(state, records, restartable=True))
                    records = []
                    following = await self._follow(result)
            except StateFailed as failure:
                if self._point is None:
                    self._point = await self._redrive_point(failure, records)
                failures += 1
                target = failure_target(
                    failure.state,
                    on_error=plan.states[failure.state].on_error,
                    default_failure_node=plan.default_failure_node,
                )
                self._error = failure.message
                if target is None or failures > _MAX_FAILURE_ROUTES:
                    await self._fail(failure.state, failure.message)
                    return
                # Values not yet written (an answer, a child's result) are kept.
                error = Record(key=f"{failure.state}:error", value={"message": failure.message})
                records = [*records, *failure.records, error]
                state = target
                continue
            except StoreWaitTooLong:
                continue  # to continue as new, with the same state and records
            if following is None:
                return
            state, records = following

    async def _fan_out(self, state: str, records: list[Record]) -> tuple[str, list[Record]]:
        """Run a PARALLEL or MAP state (see ``fanout``); the join's records come along."""
        run = FanoutRun(
            tenant_id=self._input.tenant_id,
            run_id=self._input.run_id,
            plan=self._require_plan(),
            revision=self._revision,
            records=records,
        )
        try:
            following: tuple[str, list[Record]] = await self._race(run_fanout(run, state))
        except FanoutFailed as failure:
            self._revision = run.revision
            raise StateFailed(state, failure.message, failure.records) from None
        self._revision = run.revision
        return following

    async def _follow(self, result: StepResult) -> tuple[str, list[Record]] | None:
        """Act on a step's outcome, read as the transition it carries.

        Returns the next state with the values to record first, or ``None`` when the run
        has ended.
        """
        self._revision = result.revision
        self._current = result.state
        if result.disposition is not None:
            self._disposition = result.disposition
        decided = transition_of(result)
        if isinstance(decided, Failed):
            raise StateFailed(decided.state, decided.error)
        if isinstance(decided, Next):
            return decided.state, []
        if isinstance(decided, End):
            self._view = decided.view
            self._output = decided.output
            if decided.disposition is not None:
                self._disposition = decided.disposition
            self._end(decided.status, error=decided.error_message)
            return None
        if isinstance(decided, ViewShown):
            return await self._await_resume(decided)
        if isinstance(decided, Wait):
            return await self._await_wait(decided)
        if isinstance(decided, Child):
            return await self._run_child(decided)
        assert_never(decided)

    async def _deliver_callbacks(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self._callbacks))
            self._callbacks_busy = True
            request = self._callbacks.pop(0)
            try:
                await workflow.execute_activity(
                    ACTIVITY_CALLBACK,
                    request,
                    schedule_to_close_timeout=_CALLBACK_DEADLINE,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=_CALLBACK_RETRY,
                )
            except FailureError as error:
                workflow.logger.warning("callback %s gave up: %s", request.url, error)
            finally:
                self._callbacks_busy = False
