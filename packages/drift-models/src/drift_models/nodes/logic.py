"""Nodes that compute: SCRIPT, BRANCH and PROCESSOR (pure, no I/O)."""

from __future__ import annotations

from drift_models._base import DslStruct
from drift_models.nodes.base import NodeDefinition, NodeTarget
from drift_models.values import ScriptSource, Value

__all__ = [
    "BranchChoice",
    "BranchConfig",
    "BranchNode",
    "ProcessorConfig",
    "ProcessorNode",
    "ScriptConfig",
    "ScriptNode",
]


class ScriptConfig(DslStruct, frozen=True, kw_only=True):
    """A Starlark script; the value of its last expression is the node's output.

    Attributes:
        script: the source. It sees ``_global``, ``_enum_store`` and the node's
            parameters by name.
    """

    script: ScriptSource


class ScriptNode(NodeDefinition, tag="SCRIPT", frozen=True, kw_only=True):
    """A node that runs a script."""

    config: ScriptConfig


class BranchChoice(DslStruct, frozen=True, kw_only=True):
    """One way out of a branch.

    Attributes:
        rule: a Starlark expression; the first choice whose rule is true is taken.
        next_node: the state the run goes to when the rule is true.
    """

    rule: ScriptSource
    next_node: NodeTarget


class BranchConfig(DslStruct, frozen=True, kw_only=True):
    """Ordered choices and the state to go to when none applies.

    Attributes:
        choices: tried in order.
        default_node: taken when no rule is true.
    """

    choices: tuple[BranchChoice, ...]
    default_node: NodeTarget


class BranchNode(NodeDefinition, tag="BRANCH", frozen=True, kw_only=True):
    """A node that picks the next state from rules."""

    config: BranchConfig


class ProcessorConfig(DslStruct, frozen=True, kw_only=True):
    """A declarative mapping, no general code.

    Attributes:
        mappings: output key → literal or template over the node's scope. A template that
            is a single placeholder keeps the value's type (``"{{ amount }}"`` stays a
            number). Scripts are not allowed here: use a SCRIPT node for code.
    """

    mappings: dict[str, Value]


class ProcessorNode(NodeDefinition, tag="PROCESSOR", frozen=True, kw_only=True):
    """A node that reshapes data without code."""

    config: ProcessorConfig
