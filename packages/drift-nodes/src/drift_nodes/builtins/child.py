"""CHILD: which workflow to start as a child run, with which parameters, in which mode."""

from __future__ import annotations

from typing import ClassVar

from drift_models import ChildNode, NodeDefinition, RetryPolicy
from drift_nodes.api import NodeCall, NodeType
from drift_nodes.results import ChildStart, NodeResult

__all__ = ["ChildNodeType"]


class ChildNodeType(NodeType[ChildNode]):
    """Answers a :class:`~drift_nodes.ChildStart`; the workflow starts the child.

    In ``SYNC`` mode the workflow records the child's result as this state's output; in
    ``ASYNC`` mode it records the child's run id.
    """

    definition: ClassVar[type[NodeDefinition]] = ChildNode
    pure: ClassVar[bool] = True
    default_timeout_seconds: ClassVar[float] = 10.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(maximum_attempts=1)

    async def execute(self, definition: ChildNode, call: NodeCall) -> NodeResult:
        """Render the child's parameters."""
        config = definition.config
        parameters = {
            name: await call.render(raw, where=f"config.parameters.{name}")
            for name, raw in config.parameters.items()
        }
        child = ChildStart(
            workflow_id=config.workflow_id,
            workflow_version=config.workflow_version,
            parameters=parameters,
            mode=config.mode,
        )
        return NodeResult(child=child)
