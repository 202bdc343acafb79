"""``DRIFT_MAX_CACHED_RUNS``: runs pushed out of a worker's cache replay and end right.

With room for one run, three refund runs parked at their view push each other out; the
SDK's own metrics (read from an in-memory metric buffer) count the cache misses, each a
replay of the run from its history. The runs still end with the same answers as with a
roomy cache, where every resume finds its run in memory.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig

from drift_models import RunStatus
from drift_nodes import HttpSettings, NodeSettings
from drift_worker.converter import DATA_CONVERTER
from drift_worker.devserver import DevServer
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import running_worker
from drift_worker.settings import WorkerSettings
from tests.e2e.engine import Engine, publish_examples
from tests.peers import Services

RUNS = ("cache-1", "cache-2", "cache-3")


async def _cache_misses(
    server: DevServer, queue: str, folder: Path, services: Services, cached: int
) -> int:
    """Start three refund runs, then resume them; the worker's sticky-cache misses."""
    buffer = MetricBuffer(10_000)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    client = await Client.connect(server.address, data_converter=DATA_CONVERTER, runtime=runtime)
    settings = WorkerSettings(
        store_url=f"sqlite:///{folder / 'drift.db'}", task_queue=queue, max_cached_runs=cached
    )
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    urls = EnumStore({"*": {"ordersServiceUrl": services.url}})
    async with running_worker(
        settings, client=client, node_settings=nodes, enum_store=urls
    ) as worker:
        tenant = f"t{uuid.uuid4().hex[:8]}"
        await publish_examples(worker.store, tenant, worker.registry.node_types)
        engine = Engine(client=client, task_queue=queue, store=worker.store, tenant=tenant)
        for run_id in RUNS:
            waiting = await engine.start(
                "refund", {"orderId": "A-100", "reason": "x"}, run_id=run_id
            )
            assert waiting.workflow_status is RunStatus.WAITING
        misses_before = _misses(buffer)
        for run_id in RUNS:
            ended = await engine.resume(run_id, {"decision": ["approve"]})
            assert ended.workflow_status is RunStatus.COMPLETED
            assert ended.disposition == "REFUNDED"
        return _misses(buffer) - misses_before


_seen: dict[int, int] = {}


def _misses(buffer: MetricBuffer) -> int:
    """The sticky-cache misses counted so far (the buffer hands each update out once)."""
    key = id(buffer)
    for update in buffer.retrieve_updates():
        if update.metric.name.endswith("sticky_cache_miss"):
            _seen[key] = _seen.get(key, 0) + int(update.value)
    return _seen.get(key, 0)


async def test_runs_pushed_out_of_the_cache_replay_and_end_right(
    temporal_server: DevServer, task_queue: str, tmp_path: Path, services: Services
) -> None:
    misses = await _cache_misses(temporal_server, task_queue, tmp_path, services, 1)
    # The first two runs were pushed out by the runs started after them.
    assert misses >= 2


async def test_a_roomy_cache_replays_no_run(
    temporal_server: DevServer, task_queue: str, tmp_path: Path, services: Services
) -> None:
    misses = await _cache_misses(temporal_server, task_queue, tmp_path, services, 1000)
    assert misses == 0
