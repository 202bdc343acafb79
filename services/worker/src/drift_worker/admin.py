"""The worker's admin and metrics endpoints.

``/healthz`` says the process is alive (503 once its Temporal worker stopped by itself, so
the kubelet restarts it). ``/readyz`` says the worker finished starting and
its Temporal worker runs (polls its task queue); it answers ``503`` before that, while
draining and after the Temporal worker stopped. Temporal's, the store's and Redis'
health does not fail readiness: a worker receives no traffic through a Service, so
readiness only gates rollouts and disruption budgets, and failing it on a shared
dependency's outage would mark every worker unready at once, stall rollouts and block
node drains while the workers wait out the outage on their own (the SDK keeps polling,
activities retry). Each dependency is probed in the background, shown in ``/readyz``'s
body and exported as ``drift_worker_dependency_up{dependency=...}``. ``/metrics`` on
the metrics port serves Prometheus' text format.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from drift_models import health
from drift_models.health import UP

__all__ = ["AdminServer", "DependencyProbe", "ReadinessCheck"]

ReadinessCheck = Callable[[], str | None]
"""Whether the process can do its work: ``None`` when it can, else why not."""

DependencyProbe = health.DependencyProbe
"""A dependency check: returns when the dependency answered, raises otherwise."""


class AdminServer:
    """Serves health, readiness and metrics on loopback or all interfaces.

    Args:
        host: the address to bind.
        admin_port: the port of ``/healthz`` and ``/readyz``.
        metrics_port: the port of ``/metrics`` (0: no metrics server).
        registry: the Prometheus registry to expose (``drift_worker_dependency_up``
            is added to it).
        timeout_seconds: the most one dependency probe may take.
        interval_seconds: the pause between two rounds of dependency probes.
    """

    def __init__(
        self,
        *,
        host: str,
        admin_port: int,
        metrics_port: int,
        registry: CollectorRegistry,
        timeout_seconds: float = 2.0,
        interval_seconds: float = 5.0,
    ) -> None:
        self._host = host
        self._admin_port = admin_port
        self._metrics_port = metrics_port
        self._registry = registry
        self._readiness: list[ReadinessCheck] = []
        self._liveness: list[ReadinessCheck] = []
        self._runners: list[web.AppRunner] = []
        self._probing: asyncio.Task[None] | None = None
        gauge = Gauge(
            "drift_worker_dependency_up",
            "1 when the dependency answered the worker's last probe, 0 when it did not.",
            ["dependency"],
            registry=registry,
        )
        self._monitor = health.DependencyMonitor(
            interval_seconds=interval_seconds,
            timeout_seconds=timeout_seconds,
            report=lambda name, state: gauge.labels(dependency=name).set(int(state == UP)),
        )
        self.started = False

    @property
    def states(self) -> dict[str, str]:
        """The latest state of each dependency (``ok`` or ``down: …``)."""
        return self._monitor.states

    def add_readiness(self, check: ReadinessCheck) -> None:
        """Add a condition of readiness (checked on every ``/readyz``, so it must be cheap)."""
        self._readiness.append(check)

    def add_liveness(self, check: ReadinessCheck) -> None:
        """Add a condition of liveness: when it fails, ``/healthz`` answers 503 (restart me)."""
        self._liveness.append(check)

    def add_dependency(self, name: str, probe: DependencyProbe) -> None:
        """Add a dependency whose health is probed and reported (never failing readiness)."""
        self._monitor.add(name, probe)

    async def probe_dependencies(self) -> dict[str, str]:
        """Probe every dependency once; update :attr:`states` and the gauge."""
        return await self._monitor.probe_all()

    async def start(self) -> None:
        """Probe the dependencies once, bind the ports, start serving and probing."""
        await self.probe_dependencies()
        admin = web.Application()
        admin.router.add_get("/healthz", self._health)
        admin.router.add_get("/readyz", self._ready)
        await self._serve(admin, self._admin_port)
        if self._metrics_port:
            metrics = web.Application()
            metrics.router.add_get("/metrics", self._metrics)
            await self._serve(metrics, self._metrics_port)
        self._probing = asyncio.create_task(self._monitor.run())

    async def stop(self) -> None:
        """Stop probing and serving."""
        if self._probing is not None:
            self._probing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probing
            self._probing = None
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    async def _serve(self, app: web.Application, port: int) -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self._host, port).start()
        self._runners.append(runner)

    async def _health(self, _: web.Request) -> web.Response:
        for check in self._liveness:
            reason = check()
            if reason is not None:
                return web.json_response({"status": "failed", "reason": reason}, status=503)
        return web.json_response({"status": "ok"})

    async def _ready(self, _: web.Request) -> web.Response:
        checks = dict(self.states)
        if not self.started:
            return web.json_response({"status": "starting", "checks": checks}, status=503)
        for check in self._readiness:
            reason = check()
            if reason is not None:
                body = {"status": "not ready", "reason": reason, "checks": checks}
                return web.json_response(body, status=503)
        healthy = all(state == UP for state in checks.values())
        return web.json_response({"status": "ready" if healthy else "degraded", "checks": checks})

    async def _metrics(self, _: web.Request) -> web.Response:
        body = generate_latest(self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
