"""Sending an update and waiting for its answer, and what to answer when it is late.

A sync call sends its update for the outcome: Temporal answers in the same request
once the run has answered, so an answer in time costs one request. That send must be
answered by the call's acceptance deadline (a :class:`Limit` computed from the sync
timeout); one that is not leaves open whether the run took the update, so the update
is then asked about by its id, and the margin up to the limit's end is spent on what
Temporal says. Once Temporal has accepted the update, whatever goes wrong while the
answer is awaited (the timeout, Temporal or the store going away) makes the answer a
``202`` with the run's state: the run goes on, so an error would not be true. Before
acceptance, a refusal is the precise ``409``/``422`` of the run's validators, and a run
that has ended says how it ended. A call that only delivers an update (a resume with a
``callbackUrl``) waits for acceptance alone.

An update that was *not* accepted in time is not "something happened": its id is asked
about (:mod:`drift_api.update_outcome`) and the answer follows what Temporal says — a
``202`` once it was accepted, a ``503`` saying nothing was applied when Temporal no
longer has it or when it can only be refused from now on (an answer carries its
``answerBy``). A start whose call broke off is asked about the same way: the run
exists (``202``), it does not (``503``, nothing started), or Temporal cannot say
within the limit (``503`` "Start Unconfirmed", retry with the same ``workflowId``). A
start that was merely not answered in time may still be on its way, so Temporal not
having its run proves nothing: the same start is sent again (``confirm_start``), and
the answer is the run it reaches (``202``) or "Start Unconfirmed"; its update is then
asked about by its id, so one the run accepted answers as an accepted update does.
What a late call answers is :class:`drift_api.late_answers.Late`: an accepted update
answers ``RUNNING`` without a query, see :mod:`drift_api.late_answers`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final, Generic, TypeVar

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from drift_api.engine_errors import ended, refusal_known, refused, rpc_error
from drift_api.problems import ApiError
from drift_api.run_state import StateReader
from drift_api.sync_limits import Late, Limit, seconds_left
from drift_api.update_outcome import (
    Outcome,
    UpdateOutcome,
    not_applied,
    outcome_unknown,
    start_known,
)
from drift_models import RunStatus, WorkflowResponse, temporal_workflow_id
from drift_models.engine import UPDATE_STATE
from drift_store import StoreError

__all__ = [
    "Begin",
    "Late",
    "Limit",
    "UpdateCalls",
    "seconds_left",
    "stage_payloads",
    "state_with_start",
]

T = TypeVar("T")

Begin = Callable[[str, WorkflowUpdateStage], Awaitable[WorkflowUpdateHandle[T]]]
"""Sends the update with the given update id and waits for the given stage.

