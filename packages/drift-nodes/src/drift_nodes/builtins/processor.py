"""PROCESSOR: a declarative mapping from output keys to literals and templates."""

from __future__ import annotations

from typing import ClassVar

from drift_models import NodeDefinition, ProcessorNode, RetryPolicy
from drift_nodes.api import NodeCall, NodeType
from drift_nodes.results import NodeResult

__all__ = ["ProcessorNodeType"]


class ProcessorNodeType(NodeType[ProcessorNode]):
    """Builds its output from ``config.mappings``; scripts are refused (use SCRIPT)."""

    definition: ClassVar[type[NodeDefinition]] = ProcessorNode
    pure: ClassVar[bool] = True
    default_timeout_seconds: ClassVar[float] = 10.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(maximum_attempts=1)

    async def execute(self, definition: ProcessorNode, call: NodeCall) -> NodeResult:
        """Render every mapping."""
        output = {
            key: await call.render(raw, where=f"config.mappings.{key}", allow_scripts=False)
            for key, raw in definition.config.mappings.items()
        }
        return NodeResult(output=output)
