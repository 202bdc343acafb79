"""The run gateway's sync calls: a place each, a limit each, and their late answers.

A sync call holds a place of :class:`drift_api.admission.SyncAdmission` while it waits
(``429`` at once when none is free, before anything is sent); its :class:`Limit` counts
from its admission, so staging its payloads, sending the update and waiting for the
answer all share it. A call past its limit answers ``202`` through
:class:`drift_api.late_answers.LateAnswers`, within the late-answer budget.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Generic, TypeVar

from temporalio.client import Client

from drift_api.admission import SyncAdmission
from drift_api.late_answers import Late, LateAnswers
from drift_api.run_state import StateReader
from drift_api.update_calls import Begin, Limit, UpdateCalls, seconds_left, stage_payloads
from drift_models import WorkflowResponse
from drift_store import ContextStore

__all__ = ["Answer", "SyncCalls"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """What a run call answers.

    Attributes:
        body: the response body.
        complete: ``True`` when the call reached its end (200); ``False`` when it
            answers ``202`` (async mode, or the sync timeout passed).
        source: where a state came from: ``engine`` (Temporal) or ``store``.
    """

    body: T
    complete: bool = True
    source: str = "engine"


class SyncCalls:
    """Admits sync calls, waits for their updates and answers the late ones.

    Args:
        client: the Temporal client.
        reader: reads a run's state.
        contexts: the stored contexts.
        admission: bounds the sync calls waiting at once.
        late_budget: seconds a call past its limit may spend finding its ``202`` state.
    """

    def __init__(
        self,
        client: Client,
        reader: StateReader,
        contexts: ContextStore,
        *,
        admission: SyncAdmission,
        late_budget: float,
    ) -> None:
        self.updates = UpdateCalls(reader, client)
        self._late = LateAnswers(reader, contexts, late_budget=late_budget)
        self._admission = admission
        self._client = client

    def admit(self) -> AbstractContextManager[None]:
        """A place among the sync calls waiting (``429`` when none is free)."""
        return self._admission.admit()

    def place(self, callback_url: str | None) -> AbstractContextManager[None]:
        """A place for a sync call; an async call (with a ``callbackUrl``) holds none."""
        return nullcontext() if callback_url is not None else self.admit()

    async def stage(self, value: object, what: str, limit: Limit) -> None:
        """Store ``value``'s big payloads before anything is sent (``503`` when late)."""
        # Staging shares the call's limit: the update must still be sent within it.
        await stage_payloads(
            self._client.data_converter, value, what=what, timeout=seconds_left(limit.accept_until)
        )

    async def answer(
        self,
        tenant: str,
        run_id: str,
        begin: Begin[WorkflowResponse],
        limit: Limit,
        *,
        known: WorkflowResponse | None = None,
        path: str = "$",
        wait_for_view: bool = False,
    ) -> Answer[WorkflowResponse]:
        """Send the update and answer its result, or the run's ``202`` state when late.

        Args:
            tenant: the run's tenant.
            run_id: the run.
            begin: sends the update with the id it is given.
            limit: when the call must be over.
            known: for a start, the run it creates (what a late answer says of it).
            path: the body path Temporal's refusals are about.
            wait_for_view: the answer names its view (see :meth:`UpdateCalls.accepted`).
        """
        result = await self.updates.wait(
            tenant,
            run_id,
            begin,
            limit=limit,
            path=path,
            start=known is not None,
            wait_for_view=wait_for_view,
        )
        if isinstance(result, Late):
            return await self.late(tenant, run_id, result, known=known)
        return Answer(result)

    async def late(
        self, tenant: str, run_id: str, why: Late, *, known: WorkflowResponse | None = None
    ) -> Answer[WorkflowResponse]:
        """The ``202`` of a call past its limit (no query when the run accepted it)."""
        read = await self._late.late(tenant, run_id, why, known=known)
        return Answer(read.body, complete=False, source=read.source)

    async def running(
        self, tenant: str, run_id: str, *, workflow: str | None = None
    ) -> Answer[WorkflowResponse]:
        """The ``202`` of a call delivered without its answer: whatever is known now."""
        read = await self._late.running(tenant, run_id, workflow=workflow)
        return Answer(read.body, complete=False, source=read.source)
