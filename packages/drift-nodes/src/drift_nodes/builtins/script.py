"""SCRIPT: a Starlark script whose last expression is the node's output."""

from __future__ import annotations

from typing import ClassVar

from drift_models import NodeDefinition, RetryPolicy, ScriptNode
from drift_nodes.api import NodeCall, NodeType
from drift_nodes.errors import ScriptError
from drift_nodes.results import NodeResult

__all__ = ["ScriptNodeType"]


class ScriptNodeType(NodeType[ScriptNode]):
    """Runs ``config.script`` over the node's scope (pure: a local activity).

    A failing script is a permanent failure: it would fail the same way again.
    """

    definition: ClassVar[type[NodeDefinition]] = ScriptNode
    pure: ClassVar[bool] = True
    default_timeout_seconds: ClassVar[float] = 10.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(maximum_attempts=1)

    async def execute(self, definition: ScriptNode, call: NodeCall) -> NodeResult:
        """Evaluate the script; its result is the output."""
        try:
            output = await call.evaluate(definition.config.script)
        except ScriptError as error:
            error.message = f"config.script: {error.message}"
            error.args = (error.message,)
            raise
        return NodeResult(output=output)
