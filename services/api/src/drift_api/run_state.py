"""Reading a run's state: Temporal first, the store second, and the store kept true.

Temporal is asked first (decision #41): the ``drift.state`` query knows the view and
the output of an open run, and the run's close event knows how a closed one ended.
The query is sent with ``NOT_OPEN`` rejection, so a run closed from outside Drift (a
``temporal workflow terminate`` or a cancel in the UI) is never answered by a replay
that still shows its last view. When Temporal cannot answer in time, the stored
context gives status, state and version, with one reserve: a step writes the store
before the workflow takes its result, so a stored wait (``WAITING``,
``SCHEDULER_WAITING``) is said only when Temporal's description shows the run idle;
otherwise the run is ``RUNNING`` at the stored state. When the store cannot answer
either, Temporal's description of the run (its memo and its status) still does. A
``503`` means neither could answer.

A run that Temporal reports closed while its stored status says otherwise (ended
outside Drift, so the workflow never wrote its end) is reconciled: the stored status
is set with a compare-and-set on the revision just read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any, Final

from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.common import QueryRejectCondition
from temporalio.service import RPCError, RPCStatusCode

from drift_api.bodies import millis_to_datetime
from drift_api.engine import RunState
from drift_api.problems import ApiError
from drift_models import RunStatus, WorkflowResponse, temporal_workflow_id
from drift_models.engine import QUERY_STATE
from drift_models.visibility import MEMO_VERSION, MEMO_WORKFLOW
from drift_store import ContextRecord, ContextStore, StoreError

__all__ = ["MEMO_VERSION", "MEMO_WORKFLOW", "RunState", "StateReader"]


_LOG = logging.getLogger(__name__)

_CLOSED_OUTSIDE: Final = {
    WorkflowExecutionStatus.TERMINATED: "terminated in Temporal",
    WorkflowExecutionStatus.CANCELED: "cancelled in Temporal",
    WorkflowExecutionStatus.TIMED_OUT: "timed out in Temporal (its execution timeout)",
    WorkflowExecutionStatus.FAILED: "failed in Temporal",
}
_WAITS: Final = frozenset({RunStatus.WAITING, RunStatus.SCHEDULER_WAITING})
"""Stored statuses that promise an answer is taken (a view) or a wait is on."""
_CONFIRM_SECONDS: Final = 1.0
"""How long the description confirming a stored wait may take."""
_OPEN_STATUS: Final = {
    WorkflowExecutionStatus.RUNNING: RunStatus.RUNNING,
    WorkflowExecutionStatus.CONTINUED_AS_NEW: RunStatus.RUNNING,
}


class StateReader:
    """Reads runs' states for the run gateway.

    Args:
        client: the Temporal client.
        contexts: the stored contexts.
        query_timeout: seconds the ``drift.state`` query may take.
    """

    def __init__(self, client: Client, contexts: ContextStore, *, query_timeout: float) -> None:
        self._client = client
        self._contexts = contexts
        self._query_timeout = query_timeout

    async def read(
        self, tenant: str, run_id: str, *, query_timeout: float | None = None
    ) -> RunState:
        """The run's state.

        Args:
            tenant: the run's tenant.
            run_id: the run.
            query_timeout: a shorter wait for the query than the configured one.

        Raises:
            ApiError: 404 when neither Temporal nor the store knows the run; 503 when
                neither can answer now.
        """
        handle = self._client.get_workflow_handle(
            temporal_workflow_id(tenant, run_id), result_type=WorkflowResponse
        )
        budget = self._query_timeout if query_timeout is None else query_timeout
        try:
            async with asyncio.timeout(budget):
                body: WorkflowResponse = await handle.query(
                    QUERY_STATE,
                    result_type=WorkflowResponse,
                    reject_condition=QueryRejectCondition.NOT_OPEN,
                )
        except WorkflowQueryRejectedError as rejected:
            return await self._closed(tenant, run_id, handle, rejected.status, budget)
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                return await self._forgotten(tenant, run_id)
            return await self._without_query(tenant, run_id, handle)
        except (TimeoutError, WorkflowQueryFailedError, StoreError):
            return await self._without_query(tenant, run_id, handle)
        return RunState(body, "engine")

    # -- closed runs -------------------------------------------------------------------

    async def _closed(
        self,
        tenant: str,
        run_id: str,
        handle: WorkflowHandle[Any, WorkflowResponse],
        status: WorkflowExecutionStatus | None,
        budget: float,
    ) -> RunState:
        if status is WorkflowExecutionStatus.COMPLETED:
            try:
                async with asyncio.timeout(budget):
                    result: WorkflowResponse = await handle.result()
            except (TimeoutError, RPCError, WorkflowFailureError, StoreError):
                pass
            else:
                return RunState(result, "engine")
        elif status in (WorkflowExecutionStatus.FAILED, WorkflowExecutionStatus.CANCELED):
            # A FAILED run fails its workflow, and one terminated through the API closes
            # cancelled: a replay of the history ends where the run did. A cancel from
            # outside Drift replays to an open state and reads as terminated below.
            try:
                async with asyncio.timeout(budget):
                    body: WorkflowResponse = await handle.query(
                        QUERY_STATE, result_type=WorkflowResponse
                    )
            except (TimeoutError, RPCError, WorkflowQueryFailedError, StoreError):
                pass
            else:
                if body.workflow_status.is_final:
                    return RunState(body, "engine")
        why = _CLOSED_OUTSIDE.get(status) if status is not None else None
        if why is None:
            # Completed, but its result cannot be read now: the stored end is the truth.
            return await self._without_query(tenant, run_id, handle)
        reason = await self._close_reason(handle)
        message = f"the run was {why}" + (f": {reason}" if reason else "")
        failed = status is WorkflowExecutionStatus.FAILED
        final = RunStatus.FAILED if failed else RunStatus.TERMINATED
        record = await self._stored(tenant, run_id)
        if record is not None:
            await self._reconcile(record, final)
            body = _from_record(record, status=final, error=message)
            return RunState(body, "store")
        description = await self._describe(handle)
        return RunState(_from_description(run_id, description, final, message), "engine")

    async def _close_reason(self, handle: WorkflowHandle[Any, Any]) -> str | None:
        """The reason given to the terminate, from the run's last history event."""
        request = GetWorkflowExecutionHistoryReverseRequest(
            namespace=self._client.namespace, maximum_page_size=1
        )
        request.execution.workflow_id = handle.id
        service = self._client.workflow_service
        try:
            async with asyncio.timeout(self._query_timeout):
                history = await service.get_workflow_execution_history_reverse(request)
        except (TimeoutError, RPCError):
            return None
        for event in history.history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
                return event.workflow_execution_terminated_event_attributes.reason or None
        return None

    async def _reconcile(self, record: ContextRecord, status: RunStatus) -> None:
        """Make the stored status follow Temporal's; a lost race is left to the winner."""
        if record.status.is_final:
            return
        try:
            await self._contexts.update(
                record.tenant, record.run_id, expected_revision=record.revision, status=status
            )
        except StoreError as error:
            _LOG.warning(
                "run %s of %s ended in Temporal as %s; its stored status stays %s for now: %s",
                record.run_id,
                record.tenant,
                status,
                record.status,
                error,
            )
        else:
            _LOG.info(
                "run %s of %s ended outside Drift: stored status %s set to %s",
                record.run_id,
                record.tenant,
                record.status,
                status,
            )

    # -- when the query cannot answer -------------------------------------------------

    async def _forgotten(self, tenant: str, run_id: str) -> RunState:
        """Temporal no longer knows the run (retention): the store's word, or 404."""
        try:
            record = await self._contexts.get(tenant, run_id)
        except StoreError:
            raise _unreadable(run_id) from None
        if record is None:
            raise ApiError(404, "Run Not Found", f"tenant {tenant!r} has no run {run_id!r}")
        return RunState(_from_record(record), "store")

    async def _without_query(
        self, tenant: str, run_id: str, handle: WorkflowHandle[Any, Any]
    ) -> RunState:
        """An open run whose query did not answer: the store, else Temporal's description."""
        record = await self._stored(tenant, run_id)
        if record is not None:
            return RunState(await self._engine_agrees(record, handle), "store")
        description = await self._describe(handle)
        status = _OPEN_STATUS.get(description.status) if description.status else None
        if status is None:
            # Closed between the query and the description: ask again, once.
            return await self._closed(
                tenant, run_id, handle, description.status, self._query_timeout
            )
        return RunState(_from_description(run_id, description, status, None), "engine")

    async def _engine_agrees(
        self, record: ContextRecord, handle: WorkflowHandle[Any, Any]
    ) -> WorkflowResponse:
        """The stored state, with a wait the engine has not reached yet said as RUNNING.

        A step writes the store before the workflow has taken its result, so the store
        can be ahead of the engine: a view it shows may not be answerable yet. The
        stored wait stands only when Temporal's description shows the run idle (no
        workflow task and no activity pending); otherwise, or when Temporal cannot say,
        the run is RUNNING at the stored state.
        """
        if record.status not in _WAITS:
            return _from_record(record)
        try:
            async with asyncio.timeout(min(self._query_timeout, _CONFIRM_SECONDS)):
                description = await handle.describe()
        except (TimeoutError, RPCError):
            return _from_record(record, status=RunStatus.RUNNING)
        info = description.raw_description
        idle = not info.HasField("pending_workflow_task") and not info.pending_activities
        return _from_record(record, status=None if idle else RunStatus.RUNNING)

    async def _stored(self, tenant: str, run_id: str) -> ContextRecord | None:
        try:
            return await self._contexts.get(tenant, run_id)
        except StoreError as error:
            _LOG.warning("the stored state of run %s cannot be read: %s", run_id, error)
            return None

    async def _describe(self, handle: WorkflowHandle[Any, Any]) -> WorkflowExecutionDescription:
        try:
            async with asyncio.timeout(self._query_timeout):
                return await handle.describe()
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise ApiError(
                    404, "Run Not Found", f"there is no run {handle.id.split('/', 1)[-1]!r}"
                ) from None
            raise _unreadable(handle.id.split("/", 1)[-1]) from None
        except TimeoutError:
            raise _unreadable(handle.id.split("/", 1)[-1]) from None