``ACCEPTED`` answers once the run took the update (with its outcome if it is already
there); ``COMPLETED`` answers with the outcome, in the same request."""


def state_with_start(
    client: Client, operation: WithStartWorkflowOperation[Any, Any], workflow_id: str
) -> Begin[WorkflowResponse]:
    """How to send ``drift.state`` with ``operation``'s start (a sync start or redrive).

    A start operation is sent once: sent again (the same update id, once Temporal said
    it was accepted), the update goes to the run ``workflow_id`` alone.
    """
    sent = False

    def begin(
        update_id: str, stage: WorkflowUpdateStage
    ) -> Awaitable[WorkflowUpdateHandle[WorkflowResponse]]:
        nonlocal sent
        if sent:
            return client.get_workflow_handle(workflow_id).start_update(
                UPDATE_STATE, wait_for_stage=stage, result_type=WorkflowResponse, id=update_id
            )
        sent = True
        return client.start_update_with_start_workflow(
            UPDATE_STATE,
            start_workflow_operation=operation,
            wait_for_stage=stage,
            result_type=WorkflowResponse,
            id=update_id,
        )

    return begin


_ON_ITS_WAY: Final = frozenset({RunStatus.CREATED.value, RunStatus.RUNNING.value})
"""A run in these states is still going to its next stable point (a view, maybe)."""
_FIRST_PAUSE: Final = 0.1
_LONGEST_PAUSE: Final = 0.5
"""Between two tries of an answer the run was not ready for yet (it was on its way)."""


async def stage_payloads(
    converter: DataConverter,
    value: object,
    *,
    what: str,
    timeout: float,  # noqa: ASYNC109 - bounded like the call it prepares
) -> None:
    """Encode ``value`` now, so its big payloads reach the store before Temporal.

    The same encoding inside the timed call then finds its blobs stored (see
    :class:`drift_store.ClaimCheck`): a store that cannot take them fails the call
    here, before anything is sent (a true ``503``), never inside the wait for the run,
    where a timeout answers ``202``.

    Raises:
        ApiError: ``503`` when the store did not answer within ``timeout``.
        BackendUnavailableError: when the store refused (``503`` as well).
    """
    try:
        async with asyncio.timeout(timeout):
            await converter.encode([value])
    except TimeoutError:
        raise ApiError(
            503,
            "Store Unavailable",
            f"the store did not take {what} in time; nothing was sent; try again",
            headers={"Retry-After": "1"},
        ) from None


def _on_its_way(error: WorkflowUpdateFailedError) -> bool:
    """The run refused an answer because it is still running towards a stable point."""
    cause = error.cause
    return (
        isinstance(cause, ApplicationError)
        and cause.type == "NotWaiting"
        and bool(cause.details)
        and cause.details[0] in _ON_ITS_WAY
    )


async def _send(
    begin: Begin[T], update_id: str, stage: WorkflowUpdateStage
) -> WorkflowUpdateHandle[T]:
    """Send the update; a refusal known with the answer is raised here."""
    handle = await begin(update_id, stage)
    if refusal_known(handle):
        await handle.result()  # raises WorkflowUpdateFailedError, no round trip
    return handle


@dataclass(frozen=True, slots=True)
class _Sent(Generic[T]):
    """An update sent without its answer in time: what settling it needs."""

    begin: Begin[T]
    stage: WorkflowUpdateStage
    workflow_id: str
    run_id: str
    update_id: str


def _refusal(error: WorkflowUpdateFailedError, run_id: str) -> ApiError:
    """The answer to an update that failed: one past its ``answerBy`` was not applied."""
    if isinstance(error.cause, ApplicationError) and error.cause.type == "Expired":
        return not_applied(run_id, gone=False)
    return refused(error, run_id)


def _unreachable(error: RPCError, run_id: str, path: str) -> bool:
    """Whether Temporal's error leaves open what it did (a broken call, not a refusal)."""
    if error.status is RPCStatusCode.RESOURCE_EXHAUSTED:
        return False  # overloaded: refused before doing anything
    return rpc_error(error, run_id, path=path).status == HTTPStatus.SERVICE_UNAVAILABLE


