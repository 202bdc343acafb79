"""OpenTelemetry traces: a run's trace continues from the caller through every node.

Temporal's tracing interceptor carries the trace context in workflow and activity
headers, so the API's request span is the parent of the workflow's spans; each node a
step runs gets a span of its own. Spans are made only where they are recorded: a tracer
provider exporting over OTLP/HTTP is installed when the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) variable is set, one
installed before start (by an embedding program or its instrumentation) is used as it
is, and without either the worker makes no span at all
(:func:`drift_models.temporal.spans_recorded`).
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
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Interceptor

from drift_models.temporal import spans_recorded

__all__ = ["TRACER_NAME", "configure_tracing", "tracer", "worker_interceptors"]

TRACER_NAME = "drift.worker"
_LOG = logging.getLogger(__name__)


def configure_tracing(
    service_name: str, environ: Mapping[str, str] | None = None
) -> TracerProvider | None:
    """The process's recording tracer provider: the one installed, or one exporting over OTLP.

    Returns ``None`` (and installs nothing) when none is installed and no OTLP endpoint
    is configured, or its exporter is not installed: nothing would receive the spans.
    """
    env = os.environ if environ is None else environ
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    if not (
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )
    except ImportError:
        _LOG.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but the OTLP exporter is not installed")
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


@functools.cache
def tracer() -> trace.Tracer:
    """The worker's tracer, one per process.

    A tracer asked for before the provider is installed follows it once it is.
    """
    return trace.get_tracer(TRACER_NAME)


def worker_interceptors(*, tracing: bool) -> list[Interceptor]:
    """The ``Worker``'s interceptors: Temporal's tracing one, if ``tracing`` and spans are kept."""
    return [TracingInterceptor()] if tracing and spans_recorded() else []
