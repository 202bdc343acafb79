"""SUCCESS and FAILURE: the terminal nodes that end a run."""

from __future__ import annotations

from typing import Any, ClassVar

from drift_models import (
    FailureNode,
    NodeDefinition,
    RetryPolicy,
    RunStatus,
    SuccessNode,
    View,
    ViewTemplate,
)
from drift_nodes.api import NodeCall, NodeType
from drift_nodes.results import NodeResult
from drift_nodes.view_rendering import render_label, render_view

__all__ = ["FailureNodeType", "SuccessNodeType"]


class SuccessNodeType(NodeType[SuccessNode]):
    """Ends the run ``COMPLETED`` with a disposition, an output and an optional final view."""

    definition: ClassVar[type[NodeDefinition]] = SuccessNode
    pure: ClassVar[bool] = True
    default_timeout_seconds: ClassVar[float] = 10.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(maximum_attempts=1)

    async def execute(self, definition: SuccessNode, call: NodeCall) -> NodeResult:
        """Render the disposition, the output and the view."""
        config = definition.config
        disposition, output, view = await _render_end(
            call, config.disposition, config.output, config.view
        )
        return NodeResult(
            output=output, disposition=disposition, view=view, status=RunStatus.COMPLETED
        )


class FailureNodeType(NodeType[FailureNode]):
    """Ends the run ``FAILED`` with a disposition, an error message and an optional view."""

    definition: ClassVar[type[NodeDefinition]] = FailureNode
    pure: ClassVar[bool] = True
    default_timeout_seconds: ClassVar[float] = 10.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(maximum_attempts=1)

    async def execute(self, definition: FailureNode, call: NodeCall) -> NodeResult:
        """Render the disposition, the error message, the output and the view."""
        config = definition.config
        disposition, output, view = await _render_end(
            call, config.disposition, config.output, config.view
        )
        message = await render_label(config.error_message, call, where="config.errorMessage")
        return NodeResult(
            output=output,
            disposition=disposition,
            view=view,
            status=RunStatus.FAILED,
            error_message=message or "The workflow failed.",
        )


async def _render_end(
    call: NodeCall, disposition: Any, output: Any, view: ViewTemplate | None
) -> tuple[str | None, Any, View | None]:
    label = await render_label(disposition, call, where="config.disposition")
    rendered_output = await call.render(output, where="config.output")
    rendered_view = None
    if view is not None:
        rendered_view = await render_view(view, call, where="config.view", disposition=label)
    return label, rendered_output, rendered_view
