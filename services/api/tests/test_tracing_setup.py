"""The API exports its spans only when an OTLP endpoint is configured."""

from __future__ import annotations

import subprocess
import sys

from drift_api.tracing import install_tracer_provider

PROBE = """
from opentelemetry import trace
from drift_api.tracing import install_tracer_provider
provider = install_tracer_provider()
print(type(provider).__name__, provider is trace.get_tracer_provider())
print(install_tracer_provider() is provider)
"""


def test_no_endpoint_no_provider() -> None:
    assert install_tracer_provider({}) is None


def test_an_endpoint_installs_one_exporting_provider() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.splitlines() == ["TracerProvider True", "True"]
