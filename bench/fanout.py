"""PARALLEL and MAP against hand-written Temporal fan-out, on the same server in the same run.

A 100-item MAP of HTTP nodes (10 at a time) and a 3-branch PARALLEL of HTTP nodes, each
next to a plain-Temporal workflow doing the same calls (bench/fanout_baseline.py), all
against one stub that answers after a fixed delay. Prints the median latency of each,
their ratio (the goal: Drift within 1.2x) and the history events per item of both.

Usage: uv run python bench/fanout.py [--runs N] [--delay-ms D]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fanout_baseline import FanoutActivities, FanoutInput, HandMap, HandParallel
from tests.e2e.engine import Engine
from tests.e2e.fanout_stub import FanoutStub
from tests.e2e.test_fanout import parallel_workflow, publish

from drift_models import RunStatus
from drift_nodes import HttpSettings, NodeSettings
from drift_worker.converter import DATA_CONVERTER
from drift_worker.devserver import DevServer
from drift_worker.runtime import running_worker
from drift_worker.settings import WorkerSettings

TENANT = "bench"
ITEMS = 100


def map_document(stub: FanoutStub, delay_ms: int) -> dict[str, Any]:
    """A MAP of one HTTP node per item, 10 at a time."""
    return {
        "id": "bench-map",
        "parameters": ["keys"],
        "startNode": "each",
        "states": {
            "each": {
                "map": {"items": "$.params.keys", "itemNode": "get", "maxConcurrency": 10},
                "nextNode": "done",
            },
            "get": {
                "nodeDefinition": {
                    "type": "HTTP",
                    "id": "get",
                    "name": "get",
                    "parameters": ["key"],
                    "config": {"url": f"{stub.url}/work/{{{{ key }}}}?ms={delay_ms}"},
                },
                "parameters": {"key": "$._item"},
            },
            "done": {
                "nodeDefinition": {"type": "SUCCESS", "id": "done", "name": "done"},
            },
        },
    }


async def timed(action: Any) -> float:
    """How long ``action()`` took, in ms."""
    start = time.perf_counter()
    await action()
    return (time.perf_counter() - start) * 1000


async def history_events(client: Client, workflow_id: str) -> int:
    """The number of events in a workflow's history."""
    return len((await client.get_workflow_handle(workflow_id).fetch_history()).events)


async def measure(args: argparse.Namespace) -> list[tuple[str, float, float, float, float]]:
    """Rows of (scenario, drift ms, hand ms, drift events/item, hand events/item)."""
    rows = []
    stub = FanoutStub()
    await stub.start()
    with tempfile.TemporaryDirectory() as folder, DevServer() as server:
        await server.wait_ready()
        client = await Client.connect(server.address, data_converter=DATA_CONVERTER)
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        settings = WorkerSettings(store_url=f"sqlite:///{folder}/drift.db", task_queue=queue)
        nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
        async with (
            running_worker(settings, client=client, node_settings=nodes) as drift,
            aiohttp.ClientSession() as session,
        ):
            engine = Engine(client=client, task_queue=queue, store=drift.store, tenant=TENANT)
            delays = dict.fromkeys(("a", "b", "c"), (args.delay_ms, 200))
            await publish(engine, parallel_workflow(stub, delays))
            await publish(engine, map_document(stub, args.delay_ms))
            hand_queue = f"{queue}-hand"
            runner = SandboxedWorkflowRunner(
                restrictions=SandboxRestrictions.default.with_passthrough_modules(
                    "msgspec", "drift_models", "drift_store", "aiohttp", "fanout_baseline"
                )
            )
            hand = FanoutActivities(drift.store.contexts, session)
            async with Worker(
                client,
                task_queue=hand_queue,
                workflows=[HandMap, HandParallel],
                activities=hand.all(),
                workflow_runner=runner,
            ):
                keys = [f"k{i}" for i in range(ITEMS)]
                urls = [f"{stub.url}/work/{k}?ms={args.delay_ms}" for k in keys]
                branch_urls = [f"{stub.url}/work/{b}?ms={args.delay_ms}" for b in delays]
                for name, workflow, params, hand_name, hand_urls in (
                    ("3-branch PARALLEL", "par", {}, "hand.parallel", branch_urls),
                    (
                        f"{ITEMS}-item MAP (10 at a time)",
                        "bench-map",
                        {"keys": keys},
                        "hand.map",
                        urls,
                    ),
                ):
                    rows.append(
                        await compare(
                            engine,
                            client,
                            hand_queue,
                            args.runs,
                            (name, workflow, params, hand_name, hand_urls),
                        )
                    )
    await stub.stop()
    return rows


async def compare(
    engine: Engine,
    client: Client,
    hand_queue: str,
    runs: int,
    scenario: tuple[str, str, dict[str, Any], str, list[str]],
) -> tuple[str, float, float, float, float]:
    """Alternate Drift and hand-written runs; medians and events per item."""
    name, workflow, params, hand_name, urls = scenario
    tag = uuid.uuid4().hex[:6]
    drift_ms: list[float] = []
    hand_ms: list[float] = []
    for index in range(runs + 1):  # the first of each is a warm-up
        run_id = f"d-{tag}-{index}"

        async def drift_run(run_id: str = run_id) -> None:
            answer = await engine.start(workflow, params, run_id=run_id)
            assert answer.workflow_status is RunStatus.COMPLETED, answer

        hand_id = f"h-{tag}-{index}"

        async def hand_run(hand_id: str = hand_id) -> None:
            request = FanoutInput(tenant=TENANT, run_id=hand_id, urls=urls)
            await client.execute_workflow(hand_name, request, id=hand_id, task_queue=hand_queue)

        drift_time, hand_time = await timed(drift_run), await timed(hand_run)
        if index:
            drift_ms.append(drift_time)
            hand_ms.append(hand_time)
    drift_events = await history_events(client, engine.handle(f"d-{tag}-{runs}").id)
    hand_events = await history_events(client, f"h-{tag}-{runs}")
    count = len(urls)
    return (
        name,
        statistics.median(drift_ms),
        statistics.median(hand_ms),
        drift_events / count,
        hand_events / count,
    )


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--delay-ms", type=int, default=50)
    args = parser.parse_args()
    rows = asyncio.run(measure(args))
    print(f"{'scenario':34} {'drift ms':>9} {'hand ms':>9} {'ratio':>6} {'ev/item':>14}")
    for name, drift, hand, drift_events, hand_events in rows:
        print(
            f"{name:34} {drift:9.0f} {hand:9.0f} {drift / hand:6.2f} "
            f"{drift_events:6.1f} vs {hand_events:4.1f}"
        )


if __name__ == "__main__":
    main()
