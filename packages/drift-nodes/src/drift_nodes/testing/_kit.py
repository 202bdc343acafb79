"""The conformance checks of the kit (see :mod:`drift_nodes.testing`)."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from drift_models import (
    NodeDefinition,
    NodeTypes,
    RetryPolicy,
    RunContext,
    RunStatus,
    ThreadContext,
    has_errors,
    iter_target_fields,
    validate_node_definition,
)
from drift_nodes.api import NodeCall, NodeType
from drift_nodes.checker import check_script
from drift_nodes.discovery import discover_nodes
from drift_nodes.errors import NodeError, RetryableNodeError
from drift_nodes.resources import NodeResources
from drift_nodes.results import NodeResult

__all__ = [
    "NodeConformanceError",
    "NodeExample",
    "check_node_type",
    "execute_with_retries",
    "make_call",
    "run_node",
]

_TYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")


class NodeConformanceError(AssertionError):
    """A node type broke promises of the plugin API.

    Attributes:
        failures: each broken promise, in a sentence.
    """

    def __init__(self, node_type: str, failures: list[str]) -> None:
        self.failures = failures
        lines = "\n".join(f"  - {failure}" for failure in failures)
        super().__init__(f"node type {node_type!r} does not conform:\n{lines}")


@dataclass(frozen=True, slots=True)
class NodeExample:
    """One execution the kit runs.

    Attributes:
        definition: a definition of the node type.
        parameters: its resolved parameters.
        context: the run's context (an empty run's by default).
        instance: the state's name.
        expect_error: the :class:`~drift_nodes.NodeError` subclass the execution must
            raise instead of answering.
        check: more assertions over the result.
        name: how failures name this example.
        valid_definition: ``False`` for a definition that validation refuses on purpose
            (to prove the node also refuses it at run time); it is then not validated.
    """

    definition: NodeDefinition
    parameters: Mapping[str, Any] = field(default_factory=dict)
    context: RunContext | None = None
    instance: str = "node"
    expect_error: type[NodeError] | None = None
    check: Callable[[NodeResult], None] | None = None
    name: str = ""
    valid_definition: bool = True


def make_call(
    resources: NodeResources,
    *,
    parameters: Mapping[str, Any] | None = None,
    context: RunContext | None = None,
    instance: str = "node",
    run_id: str = "test-run",
    attempt: int = 1,
    thread_context: ThreadContext | None = None,
    timeout_seconds: float | None = None,
) -> NodeCall:
    """A :class:`~drift_nodes.NodeCall` as the worker would build it."""
    return NodeCall(
        instance=instance,
        parameters=dict(parameters or {}),
        context=context or RunContext.start({}),
        resources=resources,
        run_id=run_id,
        thread_context=thread_context,
        attempt=attempt,
        timeout_seconds=timeout_seconds,
    )


async def run_node(
    node_type: NodeType[Any],
    definition: NodeDefinition,
    resources: NodeResources,
    *,
    parameters: Mapping[str, Any] | None = None,
    context: RunContext | None = None,
    instance: str = "node",
) -> NodeResult:
    """Execute ``definition`` once, as the worker would."""
    call = make_call(resources, parameters=parameters, context=context, instance=instance)
    return await node_type.execute(definition, call)


async def execute_with_retries(
    node_type: NodeType[Any],
    definition: NodeDefinition,
    resources: NodeResources,
    *,
    parameters: Mapping[str, Any] | None = None,
    context: RunContext | None = None,
    policy: RetryPolicy | None = None,
    time_scale: float = 0.0,
) -> tuple[NodeResult, int]:
    """Execute with the node's retry policy, as Temporal would; return the result and attempts.

    Retryable errors are tried again up to ``maximum_attempts`` (0: no limit), waiting
    the policy's back-off times ``time_scale`` (0 by default: no waiting in tests);
    permanent errors and the last retryable one are raised.
    """
    chosen = policy or node_type.retry_policy(definition)
    interval = chosen.initial_interval_seconds
    attempt = 1
    while True:
        call = make_call(resources, parameters=parameters, context=context, attempt=attempt)
        try:
            return await node_type.execute(definition, call), attempt
        except RetryableNodeError:
            if chosen.maximum_attempts and attempt >= chosen.maximum_attempts:
                raise
        await asyncio.sleep(interval * time_scale)
        interval *= chosen.backoff_coefficient
        if chosen.maximum_interval_seconds is not None:
            interval = min(interval, chosen.maximum_interval_seconds)
        attempt += 1


async def check_node_type(
    node_type: NodeType[Any],
    examples: Sequence[NodeExample],
    *,
    resources: NodeResources,
    require_entry_point: bool = True,
) -> None:
    """Check ``node_type`` and run every example; raise every broken promise at once.

    Args:
        node_type: the node type under test.
        examples: executions to run (at least one).
        resources: the shared resources to run them with.
        require_entry_point: also check the type is installed in the ``drift.nodes``
            group under its type name.

    Raises:
        NodeConformanceError: listing each failure.
    """
    failures = _static_failures(node_type, require_entry_point=require_entry_point)
    if not examples:
        failures.append("give at least one example to execute")
    for index, example in enumerate(examples):
        label = example.name or f"example {index}"
        failures.extend(
            f"{label}: {f}" for f in await _example_failures(node_type, example, resources)
        )
    if failures:
        name = getattr(node_type, "type_name", type(node_type).__name__)
        raise NodeConformanceError(str(name), failures)


def _static_failures(node_type: object, *, require_entry_point: bool) -> list[str]:
    cls = type(node_type)
    if not isinstance(node_type, NodeType):
        return [f"{cls.__qualname__} is not a drift_nodes.NodeType"]
    definition: object = getattr(cls, "definition", None)
    if not (isinstance(definition, type) and issubclass(definition, NodeDefinition)):
        return ["the class attribute 'definition' must be a NodeDefinition subclass"]
    try:
        name = node_type.type_name
    except TypeError as error:
        return [str(error)]
    failures = _class_failures(node_type, definition)
    if not _TYPE_NAME.match(name):
        failures.append(f"type name {name!r} must match {_TYPE_NAME.pattern}")
    types = NodeTypes(())
    try:
        types.register(definition, source="kit")
        types.union  # noqa: B018 - building the union proves msgspec accepts the type
    except (TypeError, ValueError) as error:
        failures.append(f"the definition type cannot join the DSL union: {error}")
    if require_entry_point:
        failures.extend(_entry_point_failures(name, type(node_type)))
    return failures


def _class_failures(node_type: NodeType[Any], definition: type[NodeDefinition]) -> list[str]:
    cls = type(node_type)
    attributes: dict[str, object] = {
        "pure": cls.pure,
        "default_timeout_seconds": cls.default_timeout_seconds,
        "default_retry": cls.default_retry,
    }
    checks = [
        ("config" in {f.name for f in msgspec.structs.fields(definition)},
         f"{definition.__qualname__} has no 'config' field"),
        (isinstance(attributes["pure"], bool), "'pure' must be True or False"),
        (isinstance(attributes["default_timeout_seconds"], int | float)
         and cls.default_timeout_seconds > 0, "'default_timeout_seconds' must be positive"),
        (isinstance(attributes["default_retry"], RetryPolicy),
         "'default_retry' must be a drift_models.RetryPolicy"),
        (inspect.iscoroutinefunction(cls.execute), "'execute' must be an async method"),
        (bool((cls.__doc__ or "").strip()), f"{cls.__qualname__} needs a docstring"),
        (bool((definition.__doc__ or "").strip()), f"{definition.__qualname__} needs a docstring"),
    ]  # fmt: skip
    return [message for passed, message in checks if not passed]


def _entry_point_failures(name: str, cls: type[NodeType[Any]]) -> list[str]:
    try:
        registry = discover_nodes()
    except Exception as error:  # noqa: BLE001 - any discovery failure is a finding
        return [f"discovery of installed node types fails: {error}"]
    if name not in registry:
        return [f"no 'drift.nodes' entry point named {name!r} is installed"]
    if type(registry[name]) is not cls:
        found = type(registry[name])
        return [f"the entry point {name!r} loads {found.__module__}.{found.__qualname__}"]
    return []


async def _example_failures(
    node_type: NodeType[Any], example: NodeExample, resources: NodeResources
) -> list[str]:
    definition = example.definition
    if not isinstance(definition, node_type.definition):
        expected = node_type.definition.__qualname__
        return [f"the definition is a {type(definition).__qualname__}, not a {expected}"]
    failures = _definition_failures(definition, validate=example.valid_definition)
    try:
        result = await _run(node_type, example, resources)
    except NodeError as error:
        return [*failures, *_error_failures(example, error)]
    if example.expect_error is not None:
        return [*failures, f"expected {example.expect_error.__name__}, but execute answered"]
    if not isinstance(result, NodeResult):
        return [*failures, f"execute returned {type(result).__name__}, not a NodeResult"]
    failures.extend(_result_failures(definition, result))
    if node_type.pure and await _run(node_type, example, resources) != result:
        failures.append("a pure node answered differently on a second run")
    if example.check is not None:
        try:
            example.check(result)
        except AssertionError as error:
            failures.append(f"check failed: {error}")
    return failures


def _error_failures(example: NodeExample, error: NodeError) -> list[str]:
    if example.expect_error is None:
        return [f"execute raised {type(error).__name__}: {error}"]
    if not isinstance(error, example.expect_error):
        return [f"expected {example.expect_error.__name__}, got {type(error).__name__}: {error}"]
    if not error.message.strip():
        return [f"{type(error).__name__} carries no message"]
    return []


def _definition_failures(definition: NodeDefinition, *, validate: bool) -> list[str]:
    failures: list[str] = []
    types = NodeTypes(())
    types.register(type(definition), source="kit")
    encoded = msgspec.json.encode(definition)
    try:
        if types.decode_node(encoded) != definition:
            failures.append("the definition changes on a JSON round trip")
    except ValueError as error:
        failures.append(f"the definition's own JSON does not decode: {error}")
    problems = validate_node_definition(definition, check_script=check_script) if validate else []
    if has_errors(problems):
        shown = "; ".join(f"{p.path}: {p.message}" for p in problems)
        failures.append(f"the definition does not validate: {shown}")
    return failures


async def _run(node_type: NodeType[Any], example: NodeExample, resources: NodeResources) -> Any:
    call = make_call(
        resources,
        parameters=example.parameters,
        context=example.context,
        instance=example.instance,
    )
    return await node_type.execute(example.definition, call)


def _result_failures(definition: NodeDefinition, result: NodeResult) -> list[str]:
    failures: list[str] = []
    try:
        encoded = msgspec.json.encode(result)
        if msgspec.json.decode(encoded, type=NodeResult) != result:
            failures.append("the result changes on a JSON round trip (use JSON values only)")
    except (TypeError, msgspec.ValidationError, msgspec.DecodeError) as error:
        failures.append(f"the result is not JSON: {error}")
    targets = {target for _, target in iter_target_fields(definition)}
    if result.next_node is not None and result.next_node not in targets:
        failures.append(
            f"next_node {result.next_node!r} is not a target the definition names "
            f"({', '.join(sorted(targets)) or 'none'})"
        )
    if result.status is RunStatus.FAILED and not result.error_message:
        failures.append("a FAILED result needs an error_message")
    if result.view is not None and result.status not in {
        RunStatus.WAITING,
        RunStatus.COMPLETED,
        RunStatus.FAILED,
    }:
        failures.append("a view goes with status WAITING or a terminal status")
    return failures
