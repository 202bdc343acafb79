"""The ``drift-api`` command: serve the API, its probes and its metrics; make API keys.

``drift-api`` (or ``drift-api serve``) reads :class:`ApiSettings` from ``DRIFT_*``
variables (and ``DRIFT_CONFIG_FILE``), opens the store, connects to Temporal (or keeps
trying: while it is away, engine calls answer ``503`` + ``Retry-After``) and serves
three apps from one event loop with granian: the API on ``app_port`` (8000), the
probes on ``admin_port`` (8001) and the metrics on ``metrics_port`` (9090, 0 for none).

``drift-api new-key TENANT`` prints a fresh key and the ``DRIFT_API_KEYS`` entry that
accepts it (hashed under ``DRIFT_API_KEY_PEPPER``): hand the key to the tenant, put
the entry in the configuration; the key itself is never stored.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import logging
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from granian.constants import Interfaces
from granian.server.embed import Server
from litestar import Litestar

from drift_api.admin import create_admin_app, create_metrics_app
from drift_api.app import create_app, temporal_engine
from drift_api.auth import hash_api_key, new_api_key
from drift_api.engine import Engine
from drift_api.engine_connection import ConnectingEngine
from drift_api.problems import ApiError
from drift_api.settings import ApiSettings
from drift_api.tracing import install_tracer_provider
from drift_models.settings import SettingsError, load_settings
from drift_models.temporal import connect_temporal, spans_recorded
from drift_nodes import NodeSettings, discover_nodes
from drift_store import open_store, redis_address

__all__ = ["LISTEN_BACKLOG", "ApiServers", "main", "serving"]

_LOG = logging.getLogger("drift_api")

LISTEN_BACKLOG: Final = 4096
"""Connections waiting to be accepted (the kernel caps it at ``net.core.somaxconn``)."""


@dataclass
class ApiServers:
    """The running servers of one ``drift-api`` process.

    Attributes:
        app: the REST API.
        admin: the probes.
        metrics: the Prometheus endpoint, unless turned off.
    """

    app: Litestar
    admin: Litestar
    metrics: Litestar | None
    servers: list[Server] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def stop(self) -> None:
        """Ask every server to stop."""
        for server in self.servers:
            server.stop()  # type: ignore[no-untyped-call]


@contextlib.asynccontextmanager
async def serving(settings: ApiSettings) -> AsyncIterator[ApiServers]:
    """Serve the API, the probes and the metrics until the block ends."""
    install_tracer_provider()
    nodes = NodeSettings.from_env()
    registry = discover_nodes(allow=nodes.allow)
    async with open_store(settings.store_url, node_types=registry.node_types) as store:
        traced = settings.tracing and spans_recorded()

        async def connect() -> Engine:
            client = await connect_temporal(settings, tracing=traced)
            return temporal_engine(client, store, settings, nodes)

        # Temporal away at start is not fatal: engine calls answer 503 until it is back.
        engine = ConnectingEngine(connect)
        with contextlib.suppress(ApiError):
            await engine.engine()
        app = create_app(store=store, engine=engine, settings=settings, node_settings=nodes)
        redis = redis_address(
            url=settings.redis_url,
            sentinels=settings.redis_sentinels,
            master=settings.redis_master,
            password=settings.redis_password,
        )
        admin = create_admin_app(store, engine, redis_address=redis)
        metrics = create_metrics_app() if settings.metrics_port else None
        running = ApiServers(app=app, admin=admin, metrics=metrics)
        targets = [(app, settings.app_port), (admin, settings.admin_port)]
        if metrics is not None:
            targets.append((metrics, settings.metrics_port))
        for target, port in targets:
            server = Server(
                target,
                address=settings.host,
                port=port,
                interface=Interfaces.ASGI,
                log_enabled=False,
                # granian's defaults (a backlog of 128, as many requests in Python at
                # once) leave the connections beyond them unanswered for tens of
                # seconds, and let the admitted sync waits crowd out their own 429s.
                backlog=LISTEN_BACKLOG,
                backpressure=LISTEN_BACKLOG + settings.max_sync_waits,
            )
            running.servers.append(server)
            running.tasks.append(asyncio.create_task(server.serve()))
        try:
            yield running
        finally:
            running.stop()
            await asyncio.gather(*running.tasks, return_exceptions=True)


async def _serve(settings: ApiSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serving(settings):
        _LOG.info(
            "drift-api on %s: app %d, admin %d, metrics %d",
            settings.host,
            settings.app_port,
            settings.admin_port,
            settings.metrics_port,
        )
        await stop.wait()


def _new_key(tenant: str, settings: ApiSettings) -> int:
    if not settings.api_key_pepper:
        sys.stderr.write("set DRIFT_API_KEY_PEPPER first: the hash is made with it\n")
        return 2
    key = new_api_key()
    key_id = secrets.token_hex(4)
    digest = hash_api_key(key, settings.api_key_pepper)
    sys.stdout.write(f"key (give it to the tenant, it is shown once): {key}\n")
    sys.stdout.write(f"DRIFT_API_KEYS entry: {tenant}:{key_id}:{digest}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``drift-api`` command."""
    parser = argparse.ArgumentParser(prog="drift-api", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the API, probes and metrics (the default)")
    key = commands.add_parser("new-key", help="make an API key for a tenant")
    key.add_argument("tenant")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(ApiSettings)
    except SettingsError as error:
        sys.stderr.write(f"drift-api: {error}\n")
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    if args.command == "new-key":
        return _new_key(args.tenant, settings)
    faulthandler.enable()  # a native crash leaves every thread's stack in the log
    asyncio.run(_serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
