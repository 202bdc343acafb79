"""An engine connected on first use: the API starts, and stays up, while Temporal is away.

:class:`ConnectingEngine` stands for the engine until a connection succeeds. Each call
before that tries to connect (one try at a time, at most one per ``retry_seconds``, each
bounded by ``attempt_seconds``); a call that finds no engine answers ``503`` with
``Retry-After``, so a client retries and the process never exits for an engine that
comes later. Once connected, every call goes straight to the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from drift_api.engine import Answer, BulkActions, Engine, RunListing, RunState
from drift_api.problems import ApiError
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

__all__ = ["ConnectingEngine"]

_LOG = logging.getLogger(__name__)
_RETRY_AFTER: Final = "1"


class ConnectingEngine:
    """An :class:`drift_api.engine.Engine` that connects the real one when first needed.

    Args:
        connect: makes the engine (connects to Temporal); raises when it cannot.
        attempt_seconds: the most one try to connect may take.
        retry_seconds: the least time between two tries.
    """

    def __init__(
        self,
        connect: Callable[[], Awaitable[Engine]],
        *,
        attempt_seconds: float = 3.0,
        retry_seconds: float = 1.0,
    ) -> None:
        self._connect = connect
        self._attempt_seconds = attempt_seconds
        self._retry_seconds = retry_seconds
        self._engine: Engine | None = None
        self._lock = asyncio.Lock()
        self._next_try = 0.0
        self._why = "not connected yet"
        self._listings: dict[bytes | None, RunListing] = {}
        self._bulk: BulkActions | None = None

    @property
    def connected(self) -> bool:
        """Whether the engine is connected."""
        return self._engine is not None

    async def engine(self) -> Engine:
        """The connected engine, connecting it now if it may be tried.

        Raises:
            ApiError: ``503`` with ``Retry-After`` when the engine cannot be reached.
        """
        if self._engine is not None:
            return self._engine
        loop = asyncio.get_running_loop()
        if self._lock.locked() or loop.time() < self._next_try:
            raise self._unavailable()
        async with self._lock:
            if self._engine is None:
                try:
                    async with asyncio.timeout(self._attempt_seconds):
                        self._engine = await self._connect()
                except Exception as error:  # noqa: BLE001 - every failed try is the same 503
                    self._next_try = loop.time() + self._retry_seconds
                    self._why = f"{type(error).__name__}: {error}".strip()
                    _LOG.warning("the engine cannot be reached yet: %s", self._why)
                    raise self._unavailable() from None
                _LOG.info("the engine is connected")
            return self._engine

    def _unavailable(self) -> ApiError:
        return ApiError(
            503,
            "Engine Unavailable",
            f"Temporal could not be reached: {self._why}; nothing was sent; try again",
            headers={"Retry-After": _RETRY_AFTER},
        )

    # -- the contract, delegated ----------------------------------------------------------

    async def stage(self, value: object, *, what: str, limit: Limit) -> None:
        """See :meth:`drift_api.engine.Engine.stage`."""
        await (await self.engine()).stage(value, what=what, limit=limit)

    async def start(self, run: RunInput, limit: Limit) -> bool:
        """See :meth:`drift_api.engine.Engine.start`."""
        return await (await self.engine()).start(run, limit)

    async def start_and_wait(self, run: RunInput, limit: Limit) -> WorkflowResponse | Late:
        """See :meth:`drift_api.engine.Engine.start_and_wait`."""
        return await (await self.engine()).start_and_wait(run, limit)

    async def resume(
        self, tenant: str, run_id: str, answer: ResumeInput, limit: Limit
    ) -> WorkflowResponse | Late:
        """See :meth:`drift_api.engine.Engine.resume`."""
        return await (await self.engine()).resume(tenant, run_id, answer, limit)

    async def deliver_resume(
        self, tenant: str, run_id: str, answer: ResumeInput, limit: Limit
    ) -> None:
        """See :meth:`drift_api.engine.Engine.deliver_resume`."""
        await (await self.engine()).deliver_resume(tenant, run_id, answer, limit)

    async def utility(
        self, tenant: str, run_id: str, call: UtilityInput, limit: Limit
    ) -> UtilityResponse | Late:
        """See :meth:`drift_api.engine.Engine.utility`."""
        return await (await self.engine()).utility(tenant, run_id, call, limit)

    async def terminate(
        self, tenant: str, run_id: str, call: TerminateInput, limit: Limit
    ) -> WorkflowResponse | Late:
        """See :meth:`drift_api.engine.Engine.terminate`."""
        return await (await self.engine()).terminate(tenant, run_id, call, limit)

    async def close_terminated(self, tenant: str, run_id: str) -> None:
        """See :meth:`drift_api.engine.Engine.close_terminated`."""
        await (await self.engine()).close_terminated(tenant, run_id)

    async def send_event(self, tenant: str, run_id: str, event: EventSignal, limit: Limit) -> None:
        """See :meth:`drift_api.engine.Engine.send_event`."""
        await (await self.engine()).send_event(tenant, run_id, event, limit)

    async def read_state(
        self, tenant: str, run_id: str, *, query_timeout: float | None = None
    ) -> RunState:
        """See :meth:`drift_api.engine.Engine.read_state`."""
        engine = await self.engine()
        return await engine.read_state(tenant, run_id, query_timeout=query_timeout)

    async def redrive(
        self, tenant: str, run_id: str, request: RedriveRequest, *, wait: bool = True
    ) -> Answer[WorkflowResponse]:
        """See :meth:`drift_api.engine.Engine.redrive`."""
        return await (await self.engine()).redrive(tenant, run_id, request, wait=wait)

    async def history(self, tenant: str, run_id: str) -> RunHistory:
        """See :meth:`drift_api.engine.Engine.history`."""
        return await (await self.engine()).history(tenant, run_id)

    async def attempt_states(self, tenant: str, run_id: str) -> tuple[set[str], set[str]]:
        """See :meth:`drift_api.engine.Engine.attempt_states`."""
        return await (await self.engine()).attempt_states(tenant, run_id)

    async def parent(self, tenant: str, run_id: str) -> str | None:
        """See :meth:`drift_api.engine.Engine.parent`."""
        return await (await self.engine()).parent(tenant, run_id)

    def listing(self, *, secret: bytes | None) -> RunListing:
        """A listing that reaches the engine's when it is called (one per ``secret``)."""
        return _Listing(self, secret)

    def bulk(self) -> BulkActions:
        """Bulk actions that reach the engine's when they are called."""
        return _Bulk(self)

    async def health(self) -> None:
        """See :meth:`drift_api.engine.Engine.health` (raises while not connected)."""
        await (await self.engine()).health()

    async def listing_of(self, secret: bytes | None) -> RunListing:
        """The connected engine's listing for ``secret``, made once (its tokens stay valid)."""
        listing = self._listings.get(secret)
        if listing is None:
            listing = self._listings[secret] = (await self.engine()).listing(secret=secret)
        return listing

    async def bulk_of(self) -> BulkActions:
        """The connected engine's bulk actions, made once (its jobs are kept there)."""
        if self._bulk is None:
            self._bulk = (await self.engine()).bulk()
        return self._bulk


