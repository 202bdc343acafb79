"""INSTRUCTION: render a view for a person; their answer resumes the run."""

from __future__ import annotations

from typing import ClassVar

import msgspec

from drift_models import InstructionNode, NodeDefinition, RetryPolicy, RunStatus
from drift_nodes.api import NodeCall, NodeType
from drift_nodes.results import NodeResult
from drift_nodes.view_rendering import render_label, render_view

__all__ = ["InstructionNodeType"]


class InstructionNodeType(NodeType[InstructionNode]):
    """Renders the view (status ``WAITING``); the output is the view as shown.

    Keeping the rendered view as the output lets a resume be checked against exactly
    the choices the person saw (see :func:`drift_nodes.validate_resume`).
    """

    definition: ClassVar[type[NodeDefinition]] = InstructionNode
    pure: ClassVar[bool] = True
    default_timeout_seconds: ClassVar[float] = 10.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(maximum_attempts=1)

    async def execute(self, definition: InstructionNode, call: NodeCall) -> NodeResult:
        """Render the view."""
        config = definition.config
        disposition = await render_label(config.disposition, call, where="config.disposition")
        view = await render_view(
            config, call, where="config", disposition=disposition, status=config.status
        )
        return NodeResult(
            output=msgspec.to_builtins(view),
            view=view,
            disposition=disposition,
            status=RunStatus.WAITING,
        )
