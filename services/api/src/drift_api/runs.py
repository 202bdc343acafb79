"""Runs through the workflow engine: start, resume, utility calls, terminate, events, state.

Every call goes through :class:`drift_api.engine.Engine` (Temporal in production,
:class:`drift_api.temporal_engine.TemporalEngine`); this module holds what the API
decides itself: the checks before a start, admission, limits and late answers. A sync call sends
an update and waits for its answer — the run's next stable point — for at most the
sync timeout; past it the call answers ``202`` with the run's current state and the
run goes on. Sync calls are admitted by :class:`drift_api.admission.SyncAdmission`:
beyond its bound they answer ``429`` at once, before anything is sent, and an admitted
call's limit counts from its admission. An async call (``callbackUrl``) answers ``202``
as soon as Temporal has the request, and the worker POSTs each stable point to the
callback.

A start reaches the run with its id (the idempotency key), running or ended: the same
start returns the same run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from drift_api.admission import SyncAdmission
from drift_api.auth import Caller
from drift_api.callback_check import CallbackCheck
from drift_api.definitions import DefinitionService
from drift_api.engine import Engine, RunExists
from drift_api.problems import ApiError
from drift_api.start_hint import StartHints
from drift_api.sync_calls import Answer, SyncCalls
from drift_api.sync_limits import Late, Limit
from drift_models import (
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
)
from drift_nodes import OutboundGuard
from drift_store import ContextRecord, ContextStore

__all__ = ["Answer", "RunGateway"]


class RunGateway:
    """Drives one tenant's runs at a time through the workflow engine.

    Args:
        engine: the workflow engine (see :class:`drift_api.engine.Engine`).
        definitions: checks a workflow version before a run of it starts.
        contexts: the stored contexts, read when the engine cannot answer.
        sync_timeout: seconds a sync call waits for the next stable point.
        callbacks: judges callback addresses (the outbound guard without an
            allow-list by default).
        admission: bounds the sync calls waiting at once (unbounded by default).
        late_budget: seconds a sync call past its limit may spend finding the state it
            answers with ``202``.
        start_hints: tells each start how its start state runs (``RunInput.start_activity``);
            without it, starts do not say.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        definitions: DefinitionService,
        contexts: ContextStore,
        sync_timeout: float,
        callbacks: CallbackCheck | None = None,
        admission: SyncAdmission | None = None,
        late_budget: float = 1.0,
        start_hints: StartHints | None = None,
    ) -> None:
        self.engine = engine
        self._start_hints = start_hints
        self._definitions = definitions
        self._contexts = contexts
        self._sync_timeout = sync_timeout
        self._calls = SyncCalls(
            engine,
            contexts,
            admission=admission or SyncAdmission(2**31, retry_after=1),
            late_budget=late_budget,
        )
        self._callbacks = callbacks or CallbackCheck(OutboundGuard())

    # -- start -----------------------------------------------------------------------

    async def start(self, caller: Caller, request: StartRequest) -> Answer[WorkflowResponse]:
        """Start a run (or reach the existing one with the same id).

        Raises:
            ApiError: 404 for an unknown workflow or version, 422 for missing start
                parameters, 409 when the run id belongs to a run of another workflow,
                429 when a sync start finds every place taken (nothing was sent).
        """
        with self._calls.place(request.callback_url, starting=True):
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
            start_activity=(
                None if self._start_hints is None else await self._start_hints.of(tenant, workflow)
            ),
        )
        await self._calls.stage(run, "the start's parameters", limit)
        try:
            if request.callback_url is not None:
                answer = await self._start_async(run, limit)
            else:
                answer = await self._start_sync(run, limit)
        except RunExists:
            # The run with this id has ended: the same start returns the same run.
            answer = await self.state(caller, run_id)
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

    async def _start_async(self, run: RunInput, limit: Limit) -> Answer[WorkflowResponse]:
        if not await self.engine.start(run, limit):
            # The call broke off and the run was found afterwards: whatever it says now.
            return await self._calls.running(
                run.tenant_id, run.run_id, workflow=run.workflow_definition_id
            )
        body = WorkflowResponse(
            workflow_id=run.run_id,
            workflow_status=RunStatus.CREATED,
            workflow_definition_id=run.workflow_definition_id,
            workflow_version=run.version if isinstance(run.version, int) else None,
            created_at=dt.datetime.now(dt.UTC),
        )
        return Answer(body, complete=False)

    async def _start_sync(self, run: RunInput, limit: Limit) -> Answer[WorkflowResponse]:
        known = WorkflowResponse(
            workflow_id=run.run_id,
            workflow_status=RunStatus.RUNNING,
            workflow_definition_id=run.workflow_definition_id,
            workflow_version=run.version if isinstance(run.version, int) else None,
        )
        result = await self.engine.start_and_wait(run, limit)
        return await self._calls.answer(run.tenant_id, run.run_id, result, known=known)

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
        await self._calls.stage(answer, "the answer", limit)
        tenant = caller.tenant_id
        if request.callback_url is not None:
            await self.engine.deliver_resume(tenant, run_id, answer, limit)
            return await self._calls.running(tenant, run_id)
        result = await self.engine.resume(tenant, run_id, answer, limit)
        return await self._calls.answer(tenant, run_id, result)

    async def utility(
        self, caller: Caller, run_id: str, request: UtilityRequest
    ) -> Answer[UtilityResponse] | Answer[WorkflowResponse]:
        """Run a disconnected state; the run stays where it was.

        Raises:
            ApiError: 404 unknown run, 409 ended or still starting, 422 unknown state,
                429 when every place is taken (nothing was sent).
        """
        call = UtilityInput(node=request.node, parameters=request.parameters)
        with self._calls.admit():
            limit = Limit.after(self._sync_timeout)
            await self._calls.stage(call, "the utility call's parameters", limit)
            result = await self.engine.utility(caller.tenant_id, run_id, call, limit)
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
        tenant = caller.tenant_id
        with self._calls.admit():
            call = TerminateInput(reason=request.reason)
            result = await self.engine.terminate(
                tenant, run_id, call, Limit.after(self._sync_timeout)
            )
            answer = await self._calls.answer(tenant, run_id, result)
        if answer.complete and answer.body.workflow_status is RunStatus.TERMINATED:
            await self.engine.close_terminated(tenant, run_id)
        return answer

    async def redrive(
        self, caller: Caller, run_id: str, request: RedriveRequest
    ) -> Answer[WorkflowResponse]:
        """Continue a FAILED run from the state that failed (:mod:`drift_api.run_redrive`).

        Raises:
            ApiError: 429 when a sync redrive finds every place taken (nothing was
                sent); the engine's refusals (404, 409) as they are.
        """
        with self._calls.place(request.callback_url):
            return await self.engine.redrive(caller.tenant_id, run_id, request)

    async def event(self, caller: Caller, run_id: str, name: str, payload: Any) -> None:
        """Send an event to a run (a WAIT state may be waiting for it).

        Raises:
            ApiError: 404 unknown run, 409 ended run, 503 when Temporal could not be
                reached or did not answer within the sync timeout ("Outcome Unknown").
        """
        await self.engine.send_event(
            caller.tenant_id,
            run_id,
            EventSignal(name=name, payload=payload),
            Limit.after(self._sync_timeout),
        )

    # -- reading ---------------------------------------------------------------------

    async def state(self, caller: Caller, run_id: str) -> Answer[WorkflowResponse]:
        """The run's state: Temporal's answer, else the stored context's.

        See :mod:`drift_api.run_state`: Temporal first, the store second, Temporal's
        description of the run third; a run closed from outside Drift reads as ended.

        Raises:
            ApiError: 404 when the tenant has no such run, 503 when neither Temporal
                nor the store can answer now.
        """
        read = await self.engine.read_state(caller.tenant_id, run_id)
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
