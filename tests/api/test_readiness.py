"""Readiness of a real ``drift-api`` process: its dependencies going down do not empty the
Service; they show in ``/readyz``'s body and in ``drift_api_dependency_up``."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from drift_api.admin import DependencyMonitor
from drift_store.testing import redis_server
from drift_worker.devserver import DevServer, free_port

_DEADLINE = 60.0


@dataclass
class ApiProcess:
    """A ``drift-api`` process of the test's own, with its ports and log."""

    process: subprocess.Popen[bytes]
    admin_port: int
    metrics_port: int
    log: Path

    async def readyz(self, http: httpx.AsyncClient) -> httpx.Response:
        return await http.get(f"http://127.0.0.1:{self.admin_port}/readyz")

    async def gauge(self, http: httpx.AsyncClient, dependency: str) -> float:
        metrics = (await http.get(f"http://127.0.0.1:{self.metrics_port}/metrics")).text
        found = re.search(
            rf'^drift_api_dependency_up\{{dependency="{dependency}"\}} (\S+)$',
            metrics,
            re.MULTILINE,
        )
        assert found is not None, metrics[-2000:]
        return float(found.group(1))

    async def wait_until(
        self, http: httpx.AsyncClient, dependency: str, state: str
    ) -> dict[str, Any]:
        """Poll ``/readyz`` (which must answer 200 all along) until ``dependency`` is in ``state``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _DEADLINE
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                answer = await self.readyz(http)
            except httpx.TransportError:
                answer = None
            if answer is not None:
                assert answer.status_code == 200, answer.text
                body: dict[str, Any] = answer.json()
                if body["checks"].get(dependency, "").startswith(state):
                    return body
            assert loop.time() < deadline, f"{dependency} never {state}: {self.log.read_text()}"
            await asyncio.sleep(0.2)


def _start_api(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "drift_api.main"], env=env, stdout=output, stderr=output
        )


@pytest.fixture
def temporal(tmp_path: Path) -> Iterator[DevServer]:
    """A Temporal dev server of this test alone: the test stops it."""
    with DevServer(log_file=tmp_path / "temporal.log") as server:
        yield server


@pytest.fixture
async def api_process(
    temporal: DevServer, redis: redis_server.RedisServer, tmp_path: Path
) -> AsyncIterator[ApiProcess]:
    await temporal.wait_ready()
    log = tmp_path / "api.log"
    env = {
        **os.environ,
        "DRIFT_TEMPORAL_ADDRESS": temporal.address,
        "DRIFT_STORE_URL": f"sqlite:///{tmp_path / 'drift.db'}",
        "DRIFT_REDIS_URL": redis.url,
        "DRIFT_HOST": "127.0.0.1",
        "DRIFT_APP_PORT": str(free_port()),
        "DRIFT_ADMIN_PORT": str(free_port()),
        "DRIFT_METRICS_PORT": str(free_port()),
        "DRIFT_AUTH": "false",
    }
    process = _start_api(env, log)
    try:
        yield ApiProcess(process, int(env["DRIFT_ADMIN_PORT"]), int(env["DRIFT_METRICS_PORT"]), log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


async def test_the_api_stays_ready_while_temporal_and_redis_are_down(
    api_process: ApiProcess, temporal: DevServer, redis: redis_server.RedisServer
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        body = await api_process.wait_until(http, "temporal", "ok")
        assert body == {"status": "ok", "checks": {"temporal": "ok", "store": "ok", "redis": "ok"}}
        assert await api_process.gauge(http, "temporal") == 1
        assert await api_process.gauge(http, "redis") == 1

        temporal.stop()
        redis.kill()
        down = await api_process.wait_until(http, "temporal", "down")
        down = await api_process.wait_until(http, "redis", "down")
        assert down["status"] == "degraded"
        assert down["checks"]["store"] == "ok"
        assert await api_process.gauge(http, "temporal") == 0
        assert await api_process.gauge(http, "redis") == 0
        assert await api_process.gauge(http, "store") == 1
        live = await http.get(f"http://127.0.0.1:{api_process.admin_port}/healthz")
        assert live.status_code == 200


async def test_a_probe_that_fails_or_hangs_marks_its_dependency_down() -> None:
    async def fine() -> object:
        return None

    async def broken() -> object:
        msg = "connection refused"
        raise ConnectionRefusedError(msg)

    async def hanging() -> object:
        await asyncio.Event().wait()
        return None

    monitor = DependencyMonitor(
        {"temporal": fine, "store": broken, "redis": hanging}, timeout_seconds=0.2
    )
    assert monitor.states["store"].startswith("unknown")
    states = await monitor.probe_all()
    assert states["temporal"] == "ok"
    assert states["store"] == "down: ConnectionRefusedError: connection refused"
    assert states["redis"] == "down: no answer within 0.2 s"
