"""The drift-worker command as a process: probes, metrics, graceful stop, and a worker
killed in the middle of a run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest
from temporalio.client import Client

from drift_models import RunStatus
from drift_nodes import discover_nodes
from drift_store import DefinitionKind, open_store
from drift_worker.devserver import DevServer, free_port
from tests.e2e.engine import Engine, publish_examples
from tests.peers import Services


class WorkerProcess:
    """One ``drift-worker`` process with its own ports."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.admin_port = free_port()
        self.metrics_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **self.env,
            "DRIFT_ADMIN_PORT": str(self.admin_port),
            "DRIFT_METRICS_PORT": str(self.metrics_port),
        }
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "drift_worker.main"], env=env, stdout=output, stderr=output
            )

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession() as session:
            while asyncio.get_running_loop().time() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"worker exited: {self.log.read_text()[-3000:]}")
                try:
                    async with session.get(f"http://127.0.0.1:{self.admin_port}/readyz") as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"worker not ready: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


@pytest.fixture
async def setup(
    temporal_server: DevServer, temporal_client: Client, tmp_path: Path, services: Services
) -> AsyncIterator[tuple[Engine, dict[str, str]]]:
    queue = f"proc-{uuid.uuid4().hex[:8]}"
    store_url = f"sqlite:///{tmp_path / 'drift.db'}"
    enum_file = tmp_path / "enum.yaml"
    enum_file.write_text(f'"*":\n  ordersServiceUrl: "{services.url}"\n')
    env = {
        **os.environ,
        "DRIFT_TEMPORAL_ADDRESS": temporal_server.address,
        "DRIFT_TASK_QUEUE": queue,
        "DRIFT_STORE_URL": store_url,
        "DRIFT_ENUM_STORE_FILE": str(enum_file),
        "DRIFT_HTTP_ALLOW_HOSTS": "127.0.0.1",
        "DRIFT_SHUTDOWN_GRACE_SECONDS": "2",
    }
    async with open_store(store_url, node_types=discover_nodes().node_types) as store:
        await publish_examples(store, "t1", store.definitions.node_types)
        yield Engine(client=temporal_client, task_queue=queue, store=store, tenant="t1"), env