def _unreadable(run_id: str) -> ApiError:
    return ApiError(
        503,
        "State Unavailable",
        f"neither Temporal nor the store can tell the state of run {run_id!r} right now; try again",
        headers={"Retry-After": "1"},
    )


def _from_record(
    record: ContextRecord, *, status: RunStatus | None = None, error: str | None = None
) -> WorkflowResponse:
    return WorkflowResponse(
        workflow_id=record.run_id,
        workflow_status=status or record.status,
        workflow_definition_id=record.workflow_id or "",
        workflow_version=record.workflow_version,
        current_node=record.current_node,
        error_message=error,
        created_at=millis_to_datetime(record.created_at),
        updated_at=millis_to_datetime(record.updated_at),
    )


def _from_description(
    run_id: str,
    description: WorkflowExecutionDescription,
    status: RunStatus,
    error: str | None,
) -> WorkflowResponse:
    memo = description.raw_description.workflow_execution_info.memo.fields
    workflow = _memo_text(memo.get(MEMO_WORKFLOW))
    version = _memo_text(memo.get(MEMO_VERSION))
    return WorkflowResponse(
        workflow_id=run_id,
        workflow_status=status,
        workflow_definition_id=workflow or "",
        workflow_version=int(version) if version and version.isdigit() else None,
        created_at=description.start_time.astimezone(dt.UTC),
        updated_at=(description.close_time or description.start_time).astimezone(dt.UTC),
        error_message=error,
    )


def _memo_text(payload: Any) -> str | None:
    """A memo value the API wrote (a small JSON string or number), read without a codec."""
    if payload is None:
        return None
    text = bytes(payload.data).decode("utf-8", errors="replace").strip()
    return text.strip('"') or None
