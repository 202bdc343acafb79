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
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar, assert_never, cast

from temporalio import workflow
from temporalio.common import RetryPolicy as TemporalRetry
from temporalio.exceptions import (
    ApplicationError,
    ChildWorkflowError,
    FailureError,
)

with workflow.unsafe.imports_passed_through():
    import msgspec

    from drift_models import (
        EventSignal,
        NodeStatus,
        RedrivePoint,
        ResumeInput,
        ResumeRules,
        RunInput,
        RunStatus,
        TerminateInput,
        UtilityInput,
        UtilityResponse,
        View,
        WorkflowResponse,
        temporal_workflow_id,
    )
    from drift_models.engine import (
        QUERY_STATE,
        SIGNAL_EVENT,
        UPDATE_RESUME,
        UPDATE_STATE,
        UPDATE_TERMINATE,
        UPDATE_UTILITY,
        WORKFLOW_NAME,
    )
    from drift_models.redrive import RUN_FAILED
    from drift_models.visibility import run_attributes
    from drift_nodes.resume import validate_resume
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
    from drift_worker.plan import (
        ACTIVITY_BEGIN,
        ACTIVITY_CALLBACK,
        ACTIVITY_MARK,
        ACTIVITY_STEP,
        ACTIVITY_UTILITY,
        BeginRequest,
        BeginResult,
        CallbackRequest,
        CarryOver,
        MarkRequest,
        Plan,
        Record,
        StepRequest,
        StepResult,
        UtilityRequest,
    )
    from drift_worker.redrive_steps import (
        ACTIVITY_RESTORE,
        ACTIVITY_SNAPSHOT,
        RestoreRequest,
        SnapshotRequest,
    )
    from drift_worker.retries import failure_message, retry_options
    from drift_worker.search_attributes import changed, shown_by, start_attributes
    from drift_worker.store_wait import StoreWaitTooLong, until_stored

__all__ = ["RUN_FAILED", "DriftRunWorkflow"]

_ENGINE_TIMEOUT = timedelta(seconds=30)
_ENGINE_RETRY = TemporalRetry(initial_interval=timedelta(milliseconds=200), maximum_attempts=0)
_CALLBACK_RETRY = TemporalRetry(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=60)
)
_CALLBACK_DEADLINE = timedelta(hours=1)
_MAX_FAILURE_ROUTES = 1000
_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
_CANCEL_GRACE = timedelta(minutes=2)

T = TypeVar("T")


