"""One trace follows a request from the API into Temporal."""

from __future__ import annotations

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from drift_api import ApiSettings, connect_temporal, create_app
from drift_worker.devserver import DevServer
from drift_worker.runtime import RunningWorker
from tests.api.conftest import lifespan
from tests.api.harness import Api, publish_examples, tenant_key


async def test_a_start_is_one_trace_from_http_into_temporal(
    worker: RunningWorker, settings: ApiSettings, temporal_server: DevServer, tenant: str
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    client = await connect_temporal(settings, tracer=provider.get_tracer("drift-api-test"))
    app = create_app(store=worker.store, client=client, settings=settings, tracer_provider=provider)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with lifespan(app), httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        api = Api(http=http, tenant=tenant, key=tenant_key(tenant)[0])
        await publish_examples(api)
        exporter.clear()
        started = await api.start("refund", {"orderId": "A-100", "reason": "x"})
        assert started.status_code == 200, started.text
    spans = exporter.get_finished_spans()
    http_spans = [s for s in spans if s.name.startswith("POST /v3/workflow/start")]
    temporal_spans = [s for s in spans if "drift" in s.name and ":" in s.name]
    # One span for the request: no extra span per ASGI message ("... http send").
    assert [s.name for s in http_spans] == ["POST /v3/workflow/start"], [s.name for s in spans]
    assert temporal_spans, [s.name for s in spans]
    trace_id = http_spans[0].context.trace_id
    assert {s.context.trace_id for s in temporal_spans} == {trace_id}
    del temporal_server
