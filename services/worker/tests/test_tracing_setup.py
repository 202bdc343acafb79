"""The worker makes spans only where they are recorded, and then on every node."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from drift_worker.tracing import configure_tracing, worker_interceptors
from drift_worker import node_runner

print(configure_tracing("probe", {}), worker_interceptors(tracing=True))
print(type(node_runner._node_span(None, "a", None)).__name__)
trace.set_tracer_provider(TracerProvider())
print(configure_tracing("probe", {}) is trace.get_tracer_provider())
print([type(i).__name__ for i in worker_interceptors(tracing=True)])
print(worker_interceptors(tracing=False))
"""


def test_no_tracer_provider_and_no_endpoint_means_no_spans() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "None []",
        "nullcontext",
        "True",
        "['TracingInterceptor']",
        "[]",
    ], done.stderr
