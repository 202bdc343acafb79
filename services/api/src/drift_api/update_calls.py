"""Sending an update and waiting for its answer, and what to answer when it is late.

A sync call waits first for the update's acceptance, then for its result, both within
the sync timeout. Once Temporal has accepted the update, whatever goes wrong while the
answer is awaited (the timeout, Temporal or the store going away) makes the answer a
``202`` with the run's state: the run goes on, so an error would not be true. Before
acceptance, a refusal is the precise ``409``/``422`` of the run's validators, and a run
that has ended says how it ended.

A late answer costs little: when the update was accepted, the acceptance itself tells
the state (the run is open and on its way to the next stable point), so no query is
sent; only a late call whose update was never accepted asks Temporal (or the store)
what happened, within the late-answer budget. Either way the call is answered within
the sync timeout plus that budget, at any load.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import TypeVar

from temporalio.client import (
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.converter import DataConverter
from temporalio.service import RPCError

from drift_api.bodies import millis_to_datetime
from drift_api.engine_errors import ended, refused, rpc_error
from drift_api.problems import ApiError
from drift_api.run_state import RunState, StateReader
from drift_models import RunStatus, WorkflowResponse
from drift_store import ContextStore, StoreError

__all__ = ["Late", "UpdateCalls", "seconds_left", "stage_payloads"]

T = TypeVar("T")


class Late(enum.Enum):
    """Why a sync call has no answer by its deadline."""

    NOT_ACCEPTED = "not-accepted"
    """Temporal did not accept the update in time: whether anything happened is unknown."""
    ACCEPTED = "accepted"
    """The run took the update and goes on: it is open and between stable points."""


def seconds_left(deadline: float) -> float:
    """Seconds until ``deadline`` (event-loop time), never negative."""
    return max(0.0, deadline - asyncio.get_running_loop().time())


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


class UpdateCalls:
    """Updates sent to runs, with true answers when they are refused or late.

    Args:
        reader: reads a run's state for a ``202`` or a ``409``.
        contexts: the stored contexts (what a late answer to an accepted update names).
        late_budget: seconds a late call may spend finding the state it answers.
    """

    def __init__(
        self, reader: StateReader, contexts: ContextStore, *, late_budget: float = 1.0
    ) -> None:
        self._reader = reader
        self._contexts = contexts
        self._late_budget = late_budget

    async def late(
        self, tenant: str, run_id: str, why: Late, *, known: WorkflowResponse | None = None
    ) -> RunState:
        """The state a sync call past its deadline answers with ``202``.

        Args:
            tenant: the run's tenant.
            run_id: the run.
            why: whether the run accepted the update.
            known: what the call knows of the run already (a start: its workflow).
        """
        if why is Late.ACCEPTED:
            return await self.moving(tenant, run_id, known=known)
        workflow = known.workflow_definition_id if known is not None else None
        return await self.running(tenant, run_id, workflow=workflow)

    async def moving(
        self, tenant: str, run_id: str, *, known: WorkflowResponse | None = None
    ) -> RunState:
        """The state for a ``202`` after the run accepted the update: ``RUNNING``.

        No Temporal query: the acceptance says the run is open and moving. ``known``
        (a start knows its workflow and version) names the run; otherwise the stored
        context does, if it answers within the late budget.
        """
        if known is not None:
            return RunState(known, "engine")
        body = WorkflowResponse(
            workflow_id=run_id, workflow_status=RunStatus.RUNNING, workflow_definition_id=""
        )
        try:
            async with asyncio.timeout(self._late_budget):
                record = await self._contexts.get(tenant, run_id)
        except (TimeoutError, StoreError):
            record = None
        if record is not None:
            body = WorkflowResponse(
                workflow_id=run_id,
                workflow_status=RunStatus.RUNNING,
                workflow_definition_id=record.workflow_id or "",
                workflow_version=record.workflow_version,
                created_at=millis_to_datetime(record.created_at),
            )
        return RunState(body, "engine")

    async def running(self, tenant: str, run_id: str, *, workflow: str | None = None) -> RunState:
        """The state for a ``202``: whatever is known now.

        The call was sent and its answer did not come in time, so the run most likely
        goes on: the answer is ``202`` with whatever Temporal or the store can say
        within the late budget. Only Temporal's word that there is no such run makes
        it an error (a start that created nothing is ``503``: retrying it is safe).

        Args:
            tenant: the run's tenant.
            run_id: the run.
            workflow: for a start, the workflow it was asked to run.
        """
        try:
            async with asyncio.timeout(self._late_budget):
                return await self._reader.read(tenant, run_id, query_timeout=self._late_budget / 2)
        except TimeoutError:
            body = WorkflowResponse(
                workflow_id=run_id,
                workflow_status=RunStatus.RUNNING,
                workflow_definition_id=workflow or "",
            )
            return RunState(body, "engine")
        except ApiError as error:
            if error.status == HTTPStatus.NOT_FOUND:
                if workflow is None:
                    raise
                raise ApiError(
                    503,
                    "Engine Unavailable",
                    f"Temporal did not take the start of run {run_id!r} in time and has no "
                    "such run: nothing was started; try again",
                    headers={"Retry-After": "1"},
                ) from None
            body = WorkflowResponse(
                workflow_id=run_id,
                workflow_status=RunStatus.RUNNING,
                workflow_definition_id=workflow or "",
            )
            return RunState(body, "engine")

    async def accepted(
        self,
        tenant: str,
        run_id: str,
        begin: Callable[[], Awaitable[WorkflowUpdateHandle[T]]],
        *,
        timeout: float,  # noqa: ASYNC109 - the sync timeout, shared by two waits
        path: str = "$",
    ) -> WorkflowUpdateHandle[T] | None:
        """Send an update; ``None`` when it was not accepted within ``timeout``.

        Raises:
            ApiError: the run's refusal, a run that has ended (409 saying how), or
                Temporal's refusal of the request (``path`` names what it is about).
        """
        try:
            async with asyncio.timeout(timeout):
                return await begin()
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            return None
        except WorkflowUpdateFailedError as error:
            raise refused(error, run_id) from None
        except RPCError as error:
            if ended(error):
                raise await self.ended(tenant, run_id) from None
            raise rpc_error(error, run_id, path=path) from None

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
        begin: Callable[[], Awaitable[WorkflowUpdateHandle[T]]],
        *,
        timeout: float,  # noqa: ASYNC109 - the sync timeout, shared by two waits
        path: str = "$",
    ) -> T | Late:
        """The update's answer, or why there is none when ``timeout`` passed first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        handle = await self.accepted(tenant, run_id, begin, timeout=timeout, path=path)
        if handle is None:
            return Late.NOT_ACCEPTED
        try:
            async with asyncio.timeout_at(deadline):
                return await handle.result()
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, StoreError):
            # Accepted: the run goes on, whatever reading its answer ran into.
            return Late.ACCEPTED
        except WorkflowUpdateFailedError as error:
            raise refused(error, run_id) from None
        except RPCError:
            # Accepted: Temporal went away while the answer was awaited; the run goes on.
            return Late.ACCEPTED
