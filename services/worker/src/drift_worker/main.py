"""The ``drift-worker`` command: run a worker until SIGTERM or SIGINT, then drain."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.service import RPCError

from drift_models.settings import CONFIG_FILE_VARIABLE, SettingsError, load_settings
from drift_store import connect_redis, redis_address
from drift_worker import __version__
from drift_worker.admin import AdminServer, DependencyProbe
from drift_worker.runtime import RunningWorker, connect_temporal, running_worker
from drift_worker.settings import WorkerSettings
from drift_worker.setup_visibility import setup_search_attributes
from drift_worker.tracing import configure_tracing

__all__ = ["main", "serve"]

_LOG = logging.getLogger("drift_worker")


async def serve(settings: WorkerSettings, stop: asyncio.Event | None = None) -> None:
    """Run a worker, its admin and metrics endpoints on ``settings.host``, until ``stop``."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if settings.tracing:
        configure_tracing("drift-worker")
    async with running_worker(settings) as running, _redis_probe(settings) as ping:
        admin = AdminServer(
            host=settings.host,
            admin_port=settings.admin_port,
            metrics_port=settings.metrics_port,
            registry=running.metrics.registry,
        )
        admin.add_readiness(lambda: _polling(running))
        # Outside a drain, a Temporal worker that stopped will not come back: restart.
        admin.add_liveness(lambda: _polling(running) if admin.started else None)
        admin.add_dependency("temporal", lambda: _temporal_answers(running))
        admin.add_dependency("store", lambda: _store_answers(running))
        if ping is not None:
            admin.add_dependency("redis", ping)
        await admin.start()
        admin.started = True
        _LOG.info(
            "drift-worker %s ready: task queue %s, admin %s:%d, metrics :%d",
            __version__,
            settings.task_queue,
            settings.host,
            settings.admin_port,
            settings.metrics_port,
        )
        try:
            await stop.wait()
            _LOG.info(
                "shutting down: finishing running activities (up to %.0f s)",
                settings.shutdown_grace_seconds,
            )
            admin.started = False
        finally:
            await admin.stop()


def _polling(running: RunningWorker) -> str | None:
    if running.worker.is_running:
        return None
    return "the Temporal worker is not running (it failed or is shutting down)"


async def _temporal_answers(running: RunningWorker) -> object:
    return await running.client.workflow_service.get_system_info(GetSystemInfoRequest())


async def _store_answers(running: RunningWorker) -> object:
    return await running.store.contexts.get("drift-health", "readiness-probe")


@contextlib.asynccontextmanager
async def _redis_probe(settings: WorkerSettings) -> AsyncIterator[DependencyProbe | None]:
    address = redis_address(
        url=settings.redis_url,
        sentinels=settings.redis_sentinels,
        master=settings.redis_master,
        password=settings.redis_password,
    )
    if address is None:
        yield None
        return
    redis = connect_redis(address, timeout=2.0)
    try:
        yield redis.ping
    finally:
        await redis.aclose()


async def _setup(settings: WorkerSettings) -> int:
    try:
        client = await connect_temporal(settings)
        report = await setup_search_attributes(client, settings.temporal_namespace)
    except (RPCError, RuntimeError) as error:
        why = error.message if isinstance(error, RPCError) else str(error)
        sys.stderr.write(
            f"drift-worker: the search attribute setup at {settings.temporal_address} "
            f"did not go through: {why}\n"
        )
        return 1
    for line in report.conflicts:
        sys.stderr.write(f"drift-worker: {line}\n")
    if report.added:
        sys.stdout.write(f"added: {', '.join(report.added)}\n")
    if report.present:
        sys.stdout.write(f"already present: {', '.join(report.present)}\n")
    return 1 if report.conflicts else 0


def main(argv: list[str] | None = None) -> int:
    """Run ``drift-worker``; return its exit code."""
    parser = argparse.ArgumentParser(prog="drift-worker", description="The Drift Temporal worker.")
    parser.add_argument("--version", action="version", version=f"drift-worker {__version__}")
    parser.add_argument(
        "--config", type=Path, help=f"a YAML or JSON settings file (or {CONFIG_FILE_VARIABLE})"
    )
    parser.add_argument("--check", action="store_true", help="validate the settings and exit")
    parser.add_argument(
        "command",
        nargs="?",
        choices=["setup-search-attributes"],
        help="setup-search-attributes: register Drift's search attributes in the namespace "
        "(idempotent), then exit",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings(WorkerSettings, os.environ, args.config)
    except SettingsError as error:
        sys.stderr.write(f"drift-worker: {error}\n")
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.check:
        sys.stdout.write("settings are valid\n")
        return 0
    if args.command == "setup-search-attributes":
        return asyncio.run(_setup(settings))
    # A crash in native code (the Temporal core, a C extension) leaves every thread's
    # Python stack in the log instead of a silent exit.
    faulthandler.enable()
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
