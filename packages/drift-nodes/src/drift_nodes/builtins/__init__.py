"""The built-in node types.

Each registers through the ``drift.nodes`` entry point group, exactly as a plugin does.
"""

from __future__ import annotations

from drift_nodes.builtins.branch import BranchNodeType
from drift_nodes.builtins.child import ChildNodeType
from drift_nodes.builtins.http import HttpNodeType
from drift_nodes.builtins.instruction import InstructionNodeType
from drift_nodes.builtins.processor import ProcessorNodeType
from drift_nodes.builtins.script import ScriptNodeType
from drift_nodes.builtins.terminal import FailureNodeType, SuccessNodeType
from drift_nodes.builtins.wait import WaitNodeType

__all__ = [
    "BranchNodeType",
    "ChildNodeType",
    "FailureNodeType",
    "HttpNodeType",
    "InstructionNodeType",
    "ProcessorNodeType",
    "ScriptNodeType",
    "SuccessNodeType",
    "WaitNodeType",
]
