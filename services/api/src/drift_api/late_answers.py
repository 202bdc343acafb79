"""What a sync call answers with ``202`` when its run's answer did not come in time.

A late answer costs little and comes in time. When the run accepted the update (the
acceptance was seen, or Temporal said so when asked by the update's id), the acceptance
itself tells the state: the run is open and on its way to its next stable point, so the
answer is ``RUNNING`` without a Temporal query. Only a call whose update was not
accepted (a start not yet taken, an update Temporal still holds) reads the run, within
the late-answer budget. Either way the call is answered within its limit plus that
budget, at any load.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus

from drift_api.bodies import millis_to_datetime
from drift_api.engine import Engine, RunState
from drift_api.problems import ApiError
from drift_api.sync_limits import Late
from drift_models import RunStatus, WorkflowResponse
from drift_store import ContextStore, StoreError

__all__ = ["Late", "LateAnswers"]


def _running(run_id: str, workflow: str | None) -> WorkflowResponse:
    return WorkflowResponse(
        workflow_id=run_id, workflow_status=RunStatus.RUNNING, workflow_definition_id=workflow or ""
    )


class LateAnswers:
    """The states late sync calls answer, each found within the late budget.

    Args:
        engine: reads a run's state (for a call whose update was not accepted).
        contexts: the stored contexts (what names a run whose update was accepted).
        late_budget: seconds a late call may spend finding the state it answers.
    """

    def __init__(self, engine: Engine, contexts: ContextStore, *, late_budget: float = 1.0) -> None:
        self._engine = engine
        self._contexts = contexts
        self._late_budget = late_budget

    async def late(
        self, tenant: str, run_id: str, why: Late, *, known: WorkflowResponse | None = None
    ) -> RunState:
        """The state a sync call past its limit answers with ``202``.

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
        try:
            async with asyncio.timeout(self._late_budget):
                record = await self._contexts.get(tenant, run_id)
        except (TimeoutError, StoreError):
            record = None
        if record is None:
            return RunState(_running(run_id, None), "engine")
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
                return await self._engine.read_state(
                    tenant, run_id, query_timeout=self._late_budget / 2
                )
        except TimeoutError:
            return RunState(_running(run_id, workflow), "engine")
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
            return RunState(_running(run_id, workflow), "engine")
