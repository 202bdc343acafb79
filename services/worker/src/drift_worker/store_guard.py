"""The engine's own store I/O when the store is away: one error, a deadline, a watch.

Every read and write the engine's activities make (definitions, the run's context)
goes through :func:`store_io`. A store that cannot be reached, does not answer in time
or lost a compare-and-set race becomes one non-retryable ``StoreUnavailable``
ApplicationError. The workflow catches exactly that type and runs the same activity
again after a durable timer, for as long as the store stays away, without touching the
node's own retry budget (see ``DriftRunWorkflow._until_stored``). A node's own failure
never takes this path.

:class:`StoreOutages` counts those errors and knows which runs are waiting, for the
worker's log and metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Final

from temporalio import activity
from temporalio.exceptions import ApplicationError

from drift_store import BackendUnavailableError, RevisionConflict
from drift_worker.metrics import Metrics
from drift_worker.plan import STORE_UNAVAILABLE

__all__ = ["StoreOutages", "start_attempt", "store_io"]

_LOG = logging.getLogger(__name__)
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "drift_store_deadline", default=None
)
_LOCAL: contextvars.ContextVar[bool] = contextvars.ContextVar("drift_store_local", default=False)
_MARGIN: Final = 1.0
"""Seconds kept free before an attempt's own timeout for the engine's error to arrive."""
LOCAL_STORE_LIMIT: Final = 10.0
"""Seconds one block of store calls may take in a local activity. A local activity holds
its run's workflow task, and queries of the run wait for that task: a store that hangs
must not keep them waiting for long. (As long as the HBase client's default per-call
timeout, so a store that is slow but working is not cut off.)"""
WAITING_WINDOW: Final = 150.0
"""A run counts as waiting for the store this long after its last failed store call
(more than the workflow's longest wait between two tries)."""


def start_attempt() -> None:
    """Bound this activity attempt's store calls by its own timeout.

    A store call that hangs would otherwise outlive the attempt: Temporal would time the
    attempt out and count it against the node's retries. Ending the call a little
    before turns it into ``StoreUnavailable``, which does not.
    """
    if not activity.in_activity():
        return
    info = activity.info()
    timeout = info.start_to_close_timeout
    _LOCAL.set(info.is_local)
    if timeout is None:
        _DEADLINE.set(None)
        return
    seconds = timeout.total_seconds()
    margin = min(_MARGIN, seconds / 10)
    _DEADLINE.set(asyncio.get_running_loop().time() + seconds - margin)


def _block_deadline() -> float | None:
    deadline = _DEADLINE.get()
    if not _LOCAL.get():
        return deadline
    limit = asyncio.get_running_loop().time() + LOCAL_STORE_LIMIT
    return limit if deadline is None else min(deadline, limit)


class StoreOutages:
    """Which runs wait for the store, and the log lines and metrics that say so.

    Args:
        metrics: where the counter and the gauge live.
        clock: monotonic seconds (tests pass a fake one).
    """

    def __init__(self, metrics: Metrics, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._metrics = metrics
        self._clock = clock
        self._since: dict[tuple[str, str], float] = {}
        self._last: dict[tuple[str, str], float] = {}
        metrics.runs_waiting_for_store.set_function(self.waiting)

    def failed(
        self, tenant: str, run_id: str, operation: str, detail: str, *, conflict: bool = False
    ) -> ApplicationError:
        """Count and log a store call that failed; return the error the activity raises."""
        key = (tenant, run_id)
        now = self._clock()
        self._metrics.store_unavailable.labels(operation=operation).inc()
        first = key not in self._since or now - self._last[key] > WAITING_WINDOW
        if first:
            self._since[key] = now
            _LOG.warning(
                "run %s (tenant %s): %s %s (%s); the run waits and tries again until the "
                "store answers, without using the node's retries",
                run_id,
                tenant,
                operation,
                "lost a write race" if conflict else "failed: the store is unavailable",
                detail,
            )
        self._last[key] = now
        reason = (
            "the run's context changed underneath this step; it is read again"
            if conflict
            else "the store is unavailable"
        )
        return ApplicationError(
            f"run {run_id!r}: {operation}: {reason} ({detail})",
            type=STORE_UNAVAILABLE,
            non_retryable=True,
        )

    def succeeded(self, tenant: str, run_id: str) -> None:
        """Note that a run's store calls went through; log the end of its wait."""
        key = (tenant, run_id)
        since = self._since.pop(key, None)
        self._last.pop(key, None)
        if since is not None:
            _LOG.info(
                "run %s (tenant %s): the store answers again after %.1f s",
                run_id,
                tenant,
                self._clock() - since,
            )

    def waiting(self) -> int:
        """How many runs had a store call fail lately and none succeed since."""
        horizon = self._clock() - WAITING_WINDOW
        for key in [k for k, at in self._last.items() if at < horizon]:
            self._last.pop(key, None)
            self._since.pop(key, None)
        return len(self._last)


@contextlib.asynccontextmanager
async def store_io(
    outages: StoreOutages, tenant: str, run_id: str, operation: str
) -> AsyncIterator[None]:
    """Run the block's store calls within the attempt's deadline; map store outages.

    Raises:
        ApplicationError: ``StoreUnavailable`` when the store cannot be reached, does
            not answer before the attempt's deadline, or a compare-and-set lost.
    """
    try:
        async with asyncio.timeout_at(_block_deadline()):
            yield
    except RevisionConflict as error:
        raise outages.failed(tenant, run_id, operation, str(error), conflict=True) from None
    except TimeoutError:
        detail = "no answer in time"
        raise outages.failed(tenant, run_id, operation, detail) from None
    except (BackendUnavailableError, ConnectionError) as error:
        raise outages.failed(tenant, run_id, operation, str(error)) from None
