"""Waiting out a store outage inside the workflow: durable timers, with no end.

An engine activity whose store I/O did not go through fails with ``StoreUnavailable``
(see :mod:`drift_worker.store_guard`). :func:`until_stored` answers that failure, and
only that one, by sleeping on a workflow timer (1 s, doubling up to 60 s) and running
the same activity again, for as long as the store stays away. The node's own retry
policy is not involved: a store outage delays a run, it never fails it.

This is workflow code (deterministic; the timers are in the run's history).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

from drift_worker.plan import STORE_UNAVAILABLE

__all__ = ["PATCH", "StoreWaitTooLong", "store_unavailable", "until_stored"]

T = TypeVar("T")

PATCH: Final = "drift.store-wait"
"""The patch that marks runs which waited for the store (histories before it failed)."""
FIRST_WAIT: Final = timedelta(seconds=1)
LONGEST_WAIT: Final = timedelta(seconds=60)
_LOUD_EVERY: Final = 10


class StoreWaitTooLong(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The run has waited for the store so long that its history should start anew."""


def store_unavailable(error: BaseException) -> bool:
    """Whether an activity failed because its store I/O did not go through."""
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, ApplicationError) and current.type == STORE_UNAVAILABLE:
            return True
        current = current.__cause__
    return False


async def until_stored(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    run_id: str,
    describe: Callable[[BaseException], str],
    history_too_long: Callable[[], bool] | None = None,
) -> T:
    """Run an engine activity; while its store I/O fails, wait and run it again.

    Queries and updates are answered during the waits; a terminate request ends them
    (the run loop races the step).

    Args:
        what: what the activity does, for the log.
        attempt: schedules the activity once.
        run_id: the run, for the log.
        describe: the message of a failure, for the log.
        history_too_long: when given and true after a wait, the run should continue
            as new rather than wait on in this history.

    Raises:
        FailureError: any failure that is not ``StoreUnavailable`` (a node's own).
        StoreWaitTooLong: when ``history_too_long`` says so.
    """
    wait = FIRST_WAIT
    tries = 0
    while True:
        try:
            return await attempt()
        except FailureError as error:
            # Checked only when the store fails, so runs that never meet an outage keep
            # their histories exactly as before (no marker); histories recorded before
            # the patch replay their old failure.
            if not store_unavailable(error) or not workflow.patched(PATCH):
                raise
            tries += 1
            # Loud when the wait starts and every tenth try; the worker's metrics count
            # every failure.
            log = workflow.logger.warning if tries % _LOUD_EVERY == 1 else workflow.logger.info
            log(
                "run %s: %s waits for the store (try %d, next in %s): %s",
                run_id,
                what,
                tries,
                wait,
                describe(error),
            )
        await workflow.sleep(wait)
        wait = min(wait * 2, LONGEST_WAIT)
        if history_too_long is not None and history_too_long():
            raise StoreWaitTooLong
