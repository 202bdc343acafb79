"""The run gateway's sync calls: a place each, a limit each, and their late answers.

A sync call holds a place of :class:`drift_api.admission.SyncAdmission` while it waits
(``429`` at once when none is free, before anything is sent); its :class:`Limit` counts
from its admission, so staging its payloads, sending the update and waiting for the
answer all share it. A call past its limit answers ``202`` through
:class:`drift_api.late_answers.LateAnswers`, within the late-answer budget.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

from drift_api.admission import SyncAdmission
from drift_api.engine import Answer, Engine
from drift_api.late_answers import LateAnswers
from drift_api.sync_limits import Late, Limit
from drift_models import WorkflowResponse
from drift_store import ContextStore

__all__ = ["Answer", "SyncCalls"]

T = TypeVar("T")


class SyncCalls:
    """Admits sync calls and answers the late ones.

    Args:
        engine: the workflow engine.
        contexts: the stored contexts.
        admission: bounds the sync calls waiting at once.
        late_budget: seconds a call past its limit may spend finding its ``202`` state.
    """

    def __init__(
        self,
        engine: Engine,
        contexts: ContextStore,
        *,
        admission: SyncAdmission,
        late_budget: float,
    ) -> None:
        self._late = LateAnswers(engine, contexts, late_budget=late_budget)
        self._admission = admission
        self._engine = engine

    def admit(self, *, starting: bool = False) -> AbstractContextManager[None]:
        """A place among the sync calls waiting (``429`` when none is free)."""
        return self._admission.admit(starting=starting)

    def place(
        self, callback_url: str | None, *, starting: bool = False
    ) -> AbstractContextManager[None]:
        """A place for a sync call; an async call (with a ``callbackUrl``) holds none."""
        return nullcontext() if callback_url is not None else self.admit(starting=starting)

    async def stage(self, value: object, what: str, limit: Limit) -> None:
        """Store ``value``'s big payloads before anything is sent (``503`` when late)."""
        await self._engine.stage(value, what=what, limit=limit)

    async def answer(
        self,
        tenant: str,
        run_id: str,
        result: WorkflowResponse | Late,
        *,
        known: WorkflowResponse | None = None,
    ) -> Answer[WorkflowResponse]:
        """The engine's answer, or the run's ``202`` state when it came late.

        Args:
            tenant: the run's tenant.
            run_id: the run.
            result: what the engine answered within the call's limit.
            known: for a start, the run it creates (what a late answer says of it).
        """
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