class _Listing:
    def __init__(self, engine: ConnectingEngine, secret: bytes | None) -> None:
        self._engine = engine
        self._secret = secret

    async def page(
        self, tenant: str, run_filter: RunFilter, *, limit: int, page_token: str | None, total: bool
    ) -> RunPage:
        listing = await self._engine.listing_of(self._secret)
        return await listing.page(
            tenant, run_filter, limit=limit, page_token=page_token, total=total
        )

    async def count(self, tenant: str, run_filter: RunFilter) -> int:
        return await (await self._engine.listing_of(self._secret)).count(tenant, run_filter)


class _Bulk:
    def __init__(self, engine: ConnectingEngine) -> None:
        self._engine = engine

    async def terminate(
        self, tenant: str, run_filter: RunFilter, *, reason: str, dry_run: bool
    ) -> BulkJob:
        bulk = await self._engine.bulk_of()
        return await bulk.terminate(tenant, run_filter, reason=reason, dry_run=dry_run)

    async def redrive(self, tenant: str, run_filter: RunFilter, *, dry_run: bool) -> BulkJob:
        return await (await self._engine.bulk_of()).redrive(tenant, run_filter, dry_run=dry_run)

    async def job(self, tenant: str, job_id: str) -> BulkJob:
        return await (await self._engine.bulk_of()).job(tenant, job_id)
