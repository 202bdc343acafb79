"""Runs through Temporal: start, resume, utility calls, terminate, events, state.

Every call speaks the engine contract of :mod:`drift_models.engine`. A sync call sends
an update and waits for its answer — the run's next stable point — for at most the
sync timeout; past it the call answers ``202`` with the run's current state and the
run goes on. Sync calls are admitted by :class:`drift_api.admission.SyncAdmission`:
beyond its bound they answer ``429`` at once, before anything is sent, and an admitted
call's limit counts from its admission. An async call (``callbackUrl``) answers ``202``
as soon as Temporal has the request, and the worker POSTs each stable point to the
callback.

A start is update-with-start of ``drift.state`` with ``USE_EXISTING`` and
``REJECT_DUPLICATE``: the same run id (the idempotency key) always reaches the same
run, running or ended, and the update cannot miss the first view because it is
delivered with the start.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from drift_api.admission import SyncAdmission
from drift_api.auth import Caller
from drift_api.callback_check import CallbackCheck
from drift_api.definitions import DefinitionService
from drift_api.engine_errors import refusal_known, refused, rpc_error
from drift_api.late_answers import Late
from drift_api.problems import ApiError
from drift_api.run_attributes import close_cancelled, start_attributes, start_memo
from drift_api.run_redrive import RunRedrives
from drift_api.run_state import StateReader
from drift_api.sync_calls import Answer, SyncCalls
from drift_api.update_calls import Limit
from drift_models import (
    DEFAULT_MAX_REDRIVES,
    EventSignal,
    Problem,
    RedriveRequest,
    ResumeInput,
    ResumeRequest,
    RunInput,
    RunStatus,
    StartRequest,
    TerminateInput,
    TerminateRequest,
    UtilityInput,
    UtilityRequest,
    UtilityResponse,
    WorkflowResponse,
    temporal_workflow_id,
)
from drift_models.engine import (
    SIGNAL_EVENT,
    UPDATE_RESUME,
    UPDATE_STATE,
    UPDATE_TERMINATE,
    UPDATE_UTILITY,
    WORKFLOW_NAME,
)
from drift_nodes import OutboundGuard
from drift_store import ContextRecord, ContextStore

__all__ = ["Answer", "RunGateway"]


class RunGateway:
    """Drives one tenant's runs at a time through Temporal.

    Args:
        client: the Temporal client (with :data:`drift_models.temporal.DATA_CONVERTER`).
        task_queue: where runs are scheduled.
        definitions: checks a workflow version before a run of it starts.
        contexts: the stored contexts, read when Temporal cannot answer.
        sync_timeout: seconds a sync call waits for the next stable point.
        query_timeout: seconds reading a run waits for Temporal.
        callbacks: judges callback addresses (the outbound guard without an
            allow-list by default).
        admission: bounds the sync calls waiting at once (unbounded by default).
        late_budget: seconds a sync call past its limit may spend finding the state it
            answers with ``202``.
        max_redrives: how many times one run may be redriven.
    """

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        definitions: DefinitionService,
        contexts: ContextStore,
        sync_timeout: float,
        query_timeout: float,
        callbacks: CallbackCheck | None = None,
        admission: SyncAdmission | None = None,
        late_budget: float = 1.0,
        max_redrives: int = DEFAULT_MAX_REDRIVES,
    ) -> None:
        self.client = client
        self._queue = task_queue
        self._definitions = definitions
        self._contexts = contexts
        self._sync_timeout = sync_timeout
        self._reader = StateReader(client, contexts, query_timeout=query_timeout)
        self._calls = SyncCalls(
            client,
            self._reader,
            contexts,
            admission=admission or SyncAdmission(2**31, retry_after=1),
            late_budget=late_budget,
        )
        self._callbacks = callbacks or CallbackCheck(OutboundGuard())
        self.redrives = RunRedrives(
            client,
            task_queue=task_queue,
            reader=self._reader,
            calls=self._calls,
            callbacks=self._callbacks,
            sync_timeout=sync_timeout,
            max_redrives=max_redrives,
        )

    # -- start -----------------------------------------------------------------------

    async def start(self, caller: Caller, request: StartRequest) -> Answer[WorkflowResponse]:
        """Start a run (or reach the existing one with the same id).

        Raises:
            ApiError: 404 for an unknown workflow or version, 422 for missing start
                parameters, 409 when the run id belongs to a run of another workflow,
                429 when a sync start finds every place taken (nothing was sent).
        """
        with self._calls.place(request.callback_url):
            return await self._start(caller, request, Limit.after(self._sync_timeout))

    async def _start(
        self, caller: Caller, request: StartRequest, limit: Limit
    ) -> Answer[WorkflowResponse]:
        tenant = caller.tenant_id
        await self._callbacks.check(request.callback_url)
        stored = await self._definitions.workflow(
            tenant, request.workflow_definition_id, request.version
        )
        workflow = stored.definition
        missing = [name for name in workflow.parameters if name not in request.params]
        if missing:
            raise ApiError(
                422,
                "Missing Parameters",
                f"workflow {workflow.id!r} needs the start parameters: {', '.join(missing)}",
                [
                    Problem(
                        path=f"$.params.{name}",
                        message=f"start parameter {name!r} is declared by the workflow and "
                        "missing here",
                        code="parameter-missing",
                    )
                    for name in missing
                ],
            )
        number = workflow.version if isinstance(workflow.version, int) else request.version
        run_id = request.workflow_id or uuid.uuid4().hex
        run = RunInput(
            tenant_id=tenant,
            run_id=run_id,
            workflow_definition_id=workflow.id,
            version=number,
            params=request.params,
            thread_context=caller.thread_context,
            callback_url=request.callback_url,
        )
        workflow_id = temporal_workflow_id(tenant, run_id)
        await self._calls.stage(run, "the start's parameters", limit)
        try:
            if request.callback_url is not None:
                answer = await self._start_async(run, workflow_id)
            else:
                answer = await self._start_sync(caller, run, workflow_id, limit)
        except WorkflowAlreadyStartedError:
            # The run with this id has ended: the same start returns the same run.
            answer = await self.state(caller, run_id)
        except RPCError as error:
            # The async start's call failed: a refusal is precise, a broken call is asked about.
            await self._calls.updates.start_broke(tenant, run_id, error, limit)
            answer = await self._calls.running(caller.tenant_id, run_id, workflow=workflow.id)
        known = answer.body.workflow_definition_id
        if known and known != workflow.id:
            raise ApiError(
                409,
                "Run Id Taken",
                f"run {run_id!r} already exists for workflow "
                f"{answer.body.workflow_definition_id!r}, not {workflow.id!r}; choose another "
                "workflowId",
            )
        return answer

    async def _start_async(self, run: RunInput, workflow_id: str) -> Answer[WorkflowResponse]:
        await self.client.start_workflow(
            WORKFLOW_NAME,
            run,
            id=workflow_id,
            task_queue=self._queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            memo=start_memo(run),
            search_attributes=start_attributes(run),
        )
        body = WorkflowResponse(
            workflow_id=run.run_id,
            workflow_status=RunStatus.CREATED,
            workflow_definition_id=run.workflow_definition_id,
            workflow_version=run.version if isinstance(run.version, int) else None,
            created_at=dt.datetime.now(dt.UTC),
        )
        return Answer(body, complete=False)

    async def _start_sync(
        self, caller: Caller, run: RunInput, workflow_id: str, limit: Limit
    ) -> Answer[WorkflowResponse]:
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            WORKFLOW_NAME,
            run,
            id=workflow_id,
            task_queue=self._queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            memo=start_memo(run),
            search_attributes=start_attributes(run),
        )

        def begin(update_id: str) -> Awaitable[WorkflowUpdateHandle[WorkflowResponse]]:
            return self.client.start_update_with_start_workflow(
                UPDATE_STATE,
                start_workflow_operation=operation,
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                result_type=WorkflowResponse,
                id=update_id,
            )

        known = WorkflowResponse(
            workflow_id=run.run_id,
            workflow_status=RunStatus.RUNNING,
            workflow_definition_id=run.workflow_definition_id,
            workflow_version=run.version if isinstance(run.version, int) else None,
        )
        return await self._calls.answer(
            caller.tenant_id, run.run_id, begin, limit, known=known, path="$.params"
        )

    # -- updates on a running run -----------------------------------------------------

    async def resume(
        self, caller: Caller, run_id: str, request: ResumeRequest
    ) -> Answer[WorkflowResponse]:
        """Answer the view a run shows; sync unless the request has a ``callbackUrl``.

        Raises:
            ApiError: 404 unknown run, 409 not waiting / wrong view / ended, 422 an
                answer that breaks the view's rules (every problem with its path), 429
                when a sync resume finds every place taken (nothing was sent).
        """
        with self._calls.place(request.callback_url):
            # The run refuses the answer after its limit: a 503 "not applied" stays true.
            limit = Limit.after(self._sync_timeout, expiring=True)
            return await self._resume(caller, run_id, request, limit)

    async def _resume(
        self, caller: Caller, run_id: str, request: ResumeRequest, limit: Limit
    ) -> Answer[WorkflowResponse]:
        await self._callbacks.check(request.callback_url)
        answer = ResumeInput(
            view_response=request.view_response,
            node=request.node,
            callback_url=request.callback_url,
            thread_context=caller.thread_context,
            answer_by=limit.answer_by,
        )
        handle = self.client.get_workflow_handle(temporal_workflow_id(caller.tenant_id, run_id))
        await self._calls.stage(answer, "the answer", limit)

        def begin(update_id: str) -> Awaitable[WorkflowUpdateHandle[WorkflowResponse]]:
            return handle.start_update(
                UPDATE_RESUME,
                answer,
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                result_type=WorkflowResponse,
                id=update_id,
            )

        named = request.node is not None
        if request.callback_url is not None:
            update = await self._calls.updates.accepted(
                caller.tenant_id,
                run_id,
                begin,
                limit=limit,
                path="$.viewResponse",
                wait_for_view=named,
            )
            if not isinstance(update, Late) and refusal_known(update):
                try:
                    await update.result()
                except WorkflowUpdateFailedError as error:
                    raise refused(error, run_id) from None
            return await self._calls.running(caller.tenant_id, run_id)
        return await self._calls.answer(
            caller.tenant_id, run_id, begin, limit, path="$.viewResponse", wait_for_view=named
        )

    async def utility(
        self, caller: Caller, run_id: str, request: UtilityRequest
    ) -> Answer[UtilityResponse] | Answer[WorkflowResponse]:
        """Run a disconnected state; the run stays where it was.

        Raises:
            ApiError: 404 unknown run, 409 ended or still starting, 422 unknown state,
                429 when every place is taken (nothing was sent).
        """
        call = UtilityInput(node=request.node, parameters=request.parameters)
        handle = self.client.get_workflow_handle(temporal_workflow_id(caller.tenant_id, run_id))

        def begin(update_id: str) -> Awaitable[WorkflowUpdateHandle[UtilityResponse]]:
            return handle.start_update(
                UPDATE_UTILITY,
                call,
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                result_type=UtilityResponse,
                id=update_id,
            )

        with self._calls.admit():
            limit = Limit.after(self._sync_timeout)
            await self._calls.stage(call, "the utility call's parameters", limit)
            result = await self._calls.updates.wait(
                caller.tenant_id, run_id, begin, limit=limit, path="$.parameters"
            )
            if isinstance(result, Late):
                # A utility call does not move the run: its 202 is the state it stays in.
                return await self._calls.running(caller.tenant_id, run_id)
            return Answer(result)

    async def terminate(
        self, caller: Caller, run_id: str, request: TerminateRequest
    ) -> Answer[WorkflowResponse]:
        """Stop a run for good; answer its final state.

        Raises:
            ApiError: 404 unknown run, 409 when it has already ended, 429 when every
                place is taken (nothing was sent).
        """
        handle = self.client.get_workflow_handle(temporal_workflow_id(caller.tenant_id, run_id))

        def begin(update_id: str) -> Awaitable[WorkflowUpdateHandle[WorkflowResponse]]:
            return handle.start_update(
                UPDATE_TERMINATE,
                TerminateInput(reason=request.reason),
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                result_type=WorkflowResponse,
                id=update_id,
            )

        with self._calls.admit():
            answer = await self._calls.answer(
                caller.tenant_id, run_id, begin, Limit.after(self._sync_timeout)
            )
        if answer.complete and answer.body.workflow_status is RunStatus.TERMINATED:
            await close_cancelled(handle)
        return answer

    async def redrive(
        self, caller: Caller, run_id: str, request: RedriveRequest
    ) -> Answer[WorkflowResponse]:
        """Continue a FAILED run from the state that failed (:mod:`drift_api.run_redrive`)."""
        return await self.redrives.redrive(caller.tenant_id, run_id, request)

    async def event(self, caller: Caller, run_id: str, name: str, payload: Any) -> None:
        """Send an event to a run (a WAIT state may be waiting for it).

        Raises:
            ApiError: 404 unknown run, 409 ended run.
        """
        handle = self.client.get_workflow_handle(temporal_workflow_id(caller.tenant_id, run_id))
        try:
            await handle.signal(SIGNAL_EVENT, EventSignal(name=name, payload=payload))
        except RPCError as error:
            raise rpc_error(error, run_id) from None

    # -- reading ---------------------------------------------------------------------

    async def state(self, caller: Caller, run_id: str) -> Answer[WorkflowResponse]:
        """The run's state: Temporal's answer, else the stored context's.

        See :mod:`drift_api.run_state`: Temporal first, the store second, Temporal's
        description of the run third; a run closed from outside Drift reads as ended.

        Raises:
            ApiError: 404 when the tenant has no such run, 503 when neither Temporal
                nor the store can answer now.
        """
        read = await self._reader.read(caller.tenant_id, run_id)
        return Answer(read.body, source=read.source)

    async def state_after(self, caller: Caller, run_id: str) -> Answer[WorkflowResponse]:
        """The state right after something was delivered to the run: never an error.

        The delivery happened, so the answer is ``202`` with whatever is known now.
        """
        return await self._calls.running(caller.tenant_id, run_id)

    async def record(self, caller: Caller, run_id: str) -> ContextRecord:
        """The run's stored context.

        Raises:
            RunNotFoundError: when the tenant has no stored context for the run.
        """
        return await self._contexts.require(caller.tenant_id, run_id)
