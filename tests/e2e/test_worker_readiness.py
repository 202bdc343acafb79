"""Readiness of a real ``drift-worker`` process: ready while its Temporal worker runs,
whatever Temporal, the store or Redis are doing; their health is reported in the body and
in ``drift_worker_dependency_up``."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from drift_store.testing import redis_server
from drift_worker.admin import AdminServer
from drift_worker.devserver import DevServer, free_port
from tests.e2e.test_worker_process import WorkerProcess, worker_process

_DEADLINE = 60.0


@pytest.fixture
def temporal(tmp_path: Path) -> Iterator[DevServer]:
    """A Temporal dev server of this test alone: the test stops it."""
    with DevServer(log_file=tmp_path / "temporal.log") as server:
        yield server


async def _ready_until(
    session: aiohttp.ClientSession, worker: WorkerProcess, dependency: str, state: str
) -> dict[str, Any]:
    """Poll ``/readyz`` (200 all along once ready) until ``dependency`` is in ``state``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DEADLINE
    while True:
        assert worker.process is not None
        assert worker.process.poll() is None, worker.log.read_text()[-3000:]
        async with session.get(f"http://127.0.0.1:{worker.admin_port}/readyz") as answer:
            assert answer.status == 200, await answer.text()
            body: dict[str, Any] = await answer.json()
        if body["checks"][dependency].startswith(state):
            return body
        assert loop.time() < deadline, f"{dependency} never {state}: {body}"
        await asyncio.sleep(0.2)


async def _gauge(session: aiohttp.ClientSession, worker: WorkerProcess, dependency: str) -> float:
    async with session.get(f"http://127.0.0.1:{worker.metrics_port}/metrics") as answer:
        text = await answer.text()
    found = re.search(
        rf'^drift_worker_dependency_up\{{dependency="{dependency}"\}} (\S+)$', text, re.MULTILINE
    )
    assert found is not None, text[-2000:]
    return float(found.group(1))


async def test_the_worker_stays_ready_while_temporal_and_redis_are_down(
    temporal: DevServer, redis: redis_server.RedisServer, tmp_path: Path
) -> None:
    await temporal.wait_ready()
    env = {
        **os.environ,
        "DRIFT_TEMPORAL_ADDRESS": temporal.address,
        "DRIFT_TASK_QUEUE": "readiness",
        "DRIFT_STORE_URL": f"sqlite:///{tmp_path / 'drift.db'}",
        "DRIFT_REDIS_URL": redis.url,
        "DRIFT_SHUTDOWN_GRACE_SECONDS": "1",
    }
    with worker_process(env, tmp_path / "worker.log") as worker:
        await worker.wait_ready()
        async with aiohttp.ClientSession() as session:
            body = await _ready_until(session, worker, "temporal", "ok")
            assert body == {
                "status": "ready",
                "checks": {"temporal": "ok", "store": "ok", "redis": "ok"},
            }
            assert await _gauge(session, worker, "temporal") == 1

            temporal.stop()
            redis.kill()
            await _ready_until(session, worker, "temporal", "down")
            body = await _ready_until(session, worker, "redis", "down")
            assert body["status"] == "degraded"
            assert body["checks"]["store"] == "ok"
            assert await _gauge(session, worker, "temporal") == 0
            assert await _gauge(session, worker, "redis") == 0
            assert await _gauge(session, worker, "store") == 1
        assert worker.stop() == 0


async def test_readiness_follows_the_temporal_worker_not_its_dependencies() -> None:
    polling = {"running": True}

    async def refused() -> object:
        msg = "connection refused"
        raise ConnectionRefusedError(msg)

    port = free_port()
    admin = AdminServer(
        host="127.0.0.1", admin_port=port, metrics_port=0, registry=CollectorRegistry()
    )
    admin.add_readiness(lambda: None if polling["running"] else "the Temporal worker stopped")
    admin.add_liveness(lambda: None if polling["running"] else "the Temporal worker stopped")
    admin.add_dependency("store", refused)
    url = f"http://127.0.0.1:{port}/readyz"
    await admin.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as answer:
                assert answer.status == 503
                assert (await answer.json())["status"] == "starting"
            admin.started = True
            async with session.get(url) as answer:
                assert answer.status == 200
                body = await answer.json()
            assert body["status"] == "degraded"
            assert body["checks"]["store"] == "down: ConnectionRefusedError: connection refused"
            async with session.get(url.replace("/readyz", "/healthz")) as answer:
                assert answer.status == 200
            polling["running"] = False
            async with session.get(url) as answer:
                assert answer.status == 503
                assert (await answer.json())["reason"] == "the Temporal worker stopped"
            async with session.get(url.replace("/readyz", "/healthz")) as answer:
                assert answer.status == 503
    finally:
        await admin.stop()
