"""Where the API's spans go: OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

The request spans (Litestar's OpenTelemetry plugin) and the Temporal client's spans
(its tracing interceptor) use the process's tracer provider; the worker continues the
same traces into every node.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

__all__ = ["install_tracer_provider"]


def install_tracer_provider(environ: Mapping[str, str] | None = None) -> TracerProvider | None:
    """Install an exporting tracer provider when an OTLP endpoint is configured."""
    env = os.environ if environ is None else environ
    if not (
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return None
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({"service.name": "drift-api"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