@contextmanager
def worker_process(env: dict[str, str], log: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(env, log)
    process.start()
    try:
        yield process
    finally:
        if process.process is not None and process.process.poll() is None:
            process.process.kill()
            process.process.wait(10)


async def test_probes_metrics_and_graceful_stop(
    setup: tuple[Engine, dict[str, str]], tmp_path: Path
) -> None:
    engine, env = setup
    with worker_process(env, tmp_path / "worker.log") as worker:
        await worker.wait_ready()
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{worker.admin_port}/healthz") as answer:
                assert answer.status == 200
            first = await engine.start("refund", {"orderId": "A-100", "reason": "x"}, run_id="p-1")
            assert first.workflow_status is RunStatus.WAITING
            async with session.get(f"http://127.0.0.1:{worker.metrics_port}/metrics") as answer:
                text = await answer.text()
        assert 'drift_nodes_total{status="COMPLETED",type="HTTP"} 1.0' in text
        assert 'drift_runs_started_total{workflow="refund"} 1.0' in text
        assert "drift_node_duration_seconds_bucket" in text
        assert worker.stop() == 0


async def test_a_worker_killed_during_a_slow_http_call_does_not_lose_the_run(
    setup: tuple[Engine, dict[str, str]], services: Services, tmp_path: Path
) -> None:
    engine, env = setup
    services.delay_seconds = 2.5
    with worker_process(env, tmp_path / "first.log") as first:
        await first.wait_ready()
        await engine.begin("refund", {"orderId": "A-100", "reason": "x"}, run_id="k-1")
        for _ in range(200):
            if "GET /orders/A-100" in services.calls:
                break
            await asyncio.sleep(0.05)
        assert services.calls == ["GET /orders/A-100"]
        first.kill()  # SIGKILL in the middle of the HTTP node
    with worker_process(env, tmp_path / "second.log") as second:
        await second.wait_ready()
        state = await engine.state("k-1")
        assert state.workflow_status is RunStatus.WAITING
        assert state.current_node == "confirmRefund"
        final = await engine.resume("k-1", {"decision": ["approve"]})
        assert final.workflow_status is RunStatus.COMPLETED
        assert second.stop() == 0
    assert services.calls == ["GET /orders/A-100", "GET /orders/A-100"]  # retried once
    record = await engine.context("k-1")
    outputs = record.context.global_
    for state_name in ("lookupOrder", "computeRefund", "routeRefund", "confirmRefund", "refunded"):
        assert state_name in outputs
    assert outputs["lookupOrder"]["body"]["id"] == "A-100"
    history = await engine.handle("k-1").fetch_history()
    started = [e for e in history.events if e.HasField("activity_task_started_event_attributes")]
    assert len(started) == 1  # one HTTP activity, its second attempt recorded once
    assert started[0].activity_task_started_event_attributes.attempt == 2


SLOW = {
    "id": "slow-http",
    "startNode": "fetch",
    "states": {
        "fetch": {
            "nodeDefinition": {
                "type": "HTTP",
                "id": "fetch",
                "name": "fetch",
                "config": {"url": "{{ _enum_store.ordersServiceUrl }}/orders/A-100"},
            },
            "timeoutSeconds": 120,
            "nextNode": "done",
        },
        "done": {"nodeDefinition": {"type": "SUCCESS", "id": "done", "name": "done"}},
    },
}
NODE_TIMEOUT = 120
RETRY_BOUND = 45  # far less than the node's timeout: only heartbeats can explain it


async def test_a_killed_workers_http_node_is_retried_long_before_its_timeout(
    setup: tuple[Engine, dict[str, str]], services: Services, tmp_path: Path
) -> None:
    engine, env = setup
    workflow = engine.store.definitions.node_types.convert_workflow(SLOW)
    await engine.store.definitions.put(engine.tenant, workflow)
    published = await engine.store.definitions.publish(
        engine.tenant, DefinitionKind.WORKFLOW, workflow.id
    )
    number = published.definition.version
    assert isinstance(number, int)
    await engine.store.definitions.activate(
        engine.tenant, DefinitionKind.WORKFLOW, workflow.id, number
    )
    services.delay_seconds = 20  # the first worker dies long before its answer
    with worker_process(env, tmp_path / "first.log") as first:
        await first.wait_ready()
        await engine.begin("slow-http", {}, run_id="hb-1")
        for _ in range(400):
            if services.calls:
                break
            await asyncio.sleep(0.05)
        assert services.calls == ["GET /orders/A-100"]  # the first worker has the node
        # A second worker is running when the first one dies.
        with worker_process(env, tmp_path / "second.log") as second:
            await second.wait_ready()
            services.delay_seconds = 0
            first.kill()  # SIGKILL while its HTTP node waits for the slow answer
            for _ in range(RETRY_BOUND * 10):
                if len(services.calls) >= 2:
                    break
                await asyncio.sleep(0.1)
            assert services.calls == ["GET /orders/A-100", "GET /orders/A-100"], (
                f"no second attempt within {RETRY_BOUND} s of the kill "
                f"(node timeout {NODE_TIMEOUT} s)"
            )
            final = await asyncio.wait_for(engine.result("hb-1"), 60)
            assert final.workflow_status is RunStatus.COMPLETED
            assert second.stop() == 0
    history = await engine.handle("hb-1").fetch_history()
    timed_out = [
        e for e in history.events if e.HasField("activity_task_timed_out_event_attributes")
    ]
    assert timed_out == []  # the retry came from the heartbeat, within the same activity
    started = [e for e in history.events if e.HasField("activity_task_started_event_attributes")]
    assert [e.activity_task_started_event_attributes.attempt for e in started] == [2]
    record = await engine.context("hb-1")
    assert record.context.global_["fetch"]["body"]["id"] == "A-100"
