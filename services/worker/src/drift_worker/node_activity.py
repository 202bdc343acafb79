"""Where a node's activity runs: locally for a pure state, else as an ordinary activity.

A pure state (no I/O) runs as a local activity, in the workflow task that asked for it;
any other state runs as an activity with a heartbeat. Both take the state's pinned
timeout and retry policy. The run's steps, its utility calls and a fan-out's branch
steps all choose here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow

from drift_worker.plan import PlannedState
from drift_worker.retries import retry_options

__all__ = ["HEARTBEAT_TIMEOUT", "run_node_activity"]

HEARTBEAT_TIMEOUT = timedelta(seconds=10)
"""The longest silence of a node's ordinary activity before Temporal retries it."""

T = TypeVar("T")


async def run_node_activity(
    activity: str,
    request: Any,
    planned: PlannedState,
    result_type: type[T],
    *,
    heartbeat_timeout: timedelta = HEARTBEAT_TIMEOUT,
) -> T:
    """Run a node's activity: local for a pure state, else an activity that heartbeats.

    Both take the state's timeout and retry policy; a node's permanent failure is not
    retried. An ordinary activity must heartbeat within ``heartbeat_timeout`` (or its
    timeout, if shorter), so an attempt on a worker that died is retried soon.

    Args:
        activity: the activity's name (a step, a utility call, a branch step).
        request: its argument.
        planned: the state it runs, as pinned.
        result_type: the type its answer decodes to.
        heartbeat_timeout: the longest silence of an ordinary activity.
    """
    timeout = timedelta(seconds=planned.timeout_seconds)
    retry = retry_options(planned.retry, non_retryable=["PermanentNodeError"])
    done: T
    if planned.pure:
        done = await workflow.execute_local_activity(
            activity,
            request,
            result_type=result_type,
            start_to_close_timeout=timeout,
            retry_policy=retry,
        )
    else:
        done = await workflow.execute_activity(
            activity,
            request,
            result_type=result_type,
            start_to_close_timeout=timeout,
            heartbeat_timeout=min(heartbeat_timeout, timeout),
            retry_policy=retry,
        )
    return done
