"""Nodes that shape the run itself: WAIT, CHILD, SUCCESS and FAILURE."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec

from drift_models._base import DslStruct
from drift_models.nodes.base import DefinitionId, NodeDefinition, NodeTarget
from drift_models.nodes.instruction import ViewTemplate
from drift_models.values import Value
from drift_models.versions import VersionRef

__all__ = [
    "ChildConfig",
    "ChildMode",
    "ChildNode",
    "FailureConfig",
    "FailureNode",
    "SuccessConfig",
    "SuccessNode",
    "WaitConfig",
    "WaitEvent",
    "WaitNode",
]

Seconds = Annotated[float, msgspec.Meta(gt=0, le=31_536_000 * 10)]


class WaitEvent(DslStruct, frozen=True, kw_only=True):
    """Wait for a named signal sent to the run.

    Attributes:
        name: the event's name; a signal with this name resumes the run and its payload
            becomes the node's output.
        timeout_seconds: how long to wait; unset waits for ever.
        timeout_node: where the run goes on timeout; unset continues at ``nextNode``.
    """

    name: Annotated[str, msgspec.Meta(pattern=r"^[\w.\-]{1,128}(?!\n)$")]
    timeout_seconds: Seconds | None = None
    timeout_node: NodeTarget | None = None


class WaitConfig(DslStruct, frozen=True, kw_only=True):
    """A durable pause. Exactly one of the three fields is set.

    Attributes:
        duration_seconds: wait this long.
        until: wait until this moment, an ISO 8601 timestamp with a zone (may be a
            template, e.g. ``"{{ appointmentAt }}"``).
        event: wait for an event, optionally with a timeout.
    """

    duration_seconds: Seconds | None = None
    until: Value = None
    event: WaitEvent | None = None


class WaitNode(NodeDefinition, tag="WAIT", frozen=True, kw_only=True):
    """A node that pauses the run on a durable timer or an event."""

    config: WaitConfig


class ChildMode(enum.StrEnum):
    """Whether a CHILD node waits for the child run."""

    SYNC = "SYNC"
    """Wait for the child to end; its result is the node's output."""
    ASYNC = "ASYNC"
    """Start the child and go on; it is abandoned (keeps running) when the parent ends."""


class ChildConfig(DslStruct, frozen=True, kw_only=True):
    """Start a run of another workflow.

    Attributes:
        workflow_id: the workflow to run.
        workflow_version: which version; resolved to a number when the parent starts.
        parameters: the child's start parameters (literals, templates or scripts).
        mode: ``SYNC`` waits for the child's result; ``ASYNC`` does not.
    """

    workflow_id: DefinitionId
    workflow_version: VersionRef = "ACTIVE"
    parameters: dict[str, Value] = {}
    mode: ChildMode = ChildMode.SYNC


class ChildNode(NodeDefinition, tag="CHILD", frozen=True, kw_only=True):
    """A node that runs another workflow."""

    config: ChildConfig


class SuccessConfig(DslStruct, frozen=True, kw_only=True):
    """How a run ends well.

    Attributes:
        disposition: the outcome label reported to the caller (``REFUNDED``); may be a
            template.
        view: a final view to show, if any.
        output: the run's result (a parent's SYNC CHILD node receives it).
    """

    disposition: Value = None
    view: ViewTemplate | None = None
    output: Value = None


class SuccessNode(NodeDefinition, tag="SUCCESS", frozen=True, kw_only=True):
    """A terminal node: the run is COMPLETED."""

    config: SuccessConfig = SuccessConfig()


class FailureConfig(DslStruct, frozen=True, kw_only=True):
    """How a run ends badly.

    Attributes:
        disposition: the outcome label reported to the caller; may be a template.
        view: a final view to show, if any.
        error_message: the error reported to the caller (may be a template).
        output: the run's result, if any.
    """

    disposition: Value = None
    view: ViewTemplate | None = None
    error_message: Value = "The workflow failed."
    output: Value = None


class FailureNode(NodeDefinition, tag="FAILURE", frozen=True, kw_only=True):
    """A terminal node: the run is FAILED."""

    config: FailureConfig = FailureConfig()
