"""A caller's trace continues through Temporal into every node the run executes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from drift_models import RunStatus
from drift_worker.devserver import DevServer
from drift_worker.tracing import configure_tracing
from tests.e2e.engine import Engine


@pytest.fixture(autouse=True)
def exporter() -> Iterator[InMemorySpanExporter]:
    """Spans recorded in this process from before the worker starts (it then traces)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = configure_tracing("drift-tests")
    assert provider is not None
    finished = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(finished))
    yield finished
    finished.shutdown()  # later tests of this process keep no spans in memory


async def test_node_spans_share_the_callers_trace(
    engine: Engine, temporal_server: DevServer, exporter: InMemorySpanExporter
) -> None:
    traced = await Client.connect(
        temporal_server.address,
        data_converter=engine.client.data_converter,
        interceptors=[TracingInterceptor()],
    )
    caller = Engine(
        client=traced, task_queue=engine.task_queue, store=engine.store, tenant=engine.tenant
    )
    with trace.get_tracer("tests").start_as_current_span("POST /v3/workflow/start") as request:
        first = await caller.start("refund", {"orderId": "A-100", "reason": "x"}, run_id="tr-1")
    assert first.workflow_status is RunStatus.WAITING
    spans = exporter.get_finished_spans()
    nodes = {s.name: s for s in spans if s.name.startswith("drift.node ")}
    assert set(nodes) >= {
        "drift.node lookupOrder",
        "drift.node computeRefund",
        "drift.node routeRefund",
        "drift.node confirmRefund",
    }
    trace_id = request.get_span_context().trace_id
    assert all(
        span.context is not None and span.context.trace_id == trace_id for span in nodes.values()
    )
    lookup = nodes["drift.node lookupOrder"]
    assert lookup.attributes is not None
    assert lookup.attributes["drift.node_type"] == "HTTP"
    assert lookup.attributes["drift.run_id"] == "tr-1"
