"""Redrive: continue a FAILED run from the state that failed, with the same run id.

A FAILED run's Temporal execution closes Failed; when the failure of a state was final,
that failure carries the run's redrive point (:class:`drift_models.RedrivePoint`). A
redrive reads it back (the close event, through ``result()``), then starts a new
execution with the same workflow id — ``ALLOW_DUPLICATE_FAILED_ONLY`` (only a failed
run may get one) and conflict policy ``FAIL`` (a second redrive at the same moment is
refused) — by update-with-start, like a start, so the answer is the run's next stable
point. Every Temporal call of a redrive is bounded: a redrive Temporal did not take in
time is sent again to settle it (a run already running again means it was taken), else
it answers ``503`` "Redrive Unconfirmed". The first attempt's execution and history stay
as they were. The new execution carries ``DriftAttempt`` (how many redrives came before
it), which is how a listing tells a superseded attempt from the run
(:mod:`drift_api.run_attempts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from http import HTTPStatus
from typing import Any, Final

import msgspec
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from drift_api.callback_check import CallbackCheck
from drift_api.engine import Answer
from drift_api.engine_errors import rpc_error
from drift_api.late_answers import LateAnswers
from drift_api.problems import ApiError
from drift_api.run_attributes import start_memo
from drift_api.run_state import StateReader
from drift_api.sync_limits import Late, Limit
from drift_api.update_calls import UpdateCalls, state_with_start
from drift_api.update_outcome import redrive_unconfirmed
from drift_models import (
    RedrivePoint,
    RedriveRequest,
    RunInput,
    RunStatus,
    ThreadContext,
    WorkflowResponse,
    temporal_workflow_id,
)
from drift_models.engine import WORKFLOW_NAME
from drift_models.redrive import RUN_FAILED
from drift_models.visibility import SA_ATTEMPT, SA_CLIENT, SA_NODE, SA_STATUS, SA_USER

__all__ = ["FailedAttempt", "RunRedrives"]

_STATUS: Final = SearchAttributeKey.for_keyword(SA_STATUS)
_NODE: Final = SearchAttributeKey.for_keyword(SA_NODE)
_ATTEMPT: Final = SearchAttributeKey.for_int(SA_ATTEMPT)
_CLIENT: Final = SearchAttributeKey.for_keyword(SA_CLIENT)
_USER: Final = SearchAttributeKey.for_keyword(SA_USER)
_REPLACED: Final = frozenset({SA_STATUS, SA_NODE, SA_ATTEMPT})
_CALL_TIMEOUT: Final = dt.timedelta(seconds=5)
"""How long reading the failed attempt (its description, its close event) may take."""


class FailedAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """A failed run as a redrive finds it.

    Attributes:
        state: the run's state (FAILED).
        point: where the redrive continues from.
        attributes: the failed execution's search attributes.
    """

    state: WorkflowResponse
    point: RedrivePoint
    attributes: TypedSearchAttributes


def _conflict(title: str, message: str, status: RunStatus) -> ApiError:
    return ApiError(409, title, message, extensions={"workflowStatus": status.value})


class RunRedrives:
    """Redrives runs.

    Args:
        client: the Temporal client (with the API's data converter).
        task_queue: where runs are scheduled.
        reader: reads a run's state.
        updates: sends updates and waits for their answers.
        late: the ``202`` states of late sync redrives.
        callbacks: judges callback addresses.
        sync_timeout: seconds a sync redrive waits for the next stable point.
        max_redrives: how many times one run may be redriven.
    """

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        reader: StateReader,
        updates: UpdateCalls,
        late: LateAnswers,
        callbacks: CallbackCheck,
        sync_timeout: float,
        max_redrives: int,
    ) -> None:
        self._client = client
        self._queue = task_queue
        self._reader = reader
        self._updates = updates
        self._late = late
        self._callbacks = callbacks
        self._sync_timeout = sync_timeout
        self._max = max_redrives

    async def redrive(
        self, tenant: str, run_id: str, request: RedriveRequest, *, wait: bool = True
    ) -> Answer[WorkflowResponse]:
        """Continue a FAILED run at the state that failed; answer its next stable point.

        ``wait=False`` (a bulk redrive) answers ``202`` once Temporal has the new
        execution, holding no sync place and sending no callbacks.

        Raises:
            ApiError: 404 unknown run; 409 when the run is not FAILED, has no redrive
                point, was redriven as often as a run may be, or is being redriven
                already; 429 when a sync redrive finds every place taken.
        """
        asynchronous = request.callback_url is not None or not wait
        limit = Limit.after(self._sync_timeout)
        await self._callbacks.check(request.callback_url)
        failed = await self.failed_attempt(tenant, run_id)
        run = self._next_input(tenant, run_id, failed, request)
        try:
            if asynchronous:
                return await self._start_async(run, failed, limit)
            return await self._start_sync(run, failed, limit)
        except WorkflowAlreadyStartedError:
            # Another redrive (or start) of this run id came first.
            raise _conflict(
                "Redrive Refused",
                f"run {run_id!r} is being redriven already (or is no longer FAILED); "
                "read its state",
                RunStatus.RUNNING,
            ) from None

    async def failed_attempt(self, tenant: str, run_id: str) -> FailedAttempt:
        """The run's failed attempt with its redrive point.

        Raises:
            ApiError: 404 unknown run; 409 not FAILED, no redrive point, or redriven
                as often as a run may be.
        """
        state = (await self._reader.read(tenant, run_id)).body
        if state.workflow_status is not RunStatus.FAILED:
            raise _conflict(
                "Not Failed",
                f"run {run_id!r} is {state.workflow_status}; only a FAILED run can be redriven",
                state.workflow_status,
            )
        handle = self._client.get_workflow_handle(temporal_workflow_id(tenant, run_id))
        try:
            description = await handle.describe(rpc_timeout=_CALL_TIMEOUT)
        except RPCError as error:
            raise rpc_error(error, run_id) from None
        if description.status is WorkflowExecutionStatus.RUNNING:
            # Read FAILED a moment ago: another redrive has just started it again.
            raise _conflict(
                "Redrive Refused",
                f"run {run_id!r} is being redriven already; read its state",
                RunStatus.RUNNING,
            )
        point = await self._point(description)
        if point is None:
            raise _conflict(
                "No Redrive Point",
                f"run {run_id!r} has no redrive point: it ended FAILED at a failure state "
                "without a node failure, or before runs kept one; start it again instead",
                RunStatus.FAILED,
            )
        if point.redrives >= self._max:
            raise _conflict(
                "Redrive Limit",
                f"run {run_id!r} has been redriven {point.redrives} times, the most a run may "
                "be; start it again instead",
                RunStatus.FAILED,
            )
        return FailedAttempt(
            state=state,
            point=msgspec.structs.replace(point, failed_run_id=description.run_id),
            attributes=description.typed_search_attributes,
        )

    async def _point(self, description: WorkflowExecutionDescription) -> RedrivePoint | None:
        if description.status is not WorkflowExecutionStatus.FAILED:
            return None  # closed before runs closed Failed: no point travels
        handle = self._client.get_workflow_handle(description.id, run_id=description.run_id)
        try:
            await handle.result(follow_runs=False, rpc_timeout=_CALL_TIMEOUT)
        except WorkflowFailureError as error:
            return _point_of(error.cause)
        except RPCError as error:
            raise rpc_error(error, description.id) from None
        return None

    def _next_input(
        self, tenant: str, run_id: str, failed: FailedAttempt, request: RedriveRequest
    ) -> RunInput:
        client = failed.attributes.get(_CLIENT)
        user = failed.attributes.get(_USER)
        thread = (
            None
            if client is None
            else ThreadContext(tenant_id=tenant, client_id=client, user_id=user)
        )
        state = failed.state
        return RunInput(
            tenant_id=tenant,
            run_id=run_id,
            workflow_definition_id=state.workflow_definition_id,
            version=state.workflow_version if state.workflow_version is not None else "ACTIVE",
            thread_context=thread,
            callback_url=request.callback_url,
            redrive=failed.point,
            redrive_count=failed.point.redrives + 1,
        )

    def _options(self, run: RunInput, failed: FailedAttempt) -> dict[str, Any]:
        kept = [
            pair for pair in failed.attributes.search_attributes if pair.key.name not in _REPLACED
        ]
        attributes = TypedSearchAttributes(
            [
                *kept,
                SearchAttributePair(_STATUS, RunStatus.RUNNING.value),
                SearchAttributePair(_NODE, failed.point.state),
                SearchAttributePair(_ATTEMPT, run.redrive_count),
            ]
        )
        return {
            "id": temporal_workflow_id(run.tenant_id, run.run_id),
            "task_queue": self._queue,
            "id_conflict_policy": WorkflowIDConflictPolicy.FAIL,
            "id_reuse_policy": WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            "memo": start_memo(run),
            "search_attributes": attributes,
        }

    def _known(self, failed: FailedAttempt) -> WorkflowResponse:
        return msgspec.structs.replace(
            failed.state,
            workflow_status=RunStatus.RUNNING,
            current_node=failed.point.state,
            error_message=None,
            view=None,
            output=None,
            updated_at=dt.datetime.now(dt.UTC),
        )

    async def _start_async(
        self, run: RunInput, failed: FailedAttempt, limit: Limit
    ) -> Answer[WorkflowResponse]:
        try:
            async with asyncio.timeout_at(limit.ends):
                await self._client.start_workflow(WORKFLOW_NAME, run, **self._options(run, failed))
        except TimeoutError:
            raise redrive_unconfirmed(run.run_id) from None
        except RPCError as error:
            refusal = rpc_error(error, run.run_id)
            # A broken call may have reached Temporal: the redrive may have started.
            raise (
                redrive_unconfirmed(run.run_id)
                if refusal.status == HTTPStatus.SERVICE_UNAVAILABLE
                else refusal
            ) from None
        return Answer(self._known(failed), complete=False)

    async def _confirm(self, run: RunInput, failed: FailedAttempt, limit: Limit) -> None:
        """Make sure a redrive not taken in time started, within ``limit.ends``.

        The timed-out call may still be on its way, so the same start is sent again: it
        starts the redrive, or finds the run running again (the first call, or another
        redrive of it, came first), which is what the answer must know.

        Raises:
            ApiError: ``503`` "Redrive Unconfirmed".
        """
        try:
            async with asyncio.timeout_at(limit.ends):
                await self._client.start_workflow(WORKFLOW_NAME, run, **self._options(run, failed))
        except WorkflowAlreadyStartedError:
            return
        except (TimeoutError, RPCError):
            raise redrive_unconfirmed(run.run_id) from None

    async def _start_sync(
        self, run: RunInput, failed: FailedAttempt, limit: Limit
    ) -> Answer[WorkflowResponse]:
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            WORKFLOW_NAME, run, **self._options(run, failed)
        )

        begin = state_with_start(
            self._client, operation, temporal_workflow_id(run.tenant_id, run.run_id)
        )

        try:
            known = self._known(failed)
            result = await self._updates.wait(
                run.tenant_id,
                run.run_id,
                begin,
                limit=limit,
                start=True,
                confirm_start=lambda: self._confirm(run, failed, limit),
            )
            if isinstance(result, Late):
                read = await self._late.late(run.tenant_id, run.run_id, result, known=known)
                return Answer(read.body, complete=False, source=read.source)
            return Answer(result)
        except WorkflowAlreadyStartedError:
            # The start's own outcome holds the same refusal: read it, so it is not lost.
            with contextlib.suppress(WorkflowAlreadyStartedError):
                await operation.workflow_handle()
            raise


def _point_of(cause: BaseException | None) -> RedrivePoint | None:
    if not isinstance(cause, ApplicationError) or cause.type != RUN_FAILED:
        return None
    for detail in cause.details:
        if isinstance(detail, dict):
            try:
                return msgspec.convert(detail, RedrivePoint)
            except msgspec.ValidationError:
                return None
    return None