class _Terminated(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside the run loop when a terminate request arrives."""


class _Failed(Exception):  # noqa: N818 - a control-flow signal, not an error
    """A state failed for good; the run loop routes the failure."""

    def __init__(self, state: str, message: str, records: list[Record] | None = None) -> None:
        super().__init__(message)
        self.state = state
        self.message = message
        self.records = records or []


@workflow.defn(name=WORKFLOW_NAME)
class DriftRunWorkflow:
    """Interprets one run of a pinned Drift workflow."""

    @workflow.init
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
        except _Terminated:
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
                else [_builtins(msgspec.structs.replace(point, closed_revision=self._revision))]
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

    async def _begin(self, run: RunInput) -> str | None:
        request = BeginRequest(
            tenant_id=run.tenant_id,
            run_id=run.run_id,
            workflow_definition_id=run.workflow_definition_id,
            version=run.version,
            params=run.params,
            thread_context=None if run.thread_context is None else _builtins(run.thread_context),
        )
        try:
            begun: BeginResult = await self._until_stored(
                "pinning the run",
                lambda: workflow.execute_local_activity(
                    ACTIVITY_BEGIN,
                    request,
                    result_type=BeginResult,
                    start_to_close_timeout=_ENGINE_TIMEOUT,
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

    async def _restore(self, point: RedrivePoint) -> str | None:
        """Put the failed attempt's context back; answer the state to go on at."""
        request = RestoreRequest(
            tenant_id=self._input.tenant_id,
            run_id=self._input.run_id,
            snapshot=point.snapshot,
            expected_revision=point.closed_revision or point.revision,
            state=point.state,
        )
        try:
            self._revision = await self._until_stored(
                "restoring the context for the redrive",
                lambda: workflow.execute_local_activity(
                    ACTIVITY_RESTORE,
                    request,
                    result_type=int,
                    start_to_close_timeout=_ENGINE_TIMEOUT,
                    retry_policy=_ENGINE_RETRY,
                ),
            )
        except FailureError as error:
            # Nothing was changed: the run stays the failed attempt, still redrivable.
            self._point = point
            self._end(RunStatus.FAILED, error=failure_message(error))
            return None
        return point.state

    async def _redrive_point(self, failure: _Failed, records: list[Record]) -> RedrivePoint | None:
        """Keep where a redrive would continue from: ``failure``'s state, before it ran."""
        # No patch marker: one asked for where a step's failure resolves could answer
        # differently on replay (decision 63). Runs without Drift's search attributes
        # (started by 0.2, the recorded v1 histories) never take a point.
        if not self._visible:
            return None
        request = SnapshotRequest(
            tenant_id=self._input.tenant_id, run_id=self._input.run_id, revision=self._revision
        )
        try:
            key = await self._until_stored(
                "keeping the context for a redrive",
                lambda: workflow.execute_local_activity(
                    ACTIVITY_SNAPSHOT,
                    request,
                    start_to_close_timeout=_ENGINE_TIMEOUT,
                    retry_policy=_ENGINE_RETRY,
                ),
            )
        except FailureError as error:
            workflow.logger.warning("no redrive point: %s", failure_message(error))
            return None
        if not isinstance(key, str):
            return None
        return RedrivePoint(
            state=failure.state,
            error_message=failure.message,
            snapshot=key,
            revision=self._revision,
            plan=_builtins(self._require_plan()),
            records=[_builtins(record) for record in records],
            redrives=self._input.redrive_count,
            created_at=self._created_at,
            disposition=self._disposition,
            stable_points=self._stable_points,
            child_runs=self._child_runs,
        )

    async def _loop(self, state: str, records: list[Record]) -> None:
        plan = self._require_plan()
        failures = 0
        while True:
            if self._terminate is not None:
                raise _Terminated
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
            except _Failed as failure:
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
            raise _Failed(state, failure.message, failure.records) from None
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
            raise _Failed(decided.state, decided.error)
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

    # ------------------------------------------------------------------ steps

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
        request = StepRequest(
            tenant_id=self._input.tenant_id,
            run_id=self._input.run_id,
            workflow_id=plan.workflow_id,
            workflow_version=plan.workflow_version,
            pins=plan.pins(),
            state=state,
            records=records,
            revision=self._revision,
            chain=chain,
            after_end=after_end,
        )
        timeout = timedelta(seconds=planned.timeout_seconds)
        retry = retry_options(planned.retry, non_retryable=["PermanentNodeError"])

        async def attempt() -> StepResult:
            done: StepResult
            if planned.pure:
                done = await workflow.execute_local_activity(
                    ACTIVITY_STEP,
                    request,
                    result_type=StepResult,
                    start_to_close_timeout=timeout,
                    retry_policy=retry,
                )
            else:
                done = await workflow.execute_activity(
                    ACTIVITY_STEP,
                    request,
                    result_type=StepResult,
                    start_to_close_timeout=timeout,
                    heartbeat_timeout=min(_HEARTBEAT_TIMEOUT, timeout),
                    retry_policy=retry,
                )
            return done

        result: StepResult
        try:
            result = await self._until_stored(f"state {state!r}", attempt, restartable=restartable)
        except FailureError as error:
            raise _Failed(state, failure_message(error)) from error
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
                start_to_close_timeout=_ENGINE_TIMEOUT,
                retry_policy=_ENGINE_RETRY,
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

    # ------------------------------------------------------------------ waiting

    async def _await_resume(self, shown: ViewShown) -> tuple[str, list[Record]]:
        self._view = shown.view
        self._rules = shown.rules
        self._resume = None
        self._settle(RunStatus.WAITING)
        await self._race(workflow.wait_condition(lambda: self._resume is not None))
        answer = cast("ResumeInput | None", self._resume)
        if answer is None:  # pragma: no cover - the condition above guarantees it
            raise _Failed(shown.state, "the resume went missing")
        self._resume = None
        if answer.callback_url is not None:
            self._callback_url = answer.callback_url
        self._view = None
        self._rules = None
        self._status = RunStatus.RUNNING
        if shown.next_node is None:
            raise _Failed(shown.state, f"{shown.state!r} has no nextNode to go to after the resume")
        value = _builtins(answer.view_response)
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
            raise _Failed(state, f"{state!r} has no nextNode to go to after waiting")
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
                raise _Failed(
                    state, f"child run {child_run_id} failed: {failure_message(error)}"
                ) from error
            if outcome.workflow_status is not RunStatus.COMPLETED:
                detail = outcome.error_message or outcome.workflow_status.value
                raise _Failed(
                    state, f"child run {child_run_id} ended {outcome.workflow_status}: {detail}"
                )
            value = outcome.output
        if child.next_node is None:
            raise _Failed(state, f"{state!r} has no nextNode to go to after the child run")
        return child.next_node, [Record(key=state, value=value)]

    # ------------------------------------------------------------------ ends

    def _end(self, status: RunStatus, *, error: str | None = None) -> None:
        if error is not None:
            self._error = error
        elif status is RunStatus.COMPLETED:
            self._error = None
        self._settle(status)

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
            except (_Failed, FailureError) as error:
                workflow.logger.warning("post-completion state %s failed: %s", state, error)

    # ------------------------------------------------------------------ stable points

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

    # ------------------------------------------------------------------ helpers

    def _require_plan(self) -> Plan:
        if self._plan is None:
            raise ApplicationError("the run has not started yet", type="NotStarted")
        return self._plan

    async def _race(self, awaitable: Any) -> Any:
        """Await ``awaitable`` unless a terminate request comes first."""
        task = asyncio.ensure_future(awaitable)
        stop = asyncio.ensure_future(workflow.wait_condition(lambda: self._terminate is not None))
        await workflow.wait([task, stop], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            stop.cancel()
            return task.result()
        task.cancel()
        raise _Terminated

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

    # ------------------------------------------------------------------ handlers

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
                    *[_builtins(p) for p in problems],
                    type="InvalidResume",
                    non_retryable=True,
                )

    @workflow.update(name=UPDATE_UTILITY)
    async def utility(self, call: UtilityInput) -> UtilityResponse:
        """Run a disconnected state without moving the run."""
        plan = self._require_plan()
        planned = plan.states[call.node]
        request = UtilityRequest(
            step=StepRequest(
                tenant_id=self._input.tenant_id,
                run_id=self._input.run_id,
                workflow_id=plan.workflow_id,
                workflow_version=plan.workflow_version,
                pins=plan.pins(),
                state=call.node,
                revision=self._revision,
                chain=False,
            ),
            parameters=call.parameters,
        )
        timeout = timedelta(seconds=planned.timeout_seconds)
        options: dict[str, Any] = {
            "result_type": UtilityResponse,
            "start_to_close_timeout": timeout,
            "retry_policy": retry_options(planned.retry, non_retryable=["PermanentNodeError"]),
        }

        async def attempt() -> UtilityResponse:
            done: UtilityResponse
            if planned.pure:
                done = await workflow.execute_local_activity(ACTIVITY_UTILITY, request, **options)
            else:
                done = await workflow.execute_activity(
                    ACTIVITY_UTILITY,
                    request,
                    heartbeat_timeout=min(_HEARTBEAT_TIMEOUT, timeout),
                    **options,
                )
            return done

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


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)
