"""Runs: their statuses and the state the API reports.

Wire names follow the original platform: ``workflowId`` is the id of the *run* (the
Temporal workflow id), ``workflowStatus`` its status, and ``disposition``,
``errorMessage`` and ``view`` what the caller shows. The definition the run executes is
``workflowDefinitionId`` at the pinned ``workflowVersion``.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from drift_models._base import AnswerStruct
from drift_models.views import View

__all__ = ["NodeStatus", "RunHistory", "RunHistoryEntry", "RunStatus", "WorkflowResponse"]


class RunStatus(enum.StrEnum):
    """Where a run is."""

    CREATED = "CREATED"
    """Accepted; no node has run yet."""
    RUNNING = "RUNNING"
    """Executing nodes."""
    WAITING = "WAITING"
    """Showing a view and waiting for a person's answer (resume)."""
    SCHEDULER_WAITING = "SCHEDULER_WAITING"
    """Paused at a WAIT node: a timer or an event."""
    COMPLETED = "COMPLETED"
    """Ended at a SUCCESS node."""
    FAILED = "FAILED"
    """Ended at a FAILURE node, or a node failed with nowhere to go."""
    TERMINATED = "TERMINATED"
    """Stopped by a terminate request."""

    @property
    def is_final(self) -> bool:
        """Whether the run has ended and will never change again."""
        return self in _FINAL

    @property
    def is_stable(self) -> bool:
        """Whether a sync call answers here: a view, a timer, or an end."""
        return self in _STABLE


_FINAL = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.TERMINATED})
_STABLE = _FINAL | {RunStatus.WAITING, RunStatus.SCHEDULER_WAITING}


class NodeStatus(enum.StrEnum):
    """How one execution of a node ended."""

    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class WorkflowResponse(AnswerStruct, kw_only=True):
    """The state of a run, as start, resume, terminate and status calls answer it.

    Attributes:
        workflow_id: the run's id.
        workflow_status: where the run is.
        workflow_definition_id: the workflow the run executes.
        workflow_version: the pinned version it executes.
        current_node: the state the run is at (or ended at).
        disposition: the outcome label set by the current or final node.
        error_message: why the run failed, when it did.
        view: what to show a person now, if anything.
        output: the run's result, once it has ended.
        created_at: when the run started.
        updated_at: when its state last changed.
    """

    workflow_id: str
    workflow_status: RunStatus
    workflow_definition_id: str
    workflow_version: int | None = None
    current_node: str | None = None
    disposition: str | None = None
    error_message: str | None = None
    view: View | None = None
    output: Any = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class RunHistoryEntry(AnswerStruct, kw_only=True):
    """One thing that happened to a run.

    Attributes:
        at: when.
        event: what: ``STARTED``, ``STEP`` (states ran), ``BRANCH`` (states of a PARALLEL
            branch or MAP item ran), ``FAILED`` (an attempt failed), ``RESUMED``,
            ``UTILITY``, ``TERMINATE``, ``EVENT``, ``TIMER``, ``CHILD``, ``CONTINUED``,
            ``ENDED`` or ``REDRIVEN`` (the run went on at ``nodes[0]`` after its failed
            attempt ended).
        nodes: the states that ran, in order (``STEP``, ``BRANCH``, ``UTILITY``).
        outcome: where a step left the run (``NEXT``, ``VIEW``, ``WAIT``, ``CHILD``, ``END``);
            for ``BRANCH``: ``NEXT``, ``JOINED`` (its path ended) or ``FAILED``.
        detail: more, for people (an error, the next state, an event's name; for
            ``BRANCH`` the fan-out state, with ``[index]`` for a MAP item).
        attempt: which attempt of the run it belongs to (0: the first; n: after the
            n-th redrive).
        superseded: it belongs to a failed attempt that a redrive continued.
    """

    at: dt.datetime
    event: str
    nodes: list[str] = []
    outcome: str | None = None
    detail: str | None = None
    attempt: int = 0
    superseded: bool = False


class RunHistory(AnswerStruct, kw_only=True):
    """A run's node-by-node history, oldest first.

    Attributes:
        workflow_id: the run's id.
        entries: what happened.
    """

    workflow_id: str
    entries: list[RunHistoryEntry] = []
