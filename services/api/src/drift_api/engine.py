"""The engine contract of the API: Drift's run verbs, typed with Drift's own messages.

The run gateway (:mod:`drift_api.runs`), the routes and the console depend on
:class:`Engine`, never on a Temporal client, so they run and are tested without a
Temporal server. :class:`drift_api.temporal_engine.TemporalEngine` is the one
implementation over Temporal. A sync verb takes the call's :class:`Limit` and answers
its result, or a :class:`Late` when the limit came first (the gateway answers ``202``
then). Every refusal or failure is an :class:`drift_api.problems.ApiError` (the
problem the client sees) or a :class:`RunExists`; no engine library type crosses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, runtime_checkable

from drift_api.run_query import RunFilter
from drift_api.sync_limits import Late, Limit
from drift_models import (
    BulkJob,
    EventSignal,
    RedriveRequest,
    ResumeInput,
    RunHistory,
    RunInput,
    RunPage,
    TerminateInput,
    UtilityInput,
    UtilityResponse,
    WorkflowResponse,
)

__all__ = ["Answer", "BulkActions", "Engine", "RunExists", "RunListing", "RunState"]

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


@dataclass(frozen=True, slots=True)
class RunState:
    """A run's state and who told it.

    Attributes:
        body: the state.
        source: ``engine`` (Temporal answered) or ``store`` (the stored context did).
    """

    body: WorkflowResponse
    source: str


class RunExists(Exception):  # noqa: N818 - a fact the caller acts on, not a failure
    """A start found its run id taken by a run that has ended (the same id, the same run)."""


@runtime_checkable  # Litestar checks a dependency against its declared type
class RunListing(Protocol):
    """Pages and counts of a tenant's runs by a filter (visibility)."""

    async def page(
        self, tenant: str, run_filter: RunFilter, *, limit: int, page_token: str | None, total: bool
    ) -> RunPage:
        """One page of the tenant's runs that match ``run_filter``."""
        ...

    async def count(self, tenant: str, run_filter: RunFilter) -> int:
        """How many of the tenant's runs match ``run_filter``."""
        ...


@runtime_checkable
class BulkActions(Protocol):
    """Bulk terminate and redrive on a filter, and their jobs."""

    async def terminate(
        self, tenant: str, run_filter: RunFilter, *, reason: str, dry_run: bool
    ) -> BulkJob:
        """Terminate every open run that matches ``run_filter``."""
        ...

    async def redrive(self, tenant: str, run_filter: RunFilter, *, dry_run: bool) -> BulkJob:
        """Redrive every FAILED run that matches ``run_filter``."""
        ...

    async def job(self, tenant: str, job_id: str) -> BulkJob:
        """A bulk job of the tenant."""
        ...


class Engine(Protocol):
    """What the API asks of the workflow engine, run by run (``tenant`` and ``run_id``)."""

    async def stage(self, value: object, *, what: str, limit: Limit) -> None:
        """Store ``value``'s big payloads before anything is sent (``503`` when late)."""
        ...

    async def start(self, run: RunInput, limit: Limit) -> bool:
        """Start a run without waiting for it (async mode).

        Returns:
            ``True`` when the engine took the start; ``False`` when the call broke off
            and the run was found to exist afterwards.

        Raises:
            RunExists: the run id belongs to a run that has ended.
        """
        ...

    async def start_and_wait(self, run: RunInput, limit: Limit) -> WorkflowResponse | Late:
        """Start a run (or reach the open one with its id) and answer its first stable point.

        Raises:
            RunExists: the run id belongs to a run that has ended.
        """
        ...

    async def resume(
        self, tenant: str, run_id: str, answer: ResumeInput, limit: Limit
    ) -> WorkflowResponse | Late:
        """Answer the run's view and wait for its next stable point."""
        ...

    async def deliver_resume(
        self, tenant: str, run_id: str, answer: ResumeInput, limit: Limit
    ) -> None:
        """Hand the answer to the run (async mode); a refusal known at once is raised."""
        ...

    async def utility(
        self, tenant: str, run_id: str, call: UtilityInput, limit: Limit
    ) -> UtilityResponse | Late:
        """Run a disconnected state of the run."""
        ...

    async def terminate(
        self, tenant: str, run_id: str, call: TerminateInput, limit: Limit
    ) -> WorkflowResponse | Late:
        """Stop the run for good; answer its final state."""
        ...

    async def close_terminated(self, tenant: str, run_id: str) -> None:
        """Let a run the API terminated close in the engine too (best effort)."""
        ...

    async def send_event(self, tenant: str, run_id: str, event: EventSignal, limit: Limit) -> None:
        """Send an event to the run, within ``limit.ends``."""
        ...

    async def read_state(
        self, tenant: str, run_id: str, *, query_timeout: float | None = None
    ) -> RunState:
        """The run's state (the engine first, the store second).

        Raises:
            ApiError: 404 when the tenant has no such run, 503 when it cannot be read now.
        """
        ...

    async def redrive(
        self, tenant: str, run_id: str, request: RedriveRequest, *, wait: bool = True
    ) -> Answer[WorkflowResponse]:
        """Continue a FAILED run from the state that failed (``wait=False``: ``202`` at once)."""
        ...

    async def history(self, tenant: str, run_id: str) -> RunHistory:
        """The run's node-by-node history, over all its attempts."""
        ...

    async def attempt_states(self, tenant: str, run_id: str) -> tuple[set[str], set[str]]:
        """States the run's earlier attempts ran, and the states it was redriven at."""
        ...

    async def parent(self, tenant: str, run_id: str) -> str | None:
        """The run id of the run that started this one as a child, if any."""
        ...

    def listing(self, *, secret: bytes | None) -> RunListing:
        """The run listing (page tokens sealed with ``secret``)."""
        ...

    def bulk(self) -> BulkActions:
        """Bulk actions on filters."""
        ...

    async def health(self) -> None:
        """Return when the engine answers; raise when it does not (the readiness probe)."""
        ...
