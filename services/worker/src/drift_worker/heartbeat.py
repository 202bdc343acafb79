"""Heartbeats of long (non-local) activities, so a dead worker is noticed in seconds.

Without them Temporal notices a worker that died in the middle of an HTTP node only
when the node's whole ``timeoutSeconds`` has passed. With a heartbeat timeout in the
activity options (the workflow sets one) and a background task that heartbeats while
the node runs, another worker starts the next attempt soon after the heartbeats stop.
Local activities run inside the workflow task, which has its own timeout: they do not
heartbeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Final, TypeVar

from temporalio import activity

from drift_worker.metrics import Metrics

__all__ = ["heartbeating"]

T = TypeVar("T")

_BEATS_PER_TIMEOUT: Final = 4


async def heartbeating(work: Awaitable[T], metrics: Metrics) -> T:
    """Await ``work`` while heartbeating, when this is an activity with a heartbeat timeout."""
    if not activity.in_activity():
        return await work
    info = activity.info()
    if info.is_local or not info.heartbeat_timeout:
        return await work
    interval = max(0.2, info.heartbeat_timeout.total_seconds() / _BEATS_PER_TIMEOUT)
    beating = asyncio.create_task(_beat(interval, metrics))
    try:
        return await work
    finally:
        beating.cancel()


async def _beat(interval: float, metrics: Metrics) -> None:
    # Not at once: the activity's start told Temporal it is alive, and a beat per node
    # that ends within the interval (most) would be an RPC for nothing.
    while True:
        await asyncio.sleep(interval)
        activity.heartbeat()
        metrics.heartbeats.inc()
