"""Node-by-node progress events on Redis, for live views of runs.

Each step publishes one JSON message on ``drift:runs:<tenant>`` (and on the run's own
channel ``drift:run:<tenant>:<runId>``). Events are best effort: Redis being away is
logged, never raised, and never slows a run down for long.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import msgspec

from drift_models import RunStatus

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RunEvent", "RunEvents"]

_LOG = logging.getLogger(__name__)


class RunEvent(msgspec.Struct, kw_only=True, rename="camel"):
    """One progress event.

    Attributes:
        tenant_id: the run's tenant.
        workflow_id: the run's id.
        nodes: the states that just ran, in order.
        outcome: where the step left the run (NEXT, VIEW, WAIT, CHILD, END, FAILED).
        workflow_status: the run's status now.
        at: epoch milliseconds.
    """

    tenant_id: str
    workflow_id: str
    nodes: list[str]
    outcome: str | None
    workflow_status: RunStatus
    at: int


class RunEvents:
    """Publishes progress events to Redis.

    Args:
        redis: a connected client.
        timeout_seconds: the most one publish may take before it is given up.
    """

    def __init__(self, redis: Redis, timeout_seconds: float = 0.5) -> None:
        # Imported here: redis-py costs a worker ~20 MB that one without Redis never needs.
        from redis.exceptions import RedisError  # noqa: PLC0415

        self._redis = redis
        self._timeout = timeout_seconds
        self._failures: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)

    @staticmethod
    def channel(tenant: str, run_id: str | None = None) -> str:
        """The channel of a tenant's runs, or of one run."""
        return f"drift:runs:{tenant}" if run_id is None else f"drift:run:{tenant}:{run_id}"

    async def progress(
        self, tenant: str, run_id: str, nodes: list[str], outcome: Any, status: RunStatus
    ) -> None:
        """Publish what a step did."""
        event = RunEvent(
            tenant_id=tenant,
            workflow_id=run_id,
            nodes=nodes,
            outcome=None if outcome is None else str(outcome),
            workflow_status=status,
            at=int(time.time() * 1000),
        )
        payload = msgspec.json.encode(event)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.publish(self.channel(tenant), payload)
                pipe.publish(self.channel(tenant, run_id), payload)
                await pipe.execute()
        except self._failures as error:
            _LOG.warning("progress event for run %s not published: %s", run_id, error)
