"""WAIT: what to wait for — a duration, a moment, or an event with a timeout.

The node only works out *what* to wait for; the workflow turns the answer into a
durable Temporal timer or signal wait.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from drift_models import NodeDefinition, RetryPolicy, RunStatus, WaitNode
from drift_nodes.api import NodeCall, NodeType
from drift_nodes.errors import PermanentNodeError, ValueRenderError
from drift_nodes.results import NodeResult, WaitFor, WaitForDuration, WaitForEvent, WaitUntil

__all__ = ["WaitNodeType", "parse_moment"]


class WaitNodeType(NodeType[WaitNode]):
    """Answers ``status=SCHEDULER_WAITING`` and a :data:`~drift_nodes.WaitFor`.

    For an event with a ``timeoutNode``, ``next_node`` is left unset: the workflow goes
    to ``wait.timeout_node`` on timeout and to the state's ``nextNode`` otherwise.
    """

    definition: ClassVar[type[NodeDefinition]] = WaitNode
    pure: ClassVar[bool] = True
    default_timeout_seconds: ClassVar[float] = 10.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(maximum_attempts=1)

    async def execute(self, definition: WaitNode, call: NodeCall) -> NodeResult:
        """Work out what to wait for."""
        config = definition.config
        wait: WaitFor
        if config.duration_seconds is not None:
            wait = WaitForDuration(seconds=config.duration_seconds)
        elif config.until is not None:
            moment = await call.render(config.until, where="config.until")
            wait = WaitUntil(moment=parse_moment(moment, where="config.until"))
        elif config.event is not None:
            event = config.event
            wait = WaitForEvent(
                name=event.name,
                timeout_seconds=event.timeout_seconds,
                timeout_node=event.timeout_node,
            )
        else:
            msg = "config: a WAIT sets one of durationSeconds, until or event"
            raise PermanentNodeError(msg, code="wait-mode")
        return NodeResult(wait=wait, status=RunStatus.SCHEDULER_WAITING)


def parse_moment(value: object, *, where: str) -> dt.datetime:
    """Read an ISO 8601 moment that has a time zone.

    Raises:
        ValueRenderError: naming ``where`` when it is not one.
    """
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment
    msg = (
        f"{where}: {value!r} is not an ISO 8601 moment with a time zone "
        "(e.g. 2026-12-01T09:00:00+01:00)"
    )
    raise ValueRenderError(msg, code="wait-until-format")
