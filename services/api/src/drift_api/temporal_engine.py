"""The engine over Temporal: :class:`drift_api.engine.Engine` through a Temporal client.

Every Temporal detail of a run call lives here or in the modules this one composes:
update-with-start of ``drift.state`` with ``USE_EXISTING`` and ``REJECT_DUPLICATE``
for a start (the same run id always reaches the same run, and the update cannot miss
the first view because it travels with the start), updates by id with their outcome
asked about when late (:mod:`drift_api.update_calls`, :mod:`drift_api.update_outcome`),
the state query with the store behind it (:mod:`drift_api.run_state`), redrives
(:mod:`drift_api.run_redrive`), histories, visibility listings and batch operations.
Temporal's refusals become Drift's problems (:mod:`drift_api.engine_errors`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable
from typing import Any, Final, TypeVar

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
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

from drift_api.callback_check import CallbackCheck
from drift_api.engine import Answer, BulkActions, RunExists, RunListing, RunState
from drift_api.engine_errors import refusal_known, refused, rpc_error
from drift_api.late_answers import LateAnswers
from drift_api.run_attributes import close_cancelled, start_attributes, start_memo
from drift_api.run_bulk import BulkRuns
from drift_api.run_bulk_redrive import BulkRedrives
from drift_api.run_history import attempt_states, read_history
from drift_api.run_redrive import RunRedrives
from drift_api.run_search import RunSearch
from drift_api.run_state import StateReader
from drift_api.sync_limits import Late, Limit, seconds_left
from drift_api.update_calls import Begin, UpdateCalls, stage_payloads, state_with_start
from drift_api.update_outcome import event_unknown, start_unconfirmed
from drift_models import (
    DEFAULT_MAX_REDRIVES,
    EventSignal,
    RedriveRequest,
    ResumeInput,
    RunHistory,
    RunInput,
    TerminateInput,
    UtilityInput,
    UtilityResponse,
    WorkflowResponse,
    temporal_workflow_id,
)
from drift_models.engine import (
    SIGNAL_EVENT,
    UPDATE_RESUME,
    UPDATE_TERMINATE,
    UPDATE_UTILITY,
    WORKFLOW_NAME,
)
from drift_nodes import OutboundGuard
from drift_store import ContextStore

__all__ = ["TemporalEngine"]

T = TypeVar("T")

_DESCRIBE_TIMEOUT: Final = dt.timedelta(seconds=5)
"""How long a description of a run may take (its parent is unknown past it)."""


class TemporalEngine:
    """Runs through a Temporal client.

    Args:
        client: the Temporal client (with :data:`drift_models.temporal.DATA_CONVERTER`).
        task_queue: where runs are scheduled.
        contexts: the stored contexts, read when Temporal cannot answer.
        query_timeout: seconds reading a run waits for Temporal.
        sync_timeout: seconds a sync redrive waits for the next stable point.
        callbacks: judges a redrive's callback address.
        late_budget: seconds a late redrive may spend finding the state it answers.
        max_redrives: how many times one run may be redriven.
    """

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        contexts: ContextStore,
        query_timeout: float,
        sync_timeout: float,
        callbacks: CallbackCheck | None = None,
        late_budget: float = 1.0,
        max_redrives: int = DEFAULT_MAX_REDRIVES,
    ) -> None:
        self.client = client
        self._queue = task_queue
        self._reader = StateReader(client, contexts, query_timeout=query_timeout)
        self._updates = UpdateCalls(self._reader, client)
        self._redrives = RunRedrives(
            client,
            task_queue=task_queue,
            reader=self._reader,
            updates=self._updates,
            late=LateAnswers(self, contexts, late_budget=late_budget),
            callbacks=callbacks or CallbackCheck(OutboundGuard()),
            sync_timeout=sync_timeout,
            max_redrives=max_redrives,
        )

    async def stage(self, value: object, *, what: str, limit: Limit) -> None:
        """Encode ``value`` now, so its big payloads reach the store before Temporal."""
        # Staging shares the call's limit: the update must still be sent within it.
        await stage_payloads(
            self.client.data_converter, value, what=what, timeout=seconds_left(limit.accept_until)
        )

    # -- starts --------------------------------------------------------------------------

    def _start_options(self, run: RunInput) -> dict[str, Any]:
        return {
            "id": temporal_workflow_id(run.tenant_id, run.run_id),
            "task_queue": self._queue,
            "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
            "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
            "memo": start_memo(run),
            "search_attributes": start_attributes(run),
        }

    async def start(self, run: RunInput, limit: Limit) -> bool:
        """Start the run without waiting for it; ``False`` when the call broke off.

        The start is sent within ``limit.accept_until``; one not taken by then is settled
        as a sync start's is (:meth:`_start_surely`), so the call is over by
        ``limit.ends`` even when Temporal does not answer.
        """
        try:
            async with asyncio.timeout_at(limit.accept_until):
                await self.client.start_workflow(WORKFLOW_NAME, run, **self._start_options(run))
        except TimeoutError:
            await self._start_surely(run, limit)
        except WorkflowAlreadyStartedError:
            raise RunExists(run.run_id) from None
        except RPCError as error:
            # A refusal is precise, a broken call is asked about.
            await self._updates.start_broke(run.tenant_id, run.run_id, error, limit)
            return False
        return True

    async def start_and_wait(self, run: RunInput, limit: Limit) -> WorkflowResponse | Late:
        """Update-with-start of ``drift.state``: the run's first stable point."""
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            WORKFLOW_NAME, run, **self._start_options(run)
        )

        begin = state_with_start(
            self.client, operation, temporal_workflow_id(run.tenant_id, run.run_id)
        )

        try:
            return await self._updates.wait(
                run.tenant_id,
                run.run_id,
                begin,
                limit=limit,
                path="$.params",
                start=True,
                confirm_start=lambda: self._start_surely(run, limit),
            )
        except WorkflowAlreadyStartedError:
            raise RunExists(run.run_id) from None
        except RPCError as error:
            # A refusal is precise; a broken call whose run exists is late, not failed.
            await self._updates.start_broke(run.tenant_id, run.run_id, error, limit)
            return Late.NOT_ACCEPTED

    async def _start_surely(self, run: RunInput, limit: Limit) -> None:
        """Make sure the run of a start not taken in time exists, within ``limit.ends``.

        The timed-out call may still be on its way (in the client, in Temporal's
        frontend), so Temporal not having the run yet would not mean it never will. The
        same start sent again settles it: it creates the run or reaches the one the
        first call created (``USE_EXISTING``). When that cannot be done in time either,
        the answer says the start is unconfirmed (a retry with the same id is safe).

        Raises:
            RunExists: the run id belongs to a run that has ended.
            ApiError: ``503`` "Start Unconfirmed".
        """
        try:
            async with asyncio.timeout_at(limit.ends):
                await self.client.start_workflow(WORKFLOW_NAME, run, **self._start_options(run))
        except WorkflowAlreadyStartedError:
            raise RunExists(run.run_id) from None
        except (TimeoutError, RPCError):
            raise start_unconfirmed(run.run_id, late=True) from None

    # -- updates on a running run ---------------------------------------------------------

    def _update_begin(
        self, tenant: str, run_id: str, name: str, call: object, answer_type: type[T]
    ) -> Begin[T]:
        """How to send the update ``name`` with ``call`` to a run, under a given update id."""
        handle = self.client.get_workflow_handle(temporal_workflow_id(tenant, run_id))

        def begin(update_id: str, stage: WorkflowUpdateStage) -> Awaitable[WorkflowUpdateHandle[T]]:
            return handle.start_update(
                name,
                call,
                wait_for_stage=stage,
                result_type=answer_type,
                id=update_id,
            )

        return begin

    def _resume_begin(
        self, tenant: str, run_id: str, answer: ResumeInput
    ) -> Begin[WorkflowResponse]:
        return self._update_begin(tenant, run_id, UPDATE_RESUME, answer, WorkflowResponse)

    async def resume(
        self, tenant: str, run_id: str, answer: ResumeInput, limit: Limit
    ) -> WorkflowResponse | Late:
        """The ``drift.resume`` update, waited for until the limit."""
        return await self._updates.wait(
            tenant,
            run_id,
            self._resume_begin(tenant, run_id, answer),
            limit=limit,
            path="$.viewResponse",
            wait_for_view=answer.node is not None,
        )

    async def deliver_resume(
        self, tenant: str, run_id: str, answer: ResumeInput, limit: Limit
    ) -> None:
        """The ``drift.resume`` update, sent until accepted; a known refusal is raised."""
        update = await self._updates.accepted(
            tenant,
            run_id,
            self._resume_begin(tenant, run_id, answer),
            limit=limit,
            path="$.viewResponse",
            wait_for_view=answer.node is not None,
        )
        if not isinstance(update, Late) and refusal_known(update):
            try:
                await update.result()
            except WorkflowUpdateFailedError as error:
                raise refused(error, run_id) from None

    async def utility(
        self, tenant: str, run_id: str, call: UtilityInput, limit: Limit
    ) -> UtilityResponse | Late:
        """The ``drift.utility`` update, waited for until the limit."""
        begin = self._update_begin(tenant, run_id, UPDATE_UTILITY, call, UtilityResponse)
        return await self._updates.wait(tenant, run_id, begin, limit=limit, path="$.parameters")

    async def terminate(
        self, tenant: str, run_id: str, call: TerminateInput, limit: Limit
    ) -> WorkflowResponse | Late:
        """The ``drift.terminate`` update, waited for until the limit."""
        begin = self._update_begin(tenant, run_id, UPDATE_TERMINATE, call, WorkflowResponse)
        return await self._updates.wait(tenant, run_id, begin, limit=limit)

    async def close_terminated(self, tenant: str, run_id: str) -> None:
        """Cancel the terminated run's execution, so Temporal shows it Cancelled."""
        await close_cancelled(self.client.get_workflow_handle(temporal_workflow_id(tenant, run_id)))

    async def send_event(self, tenant: str, run_id: str, event: EventSignal, limit: Limit) -> None:
        """The ``drift.event`` signal, sent within ``limit.ends``.

        A signal Temporal does not answer in time may still be delivered: the answer
        is then ``503`` "Outcome Unknown" (read the run before sending it again).
        """
        handle = self.client.get_workflow_handle(temporal_workflow_id(tenant, run_id))
        try:
            async with asyncio.timeout_at(limit.ends):
                await handle.signal(SIGNAL_EVENT, event)
        except TimeoutError:
            raise event_unknown(run_id, event.name) from None
        except RPCError as error:
            raise rpc_error(error, run_id) from None

    # -- reading ---------------------------------------------------------------------------

    async def read_state(
        self, tenant: str, run_id: str, *, query_timeout: float | None = None
    ) -> RunState:
        """The ``drift.state`` query, the store behind it (:mod:`drift_api.run_state`)."""
        return await self._reader.read(tenant, run_id, query_timeout=query_timeout)

    async def redrive(
        self, tenant: str, run_id: str, request: RedriveRequest, *, wait: bool = True
    ) -> Answer[WorkflowResponse]:
        """A new execution of the FAILED run (:mod:`drift_api.run_redrive`)."""
        return await self._redrives.redrive(tenant, run_id, request, wait=wait)

    async def history(self, tenant: str, run_id: str) -> RunHistory:
        """The run's history read from Temporal's events (:mod:`drift_api.run_history`)."""
        return await read_history(self.client, tenant, run_id)

    async def attempt_states(self, tenant: str, run_id: str) -> tuple[set[str], set[str]]:
        """States of the run's earlier attempts, and where it was redriven."""
        return await attempt_states(self.client, tenant, run_id)

    async def parent(self, tenant: str, run_id: str) -> str | None:
        """The parent run of a child run, from Temporal's description (``None`` if unknown)."""
        handle = self.client.get_workflow_handle(temporal_workflow_id(tenant, run_id))
        try:
            description = await handle.describe(rpc_timeout=_DESCRIBE_TIMEOUT)
        except RPCError:
            return None
        parent = description.parent_id
        prefix = f"{tenant}/"
        return parent.removeprefix(prefix) if parent and parent.startswith(prefix) else None

    def listing(self, *, secret: bytes | None) -> RunListing:
        """Visibility listings and counts (:mod:`drift_api.run_search`)."""
        return RunSearch(self.client, secret=secret)

    def bulk(self) -> BulkActions:
        """Batch terminate and the API's own bulk redrive (:mod:`drift_api.run_bulk`)."""
        return BulkRuns(self.client, BulkRedrives(self.client, self))

    async def health(self) -> None:
        """Temporal's system info, asked of its frontend."""
        await self.client.workflow_service.get_system_info(GetSystemInfoRequest())
