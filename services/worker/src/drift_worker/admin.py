"""The worker's admin and metrics endpoints.

``/healthz`` says the process is alive; ``/readyz`` says the worker polls Temporal and
can reach the store (Kubernetes probes use them). ``/metrics`` on the metrics port serves
Prometheus' text format.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

__all__ = ["AdminServer", "ReadinessCheck"]

_LOG = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[str | None]]
"""A check that answers ``None`` when ready, else why not."""


class AdminServer:
    """Serves health, readiness and metrics on loopback or all interfaces.

    Args:
        host: the address to bind.
        admin_port: the port of ``/healthz`` and ``/readyz``.
        metrics_port: the port of ``/metrics`` (0: no metrics server).
        registry: the Prometheus registry to expose.
        timeout_seconds: the most a readiness check may take.
    """

    def __init__(
        self,
        *,
        host: str,
        admin_port: int,
        metrics_port: int,
        registry: CollectorRegistry,
        timeout_seconds: float = 2.0,
    ) -> None:
        self._host = host
        self._admin_port = admin_port
        self._metrics_port = metrics_port
        self._registry = registry
        self._timeout = timeout_seconds
        self._checks: list[tuple[str, ReadinessCheck]] = []
        self._runners: list[web.AppRunner] = []
        self.started = False

    def add_check(self, name: str, check: ReadinessCheck) -> None:
        """Add a readiness check."""
        self._checks.append((name, check))

    async def start(self) -> None:
        """Bind the ports and start serving."""
        admin = web.Application()
        admin.router.add_get("/healthz", self._health)
        admin.router.add_get("/readyz", self._ready)
        await self._serve(admin, self._admin_port)
        if self._metrics_port:
            metrics = web.Application()
            metrics.router.add_get("/metrics", self._metrics)
            await self._serve(metrics, self._metrics_port)

    async def stop(self) -> None:
        """Stop serving."""
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    async def _serve(self, app: web.Application, port: int) -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self._host, port).start()
        self._runners.append(runner)

    async def _health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _ready(self, _: web.Request) -> web.Response:
        if not self.started:
            return web.json_response({"status": "starting"}, status=503)
        problems: dict[str, str] = {}
        for name, check in self._checks:
            try:
                reason = await asyncio.wait_for(check(), self._timeout)
            except Exception as error:  # noqa: BLE001 - any failure means not ready
                reason = f"{type(error).__name__}: {error}"
            if reason is not None:
                problems[name] = reason
        if problems:
            return web.json_response({"status": "not ready", "checks": problems}, status=503)
        return web.json_response({"status": "ready"})

    async def _metrics(self, _: web.Request) -> web.Response:
        body = generate_latest(self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
