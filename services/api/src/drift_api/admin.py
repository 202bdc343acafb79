"""The admin and metrics apps: liveness, readiness, dependency health and Prometheus metrics.

They listen on their own ports (8001 and 9090 by default), so probes and scrapes never
queue behind API traffic and are never exposed with the API's Service.

Readiness means *this process can answer*: it finished starting and its event loop
serves. It does not follow Temporal, the store or Redis: when one of them is down every
replica is equally affected, and a replica that leaves its Service only trades the
API's precise ``503`` + ``Retry-After`` for the load balancer's bare error. Their
health is probed in the background (so a probe never waits on a dependency), shown in
``/readyz``'s body and exported as ``drift_api_dependency_up{dependency=...}``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Final

from litestar import Litestar, Response, get
from litestar.plugins.prometheus import PrometheusController
from prometheus_client import Gauge
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from drift_models import HealthBody, health
from drift_models.health import UP
from drift_store import Store, connect_redis

if TYPE_CHECKING:
    from redis import asyncio as aioredis

__all__ = ["DependencyMonitor", "create_admin_app", "create_metrics_app", "dependency_probes"]

_PROBE_TIMEOUT: Final = 2.0
_PROBE_INTERVAL: Final = 5.0
_PROBE_TENANT: Final = "drift-readiness"
Probe = health.DependencyProbe
"""A dependency check: returns when the dependency answered, raises otherwise."""

DEPENDENCY_UP: Final = Gauge(
    "drift_api_dependency_up",
    "1 when the dependency answered the API's last probe, 0 when it did not.",
    ["dependency"],
)


def _report(dependency: str, state: str) -> None:
    DEPENDENCY_UP.labels(dependency=dependency).set(1 if state == UP else 0)


class DependencyMonitor(health.DependencyMonitor):
    """:class:`drift_models.health.DependencyMonitor`, reporting to ``drift_api_dependency_up``.

    Args:
        probes: a probe per dependency name.
        interval_seconds: the pause between two rounds.
        timeout_seconds: the most one probe may take.
    """

    def __init__(
        self,
        probes: Mapping[str, Probe],
        *,
        interval_seconds: float = _PROBE_INTERVAL,
        timeout_seconds: float = _PROBE_TIMEOUT,
    ) -> None:
        super().__init__(
            probes,
            interval_seconds=interval_seconds,
            timeout_seconds=timeout_seconds,
            report=_report,
        )


def dependency_probes(
    store: Store, client: Client, redis: aioredis.Redis | None = None
) -> dict[str, Probe]:
    """The probes of the API's dependencies: Temporal, the store and Redis (when used)."""

    async def temporal() -> object:
        return await client.workflow_service.get_system_info(GetSystemInfoRequest())

    async def stored() -> object:
        return await store.contexts.get(_PROBE_TENANT, "probe")

    probes: dict[str, Probe] = {"temporal": temporal, "store": stored}
    if redis is not None:
        ping: Probe = redis.ping
        probes["redis"] = ping
    return probes


def create_admin_app(store: Store, client: Client, *, redis_address: str | None = None) -> Litestar:
    """``/healthz`` (the process answers) and ``/readyz`` (it started; dependencies shown).

    Args:
        store: the store whose health is reported.
        client: the Temporal client whose server's health is reported.
        redis_address: the Redis of the definition cache, if any (see
            :func:`drift_store.redis_address`).
    """
    redis = None if redis_address is None else connect_redis(redis_address, timeout=_PROBE_TIMEOUT)
    monitor = DependencyMonitor(dependency_probes(store, client, redis))

    @contextlib.asynccontextmanager
    async def probing(_: Litestar) -> AsyncIterator[None]:
        try:
            async with monitor.running():
                yield
        finally:
            if redis is not None:
                await redis.aclose()

    @get("/healthz", sync_to_thread=False)
    def healthz() -> HealthBody:
        """Liveness: the process serves requests."""
        return HealthBody(status="ok")

    @get("/readyz", sync_to_thread=False)
    def readyz() -> Response[HealthBody]:
        """Readiness: the process started and serves; each dependency's last probe is shown.

        ``status`` is ``ok`` when every dependency answered and ``degraded`` otherwise;
        the answer is ``200`` either way, so the replica stays in its Service and keeps
        answering ``503`` + ``Retry-After`` for what it cannot do.
        """
        checks = dict(monitor.states)
        healthy = all(state == UP for state in checks.values())
        return Response(HealthBody(status="ok" if healthy else "degraded", checks=checks))

    return Litestar(route_handlers=[healthz, readyz], openapi_config=None, lifespan=[probing])


def create_metrics_app() -> Litestar:
    """``/metrics`` in the Prometheus text format (the process's default registry)."""
    return Litestar(route_handlers=[PrometheusController], openapi_config=None)
