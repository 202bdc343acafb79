"""Running one node for the engine: its type from the registry, one traced, timed call.

Both the step activity (a state and the pure states after it) and the fan-out's branch
activity run nodes the same way: the state's parameters resolved against the context,
the node's :class:`~drift_nodes.NodeCall`, a span per node and a timing in the worker's
metrics. What comes after the node is not decided here (:func:`drift_nodes.transition`).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import msgspec
from temporalio import activity

from drift_models import NodeDefinition, RunContext, ThreadContext, WorkflowDefinition
from drift_models.temporal import spans_recorded
from drift_nodes import (
    NodeCall,
    NodeError,
    NodeRegistry,
    NodeResources,
    NodeResult,
    resolve_parameters,
)
from drift_worker.engine_store import definition_error
from drift_worker.metrics import Metrics
from drift_worker.plan import StepRequest
from drift_worker.tracing import tracer

__all__ = ["NodeRunner"]


class NodeRunner:
    """Finds a state's node type and runs its node, inside an activity.

    Args:
        registry: the node types of this worker.
        resources: the nodes' shared HTTP session and script engine.
        metrics: the worker's Prometheus metrics.
    """

    def __init__(
        self, *, registry: NodeRegistry, resources: NodeResources, metrics: Metrics
    ) -> None:
        self._registry = registry
        self._resources = resources
        self._metrics = metrics

    def node_type(self, name: str, definition: NodeDefinition) -> Any:
        """The node type that runs ``definition`` (state ``name``); a definition error if none."""
        try:
            return self._registry.for_definition(definition)
        except KeyError:
            msg = (
                f"state {name!r} uses node type {definition.type_name!r}, which this worker "
                f"does not have (it has: {', '.join(self._registry.names())})"
            )
            raise definition_error(msg) from None

    async def execute(
        self,
        request: StepRequest,
        *,
        workflow: WorkflowDefinition,
        name: str,
        definition: NodeDefinition,
        node_type: Any,
        context: RunContext,
        overrides: dict[str, Any] | None = None,
    ) -> NodeResult:
        """Run state ``name``'s node once in ``context``; ``overrides`` beat its mapping."""
        state = workflow.states[name]
        started = time.perf_counter()
        status = "COMPLETED"
        with _node_span(request, name, definition):
            try:
                parameters = resolve_parameters(
                    name,
                    state.parameters,
                    context,
                    declared=definition.parameters,
                    overrides=overrides,
                )
                thread = context.global_.get("threadContext")
                call = NodeCall(
                    instance=name,
                    parameters=parameters,
                    context=context,
                    resources=self._resources,
                    run_id=request.run_id,
                    thread_context=(
                        None if thread is None else msgspec.convert(thread, ThreadContext)
                    ),
                    attempt=activity.info().attempt,
                    timeout_seconds=state.timeout_seconds or node_type.timeout_seconds(definition),
                )
                result: NodeResult = await node_type.execute(definition, call)
            except NodeError:
                status = "FAILED"
                raise
            finally:
                self._metrics.node_ran(definition.type_name, status, time.perf_counter() - started)
        return result


def _node_span(
    request: StepRequest, name: str, definition: NodeDefinition
) -> contextlib.AbstractContextManager[object]:
    """A span for one node's execution, when this process records spans."""
    if not spans_recorded():
        return contextlib.nullcontext()
    attributes = {
        "drift.run_id": request.run_id,
        "drift.tenant_id": request.tenant_id,
        "drift.state": name,
        "drift.node_type": definition.type_name,
        "drift.node_id": definition.id,
    }
    return tracer().start_as_current_span(f"drift.node {name}", attributes=attributes)
