"""Waiting out a store outage inside the workflow: durable timers, with no end.

An engine activity whose store I/O did not go through fails with ``StoreUnavailable``
(see :mod:`drift_worker.store_guard`). :func:`until_stored` answers that failure, and
only that one, by sleeping on a workflow timer (1 s, doubling up to 60 s) and running
the same activity again, for as long as the store stays away. The node's own retry
policy is not involved: a store outage delays a run, it never fails it.

This is workflow code (deterministic; the timers are in the run's history).

No patch guards this path, and none may be asked for where a local activity's result
arrives: on replay a local activity's result can be delivered one workflow task earlier
than it was live (its marker is in the task that scheduled it, while the live run saw it
in the next one), before the SDK has been told of a patch marker recorded in that later
task. ``workflow.patched`` then answers False on replay where it answered True live, and
the run can no longer be replayed. Old histories cannot reach this path anyway: before
the store wait, ``StoreUnavailable`` was raised as a *retryable* error, and only a
non-retryable one is waited out.
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
"""A patch that builds before 0.3 recorded at a run's first store wait. New runs never
record it; replays of runs that did still answer it (see :func:`until_stored`)."""
FIRST_WAIT: Final = timedelta(seconds=1)
LONGEST_WAIT: Final = timedelta(seconds=60)
_LOUD_EVERY: Final = 10


class StoreWaitTooLong(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The run has waited for the store so long that its history should start anew."""


def store_unavailable(error: BaseException) -> bool:
    """Whether an activity failed because its store I/O did not go through.

    Only the non-retryable form counts: drift-worker 0.2 raised a retryable
    ``StoreUnavailable`` that used the node's retries and then failed the node, and its
    histories must replay that way.
    """
    current: BaseException | None = error
    while current is not None:
        if (
            isinstance(current, ApplicationError)
            and current.type == STORE_UNAVAILABLE
            and current.non_retryable
        ):
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
            if not store_unavailable(error):
                raise
            if tries == 0 and workflow.unsafe.is_replaying():
                # Only for histories of earlier builds, which recorded the patch here:
                # the answer is ignored, the call only matches their marker. Live runs
                # never ask, so they record no marker.
                workflow.patched(PATCH)
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