class UpdateCalls:
    """Updates sent to runs, with true answers when they are refused or late.

    Args:
        reader: reads a run's state for a ``202`` or a ``409``.
        client: the Temporal client, to ask about an update or a run after a late call.
    """

    def __init__(self, reader: StateReader, client: Client) -> None:
        self._reader = reader
        self._outcomes = UpdateOutcome(client)
        self._client = client

    async def accepted(
        self,
        tenant: str,
        run_id: str,
        begin: Begin[T],
        *,
        limit: Limit,
        path: str = "$",
        wait_for_view: bool = False,
    ) -> WorkflowUpdateHandle[T] | Late:
        """Send an update; :class:`Late` when it is late but held.

        An answer the run refuses because it is still on its way to its view is sent
        again until the limit. An update not accepted by the limit is asked about by
        its id: accepted meanwhile is its handle; gone, or refused from now on
        (``limit.answer_by``), is a ``503`` saying nothing was applied; still pending
        without an ``answer_by`` is ``Late.NOT_ACCEPTED`` (``202``: Temporal holds it
        for the run); accepted but its handle not reattached in time is ``Late.ACCEPTED``.

        Args:
            tenant: the run's tenant.
            run_id: the run.
            begin: sends the update with the id and stage it is given.
            limit: when acceptance and the whole call must be over.
            path: the body path Temporal's refusals are about.
            wait_for_view: an answer that names its view: while the run is on its way
                there (``NotWaiting``, ``CREATED`` or ``RUNNING``) it is sent again until the limit.

        Raises:
            ApiError: the run's refusal, a run that has ended (409 saying how),
                Temporal's refusal of the request, or a true ``503``.
        """
        return await self._sent(
            tenant,
            run_id,
            begin,
            WorkflowUpdateStage.ACCEPTED,
            limit=limit,
            path=path,
            wait_for_view=wait_for_view,
        )

    async def _sent(
        self,
        tenant: str,
        run_id: str,
        begin: Begin[T],
        stage: WorkflowUpdateStage,
        *,
        limit: Limit,
        path: str,
        start: bool = False,
        wait_for_view: bool = False,
        confirm_start: Callable[[], Awaitable[None]] | None = None,
    ) -> WorkflowUpdateHandle[T] | Late:
        """Send an update waiting for ``stage`` by ``limit.accept_until``; settle a late one.

        A send not answered by then leaves open whether the run took the update (with
        ``COMPLETED``, Temporal does not answer acceptance before the outcome), so a
        late update is asked about by its id; a late start too, unless it broke off.
        """
        loop = asyncio.get_running_loop()
        pause = _FIRST_PAUSE
        while True:
            update_id = uuid.uuid4().hex
            try:
                async with asyncio.timeout_at(limit.accept_until):
                    return await _send(begin, update_id, stage)
            except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
                broken: RPCError | None = None
            except WorkflowUpdateFailedError as error:
                if (
                    wait_for_view
                    and _on_its_way(error)
                    and loop.time() + pause < limit.accept_until
                ):
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, _LONGEST_PAUSE)
                    continue
                raise refused(error, run_id) from None
            except RPCError as error:
                if ended(error):
                    raise await self.ended(tenant, run_id) from None
                if not _unreachable(error, run_id, path):
                    raise rpc_error(error, run_id, path=path) from None
                broken = error
            break
        sent = _Sent(begin, stage, temporal_workflow_id(tenant, run_id), run_id, update_id)
        if start:
            return await self._start_late(sent, limit, broken, confirm_start)
        return await self._late(sent, limit, broken=broken)

    async def _start_late(
        self,
        sent: _Sent[T],
        limit: Limit,
        broken: RPCError | None,
        confirm_start: Callable[[], Awaitable[None]] | None,
    ) -> WorkflowUpdateHandle[T] | Late:
        """A start not answered in time: ``Late`` once its run exists (or its update's handle).

        The run's existence is settled first, as ever (asked about for a start that broke
        off, the start sent again for one that was only late). Its update may also have
        been accepted with no word of it (a send for the outcome says nothing before it),
        so the update is then asked about with what is left of the limit: accepted is its handle (or
        ``Late.ACCEPTED``), anything else leaves the run's state to be read.
        """
        if broken is not None:
            await start_known(self._client, sent.workflow_id, sent.run_id, limit)
            return Late.NOT_ACCEPTED
        if confirm_start is not None:
            await confirm_start()
        if await self._ask(sent, limit) == "accepted":
            return await self._reattach(sent, limit)
        return Late.NOT_ACCEPTED  # the run exists: 202 with its state

    async def _late(
        self, sent: _Sent[T], limit: Limit, *, broken: RPCError | None
    ) -> WorkflowUpdateHandle[T] | Late:
        """An update not answered in time (or whose call broke): what Temporal says of it."""
        outcome = await self._ask(sent, limit)
        if outcome == "accepted":
            return await self._reattach(sent, limit)
        if outcome == "unknown" and broken is not None:
            # The call broke and Temporal cannot be asked: it may have been accepted.
            raise outcome_unknown(sent.run_id)
        if outcome == "absent" or limit.answer_by is not None:
            raise not_applied(sent.run_id, gone=outcome == "absent")
        return Late.NOT_ACCEPTED  # held by Temporal for the run: it will be processed

    async def _ask(self, sent: _Sent[T], limit: Limit) -> Outcome:
        """What Temporal says of the update (a refusal it holds is raised as the run's)."""
        try:
            return await self._outcomes.ask(sent.workflow_id, sent.update_id, limit)
        except WorkflowUpdateFailedError as error:
            raise _refusal(error, sent.run_id) from None

    async def _reattach(self, sent: _Sent[T], limit: Limit) -> WorkflowUpdateHandle[T] | Late:
        """The handle of an update Temporal has accepted (the same id sent again).

        Sent for ``COMPLETED``, the handle holds the outcome if it comes by the limit.
        """
        try:
            async with asyncio.timeout_at(limit.ends):
                return await sent.begin(sent.update_id, sent.stage)
        except WorkflowUpdateFailedError as error:
            raise _refusal(error, sent.run_id) from None
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError):
            return Late.ACCEPTED  # accepted: the run goes on

    async def start_broke(self, tenant: str, run_id: str, error: RPCError, limit: Limit) -> None:
        """Return when a start whose call failed with ``error`` did create its run.

        Raises:
            ApiError: Temporal's refusal as it is; for a broken call, a ``503`` saying
                nothing was started (Temporal has no such run) or that the start is
                unconfirmed (Temporal could not be asked within ``limit``).
        """
        if ended(error) or not _unreachable(error, run_id, "$.params"):
            raise rpc_error(error, run_id, path="$.params")
        await start_known(self._client, temporal_workflow_id(tenant, run_id), run_id, limit)

    async def ended(self, tenant: str, run_id: str) -> ApiError:
        """A ``409`` for a request to a run that has ended, saying how it ended."""
        try:
            state = (await self._reader.read(tenant, run_id)).body
        except ApiError:
            return ApiError(409, "Run Ended", f"run {run_id!r} has already ended")
        how = f"{state.workflow_status}" + (
            f" ({state.error_message})" if state.error_message else ""
        )
        return ApiError(
            409,
            "Run Ended",
            f"run {run_id!r} has already ended: it is {how} and takes no more requests",
            extensions={"workflowStatus": state.workflow_status.value},
        )

    async def wait(
        self,
        tenant: str,
        run_id: str,
        begin: Begin[T],
        *,
        limit: Limit,
        path: str = "$",
        start: bool = False,
        wait_for_view: bool = False,
        confirm_start: Callable[[], Awaitable[None]] | None = None,
    ) -> T | Late:
        """The update's answer, or why there is none when the limit came first.

        The update is sent for its outcome, so an answer that comes in time costs one
        request; one that does not is settled as :meth:`accepted` settles a late update
        (asked about by its id), and a start as a late start is (see :meth:`_start_late`).

        Args:
            tenant: the run's tenant.
            run_id: the run.
            begin: sends the update with the id and stage it is given.
            limit: when the answer is due.
            path: the body path Temporal's refusals are about.
            start: the update travels with the run's start.
            wait_for_view: see :meth:`accepted`.
            confirm_start: for a start not taken by ``limit.accept_until`` (and not broken
                off): makes sure its run exists, or raises the ``503`` that says it is
                unconfirmed (the timed-out call may still be on its way).
        """
        handle = await self._sent(
            tenant,
            run_id,
            begin,
            WorkflowUpdateStage.COMPLETED,
            limit=limit,
            path=path,
            start=start,
            wait_for_view=wait_for_view,
            confirm_start=confirm_start,
        )
        if isinstance(handle, Late):
            return handle
        try:
            async with asyncio.timeout_at(limit.ends):
                return await handle.result()
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, StoreError):
            # Accepted: the run goes on, whatever reading its answer ran into.
            return Late.ACCEPTED
        except WorkflowUpdateFailedError as error:
            raise refused(error, run_id) from None
        except RPCError:
            # Accepted: Temporal went away while the answer was awaited; the run goes on.
            return Late.ACCEPTED
