"""The engine against hand-written Temporal, on the same server in the same run.

For a 5-node pure workflow and for the refund example: median and p99 latency of
sequential runs, and throughput with 50 runs in flight, each next to a plain-Temporal
workflow written by hand doing the same work (bench/engine_baseline.py: every node up
to a stable point chained in one activity with one context write, as the engine chains
states, and its module passed through the workflow sandbox, as the engine's is). Prints
the ratios; the goal is latency within 1.3x and throughput at least 0.8x of the
hand-written.

Both workers run in this process on one client and its data converter (msgspec JSON).
What the baseline leaves out and the engine does: the claim check of big payloads, the
tracing interceptor (no tracer provider is installed here, so its spans cost little),
write receipts, per-node metrics, the definition lookup and the DSL's routing; the
baseline's refund logic is Python written for this one flow, the engine's runs the
example's Starlark scripts and templates.

Usage: uv run python bench/engine.py [--runs N] [--in-flight K] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine_baseline import BaselineActivities, PureFive, RefundByHand, Step
from tests.e2e.engine import Engine, publish_examples

from drift_cli.demo import DemoServices as Services
from drift_models import DefinitionVersion, NodeTypes, RunStatus
from drift_nodes import HttpSettings, NodeSettings
from drift_store import DefinitionKind
from drift_worker.converter import DATA_CONVERTER
from drift_worker.devserver import DevServer
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import running_worker
from drift_worker.settings import WorkerSettings

TENANT = "bench"


def _script(name: str, script: str, source: str, following: str) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "SCRIPT", "id": name, "name": name, "parameters": ["v"]}
    node["config"] = {"script": script}
    return {"nodeDefinition": node, "parameters": {"v": source}, "nextNode": following}


PURE_FIVE: dict[str, Any] = {
    "id": "pure-five",
    "parameters": ["value"],
    "startNode": "a",
    "states": {
        "a": _script("a", "{'value': v * 2 + 1}", "$.params.value", "b"),
        "b": {
            "nodeDefinition": {
                "type": "PROCESSOR",
                "id": "b",
                "name": "B",
                "parameters": ["v"],
                "config": {"mappings": {"value": "{{ v }}", "label": "n{{ v }}"}},
            },
            "parameters": {"v": "$.a.value"},
            "nextNode": "c",
        },
        "c": {
            "nodeDefinition": {
                "type": "BRANCH",
                "id": "c",
                "name": "C",
                "parameters": ["v"],
                "config": {
                    "choices": [{"rule": "v > 1000000", "nextNode": "e"}],
                    "defaultNode": "d",
                },
            },
            "parameters": {"v": "$.b.value"},
        },
        "d": _script("d", "{'value': v * 2 + 1}", "$.b.value", "e"),
        "e": {
            "nodeDefinition": {
                "type": "SUCCESS",
                "id": "e",
                "name": "E",
                "parameters": ["v"],
                "config": {"output": "{{ v }}"},
            },
            "parameters": {"v": "$.d"},
        },
    },
}


def percentile(samples: list[float], share: float) -> float:
    """The ``share`` percentile (0 to 1) of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def sequential(run: Callable[[int], Awaitable[float]], count: int) -> list[float]:
    """Latencies (ms) of ``count`` runs one after the other (after two warm-up runs)."""
    for index in range(2):
        await run(-1 - index)
    return [await run(index) for index in range(count)]


async def concurrent(run: Callable[[int], Awaitable[float]], count: int, in_flight: int) -> float:
    """Runs per second with ``in_flight`` runs at a time."""
    gate = asyncio.Semaphore(in_flight)

    async def one(index: int) -> None:
        async with gate:
            await run(10_000 + index)

    start = time.perf_counter()
    await asyncio.gather(*(one(index) for index in range(count)))
    return count / (time.perf_counter() - start)


async def measure(
    args: argparse.Namespace,
) -> list[tuple[str, float, float, float, float, float, float]]:
    """Run every scenario; rows of (name, drift p50, p99, rps, hand p50, p99, rps)."""
    rows = []
    with tempfile.TemporaryDirectory() as folder, DevServer() as server:
        await server.wait_ready()
        client = await Client.connect(server.address, data_converter=DATA_CONVERTER)
        services = Services()
        await services.start()
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        settings = WorkerSettings(store_url=f"sqlite:///{folder}/drift.db", task_queue=queue)
        nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
        enum_store = EnumStore({"*": {"ordersServiceUrl": services.url}})
        async with (
            running_worker(
                settings, client=client, node_settings=nodes, enum_store=enum_store
            ) as drift,
            aiohttp.ClientSession() as session,
        ):
            await publish_examples(drift.store, TENANT, drift.registry.node_types)
            await publish_inline(drift.store, drift.registry.node_types)
            engine = Engine(
                client=client, task_queue=queue, store=drift.store, tenant=TENANT, hinted=True
            )
            hand_queue = f"{queue}-hand"
            runner = SandboxedWorkflowRunner(
                restrictions=SandboxRestrictions.default.with_passthrough_modules(
                    "msgspec", "drift_models", "drift_store", "aiohttp", "engine_baseline"
                )
            )
            baseline = BaselineActivities(drift.store.contexts, session, services.url)
            async with Worker(
                client,
                task_queue=hand_queue,
                workflows=[PureFive, RefundByHand],
                activities=baseline.all(),
                workflow_runner=runner,
            ):
                rows.append(
                    await compare("5-node pure", *pure_runs(engine, client, hand_queue), args)
                )
                rows.append(
                    await compare(
                        "refund (start+resume)", *refund_runs(engine, client, hand_queue), args
                    )
                )
        await services.stop()
    return rows


