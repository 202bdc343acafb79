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

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Final

from litestar import Litestar, Response, get
from litestar.plugins.prometheus import PrometheusController
from prometheus_client import Gauge
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from drift_api.bodies import HealthBody
from drift_store import Store, connect_redis

if TYPE_CHECKING:
    from redis import asyncio as aioredis

__all__ = ["DependencyMonitor", "create_admin_app", "create_metrics_app", "dependency_probes"]

_LOG = logging.getLogger(__name__)
_PROBE_TIMEOUT: Final = 2.0
_PROBE_INTERVAL: Final = 5.0
_PROBE_TENANT: Final = "drift-readiness"
UP: Final = "ok"

Probe = Callable[[], Awaitable[object]]
"""A dependency check: returns when the dependency answered, raises otherwise."""

DEPENDENCY_UP: Final = Gauge(
    "drift_api_dependency_up",
    "1 when the dependency answered the API's last probe, 0 when it did not.",
    ["dependency"],
)


class DependencyMonitor:
    """Probes each dependency every few seconds and keeps the latest answers.

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
        self._probes = dict(probes)
        self._interval = interval_seconds
        self._timeout = timeout_seconds
        self.states: dict[str, str] = dict.fromkeys(self._probes, "unknown: not probed yet")

    async def probe_all(self) -> dict[str, str]:
        """Run one round of probes; update :attr:`states` and the gauge."""
        names = list(self._probes)
        answers = await asyncio.gather(*(self._probe(name) for name in names))
        for name, state in zip(names, answers, strict=True):
            if state != self.states.get(name):
                _LOG.log(
                    logging.INFO if state == UP else logging.WARNING,
                    "dependency %s: %s",
                    name,
                    state,
                )
            self.states[name] = state
            DEPENDENCY_UP.labels(dependency=name).set(1 if state == UP else 0)
        return dict(self.states)

    async def _probe(self, name: str) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                await self._probes[name]()
        except TimeoutError:
            return f"down: no answer within {self._timeout:g} s"
        except Exception as error:  # noqa: BLE001 - any failure means the dependency is down
            return f"down: {type(error).__name__}: {error}"[:300]
        return UP

    async def run(self) -> None:
        """Probe forever, one round every ``interval_seconds``."""
        while True:
            await asyncio.sleep(self._interval)
            await self.probe_all()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Probe once (so readiness answers with real states), then keep probing."""
        await self.probe_all()
        task = asyncio.create_task(self.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


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
