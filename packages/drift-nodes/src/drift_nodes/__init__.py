"""The Drift node plugin API, the Starlark script engine and every built-in node.

A node type is one small class (:class:`NodeType`) that pairs a DSL definition type
with an async ``execute`` method; packages offer node types through the ``drift.nodes``
entry point group and :func:`discover_nodes` finds them — the built-ins the same way.
The worker resolves a state's parameters (:func:`resolve_parameters`), builds a
:class:`NodeCall`, gets back a :class:`NodeResult` and asks :func:`transition` what comes
next; :class:`ScenarioRunner` runs a workflow's scenario files the same way, without
Temporal or network. Scripts run in the :class:`ScriptEngine` with a time limit and a
memory bound; HTTP calls pass the :class:`OutboundGuard`.
"""

from __future__ import annotations

import importlib.metadata

from drift_nodes.activity_kind import NodeReader, activity_kind, start_activity
from drift_nodes.api import NodeCall, NodeConfig, NodeType
from drift_nodes.auth import (
    AUTH_ENTRY_POINT_GROUP,
    AuthDiscoveryError,
    TokenProvider,
    TokenRequest,
    discover_auth_providers,
)
from drift_nodes.checker import check_script
from drift_nodes.discovery import (
    NODES_ENTRY_POINT_GROUP,
    NodeDiscoveryError,
    NodeRegistry,
    discover_nodes,
)
from drift_nodes.errors import (
    NodeError,
    OutboundBlockedError,
    ParameterError,
    PermanentNodeError,
    ResponseTooLargeError,
    RetryableNodeError,
    ScriptCrashError,
    ScriptError,
    ScriptMemoryError,
    ScriptTimeoutError,
    ValueRenderError,
)
from drift_nodes.guard import OutboundGuard
from drift_nodes.http_transport import HttpReply, HttpRequest, HttpTransport
from drift_nodes.parameters import resolve_parameters
from drift_nodes.rendering import render_value
from drift_nodes.resources import NodeResources
from drift_nodes.results import (
    ChildStart,
    NodeResult,
    WaitFor,
    WaitForDuration,
    WaitForEvent,
    WaitUntil,
)
from drift_nodes.resume import validate_resume
from drift_nodes.scenario_files import (
    ChildMock,
    Expectation,
    MockedError,
    MockedResponse,
    NodeMock,
    Scenario,
    ScenarioFile,
    decode_scenario_file,
)
from drift_nodes.scenario_reports import Mismatch, ScenarioReport, expectation_mismatches
from drift_nodes.scenarios import ScenarioRunner
from drift_nodes.scripting import ScriptEngine
from drift_nodes.settings import HttpSettings, NodeSettings, ScriptSettings
from drift_nodes.transitions import (
    Child,
    End,
    Failed,
    Next,
    Transition,
    ViewShown,
    Wait,
    failure_target,
    transition,
)

#: The installed distribution's version: pyproject.toml is its one source.
__version__ = importlib.metadata.version("drift-nodes")

__all__ = [
    "AUTH_ENTRY_POINT_GROUP",
    "NODES_ENTRY_POINT_GROUP",
    "AuthDiscoveryError",
    "Child",
    "ChildMock",
    "ChildStart",
    "End",
    "Expectation",
    "Failed",
    "HttpReply",
    "HttpRequest",
    "HttpSettings",
    "HttpTransport",
    "Mismatch",
    "MockedError",
    "MockedResponse",
    "Next",
    "NodeCall",
    "NodeConfig",
    "NodeDiscoveryError",
    "NodeError",
    "NodeMock",
    "NodeReader",
    "NodeRegistry",
    "NodeResources",
    "NodeResult",
    "NodeSettings",
    "NodeType",
    "OutboundBlockedError",
    "OutboundGuard",
    "ParameterError",
    "PermanentNodeError",
    "ResponseTooLargeError",
    "RetryableNodeError",
    "Scenario",
    "ScenarioFile",
    "ScenarioReport",
    "ScenarioRunner",
    "ScriptCrashError",
    "ScriptEngine",
    "ScriptError",
    "ScriptMemoryError",
    "ScriptSettings",
    "ScriptTimeoutError",
    "TokenProvider",
    "TokenRequest",
    "Transition",
    "ValueRenderError",
    "ViewShown",
    "Wait",
    "WaitFor",
    "WaitForDuration",
    "WaitForEvent",
    "WaitUntil",
    "__version__",
    "activity_kind",
    "check_script",
    "decode_scenario_file",
    "discover_auth_providers",
    "discover_nodes",
    "expectation_mismatches",
    "failure_target",
    "render_value",
    "resolve_parameters",
    "start_activity",
    "transition",
    "validate_resume",
]
