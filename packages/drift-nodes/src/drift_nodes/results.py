"""What a node hands back to the worker: its output and what the run does next.

Every type here is a msgspec Struct, so a result crosses the activity boundary as JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from drift_models import ChildMode, RunStatus, View

__all__ = ["ChildStart", "NodeResult", "WaitFor", "WaitForDuration", "WaitForEvent", "WaitUntil"]


class _ResultStruct(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    """Base of the result types: camelCase JSON, immutable."""


class WaitForDuration(_ResultStruct, tag="DURATION", kw_only=True, frozen=True):
    """Pause the run on a durable timer of ``seconds``."""

    seconds: Annotated[float, msgspec.Meta(gt=0)]


class WaitUntil(_ResultStruct, tag="UNTIL", kw_only=True, frozen=True):
    """Pause the run until ``moment`` (always with a time zone)."""

    moment: dt.datetime


class WaitForEvent(_ResultStruct, tag="EVENT", kw_only=True, frozen=True):
    """Pause the run until a signal named ``name`` arrives.

    Attributes:
        name: the event (signal) name; its payload becomes the node's output.
        timeout_seconds: how long to wait; ``None`` waits for ever.
        timeout_node: the state to go to on timeout; ``None`` goes on at ``nextNode``.
    """

    name: str
    timeout_seconds: float | None = None
    timeout_node: str | None = None


WaitFor = WaitForDuration | WaitUntil | WaitForEvent
"""What a WAIT node asks the workflow to wait for (tagged on ``type``)."""


class ChildStart(_ResultStruct, kw_only=True, frozen=True):
    """A child run the workflow is to start (CHILD nodes).

    Attributes:
        workflow_id: the child's workflow definition.
        workflow_version: a number, ``SNAPSHOT``, ``LATEST`` or ``ACTIVE``.
        parameters: the child's start parameters, rendered.
        mode: ``SYNC`` waits for the child's result, ``ASYNC`` does not.
    """

    workflow_id: str
    workflow_version: int | str
    parameters: dict[str, Any] = {}
    mode: ChildMode = ChildMode.SYNC


class NodeResult(_ResultStruct, kw_only=True, frozen=True):
    """The outcome of one execution of a node.

    Attributes:
        output: the node's output (any JSON), stored in the context under its state.
        next_node: the state to go to instead of ``nextNode`` (BRANCH).
        view: a view to show a person (INSTRUCTION, or a terminal's final view).
        disposition: an outcome label for the caller.
        status: ``WAITING`` for a view, ``SCHEDULER_WAITING`` for a WAIT, ``COMPLETED`` or
            ``FAILED`` for a terminal; ``None`` for a node that just computes.
        error_message: why the run failed (FAILURE).
        wait: what to wait for (WAIT).
        child: the child run to start (CHILD).
    """

    output: Any = None
    next_node: str | None = None
    view: View | None = None
    disposition: str | None = None
    status: RunStatus | None = None
    error_message: str | None = None
    wait: WaitFor | None = None
    child: ChildStart | None = None

    @property
    def is_terminal(self) -> bool:
        """Whether the run ends with this node."""
        return self.status in {RunStatus.COMPLETED, RunStatus.FAILED}
