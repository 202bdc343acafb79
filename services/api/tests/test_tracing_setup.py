"""The API exports its spans only when an OTLP endpoint is configured, and makes none
where nothing records them."""

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


def _fresh_process(code: str, env: dict[str, str]) -> list[str]:
    """What ``code`` prints in a new interpreter (no tracer provider installed yet)."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # its stderr is the failure's message
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_an_endpoint_installs_one_exporting_provider() -> None:
    printed = _fresh_process(PROBE, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    assert printed == ["TracerProvider True", "True"]


APP_PROBE = """
import asyncio
from litestar.plugins.opentelemetry import OpenTelemetryPlugin
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from drift_api import ApiSettings, create_app
from drift_models.temporal import spans_recorded
from drift_store import open_store

def traced(app):
    return any(isinstance(plugin, OpenTelemetryPlugin) for plugin in app.plugins)

async def main():
    async with open_store("sqlite://:memory:") as store:
        on, off = ApiSettings(auth=False), ApiSettings(auth=False, tracing=False)
        print(spans_recorded(), traced(create_app(store=store, settings=on)))
        trace.set_tracer_provider(TracerProvider())
        print(spans_recorded(), traced(create_app(store=store, settings=on)))
        print(traced(create_app(store=store, settings=off)))

asyncio.run(main())
"""


def test_requests_make_spans_only_where_spans_are_recorded() -> None:
    # No tracer provider and no endpoint, then one installed.
    printed = _fresh_process(APP_PROBE, {"PATH": "/usr/bin:/bin"})
    assert printed == ["False False", "True True", "False"]
