"""The admin and metrics apps: liveness, readiness and Prometheus metrics.

They listen on their own ports (8001 and 9090 by default), so probes and scrapes never
queue behind API traffic and are never exposed with the API's Service.
"""

from __future__ import annotations

import asyncio
from typing import Final

from litestar import Litestar, Response, get
from litestar.plugins.prometheus import PrometheusController
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from drift_api.bodies import HealthBody
from drift_store import Store

__all__ = ["create_admin_app", "create_metrics_app"]

_PROBE_TIMEOUT: Final = 2.0
_PROBE_TENANT: Final = "drift-readiness"


async def _check_temporal(client: Client) -> str:
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT):
            await client.workflow_service.get_system_info(GetSystemInfoRequest())
    except Exception as error:  # noqa: BLE001 - any failure makes the API not ready
        return f"unavailable: {type(error).__name__}: {error}"[:300]
    return "ok"


async def _check_store(store: Store) -> str:
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT):
            await store.contexts.get(_PROBE_TENANT, "probe")
    except Exception as error:  # noqa: BLE001 - any failure makes the API not ready
        return f"unavailable: {type(error).__name__}: {error}"[:300]
    return "ok"


def create_admin_app(store: Store, client: Client) -> Litestar:
    """``/healthz`` (the process answers) and ``/readyz`` (Temporal and the store answer)."""

    @get("/healthz", sync_to_thread=False)
    def healthz() -> HealthBody:
        """Liveness: the process serves requests."""
        return HealthBody(status="ok")

    @get("/readyz")
    async def readyz() -> Response[HealthBody]:
        """Readiness: Temporal and the store both answer within two seconds."""
        temporal, stored = await asyncio.gather(_check_temporal(client), _check_store(store))
        checks = {"temporal": temporal, "store": stored}
        ready = all(value == "ok" for value in checks.values())
        body = HealthBody(status="ok" if ready else "unavailable", checks=checks)
        return Response(body, status_code=200 if ready else 503)

    return Litestar(route_handlers=[healthz, readyz], openapi_config=None)


def create_metrics_app() -> Litestar:
    """``/metrics`` in the Prometheus text format (the process's default registry)."""
    return Litestar(route_handlers=[PrometheusController], openapi_config=None)
