"""OpenTelemetry traces: a run's trace continues from the caller through every node.

Temporal's tracing interceptor carries the trace context in workflow and activity
headers, so the API's request span is the parent of the workflow's spans; each node a
step runs gets a span of its own. Spans are exported over OTLP/HTTP when the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) variable is set; otherwise a
tracer provider is still installed so trace context keeps flowing.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

__all__ = ["TRACER_NAME", "configure_tracing", "tracer"]

TRACER_NAME = "drift.worker"
_LOG = logging.getLogger(__name__)


def configure_tracing(
    service_name: str, environ: Mapping[str, str] | None = None
) -> TracerProvider:
    """Install a global tracer provider for this process (once) and return it."""
    env = os.environ if environ is None else environ
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
                OTLPSpanExporter,
            )
        except ImportError:
            _LOG.warning(
                "OTEL_EXPORTER_OTLP_ENDPOINT is set but the OTLP exporter is not installed"
            )
        else:
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


@functools.cache
def tracer() -> trace.Tracer:
    """The worker's tracer, one per process.

    A tracer asked for before the provider is installed follows it once it is.
    """
    return trace.get_tracer(TRACER_NAME)