async def publish_inline(store: Any, node_types: NodeTypes) -> None:
    """Put, publish and activate the 5-node pure workflow."""
    workflow = node_types.convert_workflow(PURE_FIVE)
    await store.definitions.put(TENANT, workflow)
    published = await store.definitions.publish(TENANT, DefinitionKind.WORKFLOW, "pure-five")
    version: DefinitionVersion = published.definition.version
    assert isinstance(version, int)
    await store.definitions.activate(TENANT, DefinitionKind.WORKFLOW, "pure-five", version)


def pure_runs(engine: Engine, client: Client, hand_queue: str) -> tuple[Any, Any]:
    """The two ways of running the 5-node workflow, each timed in ms."""
    tag = uuid.uuid4().hex[:6]

    async def drift(index: int) -> float:
        start = time.perf_counter()
        answer = await engine.start("pure-five", {"value": 1}, run_id=f"p-{tag}-{index}")
        assert answer.workflow_status is RunStatus.COMPLETED, answer
        return (time.perf_counter() - start) * 1000

    async def hand(index: int) -> float:
        start = time.perf_counter()
        run_id = f"h-{tag}-{index}"
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            PureFive.run,
            Step(tenant=TENANT, run_id=run_id, node="start", value=1),
            id=f"{TENANT}/{run_id}",
            task_queue=hand_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        await client.execute_update_with_start_workflow(
            PureFive.state, start_workflow_operation=operation
        )
        return (time.perf_counter() - start) * 1000

    return drift, hand


def refund_runs(engine: Engine, client: Client, hand_queue: str) -> tuple[Any, Any]:
    """The two ways of running the refund flow (start to view, then resume to end)."""
    tag = uuid.uuid4().hex[:6]

    async def drift(index: int) -> float:
        run_id = f"r-{tag}-{index}"
        start = time.perf_counter()
        view = await engine.start("refund", {"orderId": "A-100", "reason": "x"}, run_id=run_id)
        assert view.workflow_status is RunStatus.WAITING, view
        final = await engine.resume(run_id, {"decision": ["approve"]})
        assert final.workflow_status is RunStatus.COMPLETED, final
        return (time.perf_counter() - start) * 1000

    async def hand(index: int) -> float:
        run_id = f"rh-{tag}-{index}"
        start = time.perf_counter()
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            RefundByHand.run,
            Step(tenant=TENANT, run_id=run_id, node="start", value="A-100"),
            id=f"{TENANT}/{run_id}",
            task_queue=hand_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        await client.execute_update_with_start_workflow(
            RefundByHand.state, start_workflow_operation=operation
        )
        handle = client.get_workflow_handle(f"{TENANT}/{run_id}")
        await handle.execute_update(RefundByHand.resume, "approve")
        return (time.perf_counter() - start) * 1000

    return drift, hand


async def compare(
    name: str, drift: Any, hand: Any, args: argparse.Namespace
) -> tuple[str, float, float, float, float, float, float]:
    """Latency and throughput of both, the hand-written one measured in between."""
    drift_latency = await sequential(drift, args.runs)
    hand_latency = await sequential(hand, args.runs)
    drift_rps = await concurrent(drift, args.runs * 2, args.in_flight)
    hand_rps = await concurrent(hand, args.runs * 2, args.in_flight)
    return (
        name,
        statistics.median(drift_latency),
        percentile(drift_latency, 0.99),
        drift_rps,
        statistics.median(hand_latency),
        percentile(hand_latency, 0.99),
        hand_rps,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="a few runs (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.in_flight = 4, 4
    rows = asyncio.run(measure(args))
    print(
        f"engine vs hand-written Temporal: {args.runs} sequential runs, {args.in_flight} in flight"
    )
    header = f"{'scenario':<24}{'':>8}{'p50 ms':>9}{'p99 ms':>9}{'runs/s':>9}"
    print(header)
    for name, d50, d99, drps, h50, h99, hrps in rows:
        print(f"{name:<24}{'drift':>8}{d50:>9.1f}{d99:>9.1f}{drps:>9.1f}")
        print(f"{'':<24}{'by hand':>8}{h50:>9.1f}{h99:>9.1f}{hrps:>9.1f}")
        print(f"{'':<24}{'ratio':>8}{d50 / h50:>9.2f}{d99 / h99:>9.2f}{drps / hrps:>9.2f}")
    for name, d50, _, drps, h50, _, hrps in rows:
        latency = "met" if d50 / h50 <= 1.3 else "MISSED"
        throughput = "met" if drps / hrps >= 0.8 else "MISSED"
        print(f"goal {name}: latency <= 1.3x {latency}; throughput >= 0.8x {throughput}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
