"""An in-memory :class:`drift_api.engine.Engine` for unit tests of the handlers.

Runs live in a dict. A start waits at ``first_view`` (WAITING), an answer to it
completes the run with the answer as output, a terminate ends it TERMINATED. A test can
hold the engine (``hold``) so a sync call reaches its limit and gets :class:`Late`,
the way a slow Temporal would make it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import msgspec

from drift_api.engine import Answer, BulkActions, RunExists, RunListing, RunState
from drift_api.problems import ApiError
from drift_api.run_query import RunFilter
from drift_api.sync_limits import Late, Limit
from drift_models import (
    EventSignal,
    NodeStatus,
    RedriveRequest,
    ResumeInput,
    RunHistory,
    RunInput,
    RunPage,
    RunStatus,
    RunSummary,
    TerminateInput,
    UtilityInput,
    UtilityResponse,
    View,
    WorkflowResponse,
)

__all__ = ["FakeEngine"]

FIRST_VIEW = "confirmRefund"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class FakeEngine:
    """The engine contract over a dict of runs, keyed by tenant and run id."""

    runs: dict[tuple[str, str], WorkflowResponse] = field(default_factory=dict)
    inputs: dict[tuple[str, str], RunInput] = field(default_factory=dict)
    events: list[tuple[str, str, EventSignal]] = field(default_factory=list)
    closed: list[tuple[str, str]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    _open: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._open.set()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """While held, no run reaches its next stable point (sync calls come late)."""
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    async def _wait(self, limit: Limit) -> bool:
        try:
            async with asyncio.timeout_at(limit.ends):
                await self._open.wait()
        except TimeoutError:
            return False
        return True

    def _run(self, tenant: str, run_id: str) -> WorkflowResponse:
        run = self.runs.get((tenant, run_id))
        if run is None:
            raise ApiError(404, "Run Not Found", f"there is no run {run_id!r}")
        return run

    def _open_run(self, tenant: str, run_id: str) -> WorkflowResponse:
        run = self._run(tenant, run_id)
        if run.workflow_status.is_final:
            raise ApiError(409, "Run Ended", f"run {run_id!r} has already ended")
        return run

    def _create(self, run: RunInput) -> WorkflowResponse:
        key = (run.tenant_id, run.run_id)
        known = self.runs.get(key)
        if known is not None:
            if known.workflow_status.is_final:
                raise RunExists(run.run_id)
            return known
        state = WorkflowResponse(
            workflow_id=run.run_id,
            workflow_status=RunStatus.WAITING,
            workflow_definition_id=run.workflow_definition_id,
            workflow_version=run.version if isinstance(run.version, int) else None,
            current_node=FIRST_VIEW,
            view=View(node=FIRST_VIEW, layout_id="form"),
            created_at=_now(),
        )
        self.runs[key] = state
        self.inputs[key] = run
        return state

    # -- the contract ---------------------------------------------------------------------

    async def stage(self, value: object, *, what: str, limit: Limit) -> None:
        """Nothing to stage: the fake keeps payloads in memory."""
        del value, what, limit

    async def start(self, run: RunInput, limit: Limit) -> bool:
        """Create the run at once."""
        del limit
        self.calls.append("start")
        self._create(run)
        return True

    async def start_and_wait(self, run: RunInput, limit: Limit) -> WorkflowResponse | Late:
        """Create the run; its first view, unless the engine is held past the limit."""
        self.calls.append("start_and_wait")
        state = self._create(run)
        if not await self._wait(limit):
            return Late.ACCEPTED
        return state

    def _answer(self, tenant: str, run_id: str, answer: ResumeInput) -> WorkflowResponse:
        run = self._open_run(tenant, run_id)
        if run.workflow_status is not RunStatus.WAITING:
            raise ApiError(409, "Not Waiting", f"run {run_id!r}: not waiting")
        if answer.node is not None and answer.node != run.current_node:
            raise ApiError(409, "Wrong View", f"run {run_id!r}: shows {run.current_node}")
        done = msgspec.structs.replace(
            run,
            workflow_status=RunStatus.COMPLETED,
            view=None,
            output={"answer": msgspec.to_builtins(answer.view_response)},
            updated_at=_now(),
        )
        self.runs[tenant, run_id] = done
        return done

    async def resume(
        self, tenant: str, run_id: str, answer: ResumeInput, limit: Limit
    ) -> WorkflowResponse | Late:
        """Complete the run with the answer as its output."""
        self.calls.append("resume")
        self._open_run(tenant, run_id)
        if not await self._wait(limit):
            return Late.ACCEPTED
        return self._answer(tenant, run_id, answer)

    async def deliver_resume(
        self, tenant: str, run_id: str, answer: ResumeInput, limit: Limit
    ) -> None:
        """Complete the run with the answer at once."""
        del limit
        self.calls.append("deliver_resume")
        self._answer(tenant, run_id, answer)

    async def utility(
        self, tenant: str, run_id: str, call: UtilityInput, limit: Limit
    ) -> UtilityResponse | Late:
        """Echo the parameters as the utility state's output."""
        del limit
        self._open_run(tenant, run_id)
        return UtilityResponse(
            node=call.node, status=NodeStatus.COMPLETED, response=dict(call.parameters)
        )

    async def terminate(
        self, tenant: str, run_id: str, call: TerminateInput, limit: Limit
    ) -> WorkflowResponse | Late:
        """End the run TERMINATED with the reason as its error."""
        del limit
        self.calls.append("terminate")
        run = self._open_run(tenant, run_id)
        ended = msgspec.structs.replace(
            run, workflow_status=RunStatus.TERMINATED, view=None, error_message=call.reason
        )
        self.runs[tenant, run_id] = ended
        return ended

    async def close_terminated(self, tenant: str, run_id: str) -> None:
        """Record the close."""
        self.closed.append((tenant, run_id))

    async def send_event(self, tenant: str, run_id: str, event: EventSignal, limit: Limit) -> None:
        """Record the event of an open run."""
        del limit
        self._open_run(tenant, run_id)
        self.events.append((tenant, run_id, event))

    async def read_state(
        self, tenant: str, run_id: str, *, query_timeout: float | None = None
    ) -> RunState:
        """The run as the dict holds it."""
        del query_timeout
        return RunState(self._run(tenant, run_id), "engine")

    async def redrive(
        self, tenant: str, run_id: str, request: RedriveRequest, *, wait: bool = True
    ) -> Answer[WorkflowResponse]:
        """Refused: no fake run fails."""
        del request, wait
        state = self._run(tenant, run_id)
        raise ApiError(409, "Not Failed", f"run {run_id!r} is {state.workflow_status}")

    async def history(self, tenant: str, run_id: str) -> RunHistory:
        """An empty history of a known run."""
        self._run(tenant, run_id)
        return RunHistory(workflow_id=run_id, entries=[])

    async def attempt_states(self, tenant: str, run_id: str) -> tuple[set[str], set[str]]:
        """No earlier attempts."""
        del tenant, run_id
        return set(), set()

    async def parent(self, tenant: str, run_id: str) -> str | None:
        """No fake run is a child."""
        del tenant, run_id
        return None

    def listing(self, *, secret: bytes | None) -> RunListing:
        """Pages over the dict, newest first; a page token is the next offset."""
        del secret
        return _Listing(self)

    def bulk(self) -> BulkActions:
        """Bulk actions are not part of the fake (tests/api drives them on Temporal)."""
        raise NotImplementedError("the fake engine has no bulk actions")

    async def health(self) -> None:
        """Always up."""


@dataclass
class _Listing:
    engine: FakeEngine

    def _matching(self, tenant: str, run_filter: RunFilter) -> list[WorkflowResponse]:
        runs = [
            run
            for (owner, _), run in self.engine.runs.items()
            if owner == tenant
            and (not run_filter.statuses or run.workflow_status in run_filter.statuses)
        ]
        return sorted(runs, key=lambda run: run.workflow_id)

    async def page(
        self, tenant: str, run_filter: RunFilter, *, limit: int, page_token: str | None, total: bool
    ) -> RunPage:
        runs = self._matching(tenant, run_filter)
        start = int(page_token or 0)
        chosen = runs[start : start + limit]
        following = start + limit
        return RunPage(
            items=[
                RunSummary(
                    workflow_id=run.workflow_id,
                    workflow_definition_id=run.workflow_definition_id,
                    workflow_status=run.workflow_status,
                    started_at=run.created_at or _now(),
                )
                for run in chosen
            ],
            next_page_token=str(following) if following < len(runs) else None,
            total=len(runs) if total else None,
        )

    async def count(self, tenant: str, run_filter: RunFilter) -> int:
        return len(self._matching(tenant, run_filter))
