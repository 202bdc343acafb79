"""BRANCH: ordered rules; the first that is true names the next state."""

from __future__ import annotations

from typing import ClassVar

from drift_models import BranchNode, NodeDefinition, RetryPolicy
from drift_nodes.api import NodeCall, NodeType
from drift_nodes.errors import ScriptError
from drift_nodes.results import NodeResult

__all__ = ["BranchNodeType"]


class BranchNodeType(NodeType[BranchNode]):
    """Picks the next state: the first choice whose rule is truthy, else ``defaultNode``.

    The output is ``{"nextNode": <state>, "choice": <index or null>}``.
    """

    definition: ClassVar[type[NodeDefinition]] = BranchNode
    pure: ClassVar[bool] = True
    default_timeout_seconds: ClassVar[float] = 10.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(maximum_attempts=1)

    async def execute(self, definition: BranchNode, call: NodeCall) -> NodeResult:
        """Try the rules in order."""
        config = definition.config
        try:
            chosen = await call.resources.scripts.first_truthy(
                [choice.rule for choice in config.choices], call.scope
            )
        except ScriptError as error:
            error.message = f"config.choices: {error.message}"
            error.args = (error.message,)
            raise
        target = config.default_node if chosen is None else config.choices[chosen].next_node
        return NodeResult(output={"nextNode": target, "choice": chosen}, next_node=target)
