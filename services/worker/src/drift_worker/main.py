"""The ``drift-worker`` command: run a worker until SIGTERM or SIGINT, then drain."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from drift_models.settings import CONFIG_FILE_VARIABLE, SettingsError, load_settings
from drift_worker import __version__
from drift_worker.admin import AdminServer
from drift_worker.runtime import RunningWorker, running_worker
from drift_worker.settings import WorkerSettings
from drift_worker.tracing import configure_tracing

__all__ = ["main", "serve"]

_LOG = logging.getLogger("drift_worker")
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - a pod serves its probes on every interface


async def serve(
    settings: WorkerSettings, stop: asyncio.Event | None = None, *, host: str = ALL_INTERFACES
) -> None:
    """Run a worker with its admin and metrics endpoints until ``stop`` is set."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    configure_tracing("drift-worker")
    async with running_worker(settings) as running:
        admin = AdminServer(
            host=host,
            admin_port=settings.admin_port,
            metrics_port=settings.metrics_port,
            registry=running.metrics.registry,
        )
        admin.add_check("store", lambda: _store_ready(running))
        admin.add_check("temporal", lambda: _temporal_ready(running))
        await admin.start()
        admin.started = True
        _LOG.info(
            "drift-worker %s ready: task queue %s, admin :%d, metrics :%d",
            __version__,
            settings.task_queue,
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


async def _store_ready(running: RunningWorker) -> str | None:
    await running.store.contexts.get("drift-health", "readiness-probe")
    return None


async def _temporal_ready(running: RunningWorker) -> str | None:
    await running.client.count_workflows("WorkflowId = 'drift-readiness-probe'")
    return None


def main(argv: list[str] | None = None) -> int:
    """Run ``drift-worker``; return its exit code."""
    parser = argparse.ArgumentParser(prog="drift-worker", description="The Drift Temporal worker.")
    parser.add_argument("--version", action="version", version=f"drift-worker {__version__}")
    parser.add_argument(
        "--config", type=Path, help=f"a YAML or JSON settings file (or {CONFIG_FILE_VARIABLE})"
    )
    parser.add_argument("--check", action="store_true", help="validate the settings and exit")
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
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
