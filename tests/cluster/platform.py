"""Drift as a deployment runs it, on the cluster: drift-worker and drift-api processes.

Each process is started with ``python -m`` and the same ``DRIFT_*`` variables the chart
sets, on its own loopback ports, and stopped (or killed) by its pid. The tenants and their
keys are fixed when the API processes start, so the session makes a pool of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from drift_worker.devserver import die_with_parent, free_port
from tests.api.harness import BOOTSTRAP_KEY, PEPPER, tenant_key
from tests.peers import CALLBACK_SECRET

TENANTS = 40
"""Tenants whose keys every API process knows (one per test that publishes examples)."""


@dataclass
class DriftProcess:
    """One ``drift-worker`` or ``drift-api`` process with its own ports and log."""

    name: str
    module: str
    env: dict[str, str]
    log: Path
    admin_port: int = field(default_factory=free_port)
    app_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The REST API of an API process."""
        return f"http://127.0.0.1:{self.app_port}"

    def start(self) -> None:
        env = {
            **self.env,
            "DRIFT_ADMIN_PORT": str(self.admin_port),
            "DRIFT_APP_PORT": str(self.app_port),
            "DRIFT_METRICS_PORT": "0",
        }
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only a prctl call
            )

    async def wait_ready(self, timeout: float = 90) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as session:
            while loop.time() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.name} exited: {self.tail()}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    ready = f"http://127.0.0.1:{self.admin_port}/readyz"
                    async with session.get(ready, timeout=aiohttp.ClientTimeout(total=2)) as answer:
                        if answer.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} not ready in {timeout} s: {self.tail()}")

    def kill(self) -> None:
        """SIGKILL the process group (the worker's sandbox children go with it)."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, size: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-size:]
        except OSError:
            return "(no log)"


@dataclass
class Platform:
    """Workers and API processes on one cluster, one store, one Redis."""

    workers: list[DriftProcess]
    apis: list[DriftProcess]
    tenants: Iterator[str]
    task_queue: str
    _turn: Iterator[int] = field(default_factory=itertools.count)

    def next_api(self) -> DriftProcess:
        """The API processes in turn, so the tests spread over the replicas."""
        return self.apis[next(self._turn) % len(self.apis)]

    def stop(self) -> None:
        for process in (*self.apis, *self.workers):
            process.stop()


def platform_env(
    *, temporal: str, store_url: str, redis_url: str, task_queue: str, enum_file: Path
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """The worker's and the API's environments, and the tenants the API knows."""
    tenants = [f"c{uuid.uuid4().hex[:8]}" for _ in range(TENANTS)]
    common = {
        **os.environ,
        "DRIFT_TEMPORAL_ADDRESS": temporal,
        "DRIFT_STORE_URL": store_url,
        "DRIFT_REDIS_URL": redis_url,
        "DRIFT_TASK_QUEUE": task_queue,
        "DRIFT_HTTP_ALLOW_HOSTS": "127.0.0.1",
        "DRIFT_LOG_LEVEL": "WARNING",
    }
    worker = {
        **common,
        "DRIFT_CALLBACK_SECRET": CALLBACK_SECRET,
        "DRIFT_ENUM_STORE_FILE": str(enum_file),
        "DRIFT_HISTORY_LIMIT": "200",
        "DRIFT_SHUTDOWN_GRACE_SECONDS": "5",
    }
    api = {
        **common,
        "DRIFT_HOST": "127.0.0.1",
        "DRIFT_API_KEYS": ",".join(tenant_key(t)[1] for t in tenants),
        "DRIFT_API_KEY_PEPPER": PEPPER,
        "DRIFT_BOOTSTRAP_API_KEY": BOOTSTRAP_KEY,
        "DRIFT_SYNC_TIMEOUT_SECONDS": "15",
        # One redrive per run, as tests/api/test_redrive.py sets it, so the bound is reached.
        "DRIFT_MAX_REDRIVES": "1",
        "DRIFT_MAX_BODY_BYTES": str(256 * 1024),
    }
    return worker, api, tenants
