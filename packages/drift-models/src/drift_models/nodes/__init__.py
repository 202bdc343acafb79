"""Node definitions: the common envelope and every built-in node type."""

from __future__ import annotations

from typing import Final

from drift_models.nodes.base import (
    DefinitionId,
    InstanceName,
    NodeDefinition,
    NodeTarget,
    ParameterName,
    RetryPolicy,
    TypeName,
)
from drift_models.nodes.flow import (
    ChildConfig,
    ChildMode,
    ChildNode,
    FailureConfig,
    FailureNode,
    SuccessConfig,
    SuccessNode,
    WaitConfig,
    WaitEvent,
    WaitNode,
)
from drift_models.nodes.http import HttpConfig, HttpMethod, HttpNode, StatusSpec, status_matches
from drift_models.nodes.instruction import (
    DynamicValues,
    InputOption,
    InstructionConfig,
    InstructionNode,
    InstructionTemplate,
    ResumeRules,
    ViewTemplate,
)
from drift_models.nodes.logic import (
    BranchChoice,
    BranchConfig,
    BranchNode,
    ProcessorConfig,
    ProcessorNode,
    ScriptConfig,
    ScriptNode,
)

__all__ = [
    "BUILTIN_NODE_TYPES",
    "TERMINAL_NODE_TYPES",
    "BranchChoice",
    "BranchConfig",
    "BranchNode",
    "ChildConfig",
    "ChildMode",
    "ChildNode",
    "DefinitionId",
    "DynamicValues",
    "FailureConfig",
    "FailureNode",
    "HttpConfig",
    "HttpMethod",
    "HttpNode",
    "InputOption",
    "InstanceName",
    "InstructionConfig",
    "InstructionNode",
    "InstructionTemplate",
    "NodeDefinition",
    "NodeTarget",
    "ParameterName",
    "ProcessorConfig",
    "ProcessorNode",
    "ResumeRules",
    "RetryPolicy",
    "ScriptConfig",
    "ScriptNode",
    "StatusSpec",
    "SuccessConfig",
    "SuccessNode",
    "TypeName",
    "ViewTemplate",
    "WaitConfig",
    "WaitEvent",
    "WaitNode",
    "status_matches",
]

BUILTIN_NODE_TYPES: Final[tuple[type[NodeDefinition], ...]] = (
    HttpNode,
    ScriptNode,
    BranchNode,
    ProcessorNode,
    InstructionNode,
    WaitNode,
    ChildNode,
    SuccessNode,
    FailureNode,
)
"""The node types every Drift installation knows, in documentation order."""

TERMINAL_NODE_TYPES: Final[tuple[type[NodeDefinition], ...]] = (SuccessNode, FailureNode)
"""The node types that end a run."""
