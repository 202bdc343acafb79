"""What a run costs on a real Temporal cluster, and how Drift scales out on it.

Boots the project's cluster harness (Temporal 1.32.2, four services over PostgreSQL),
a real HBase and a Redis, then:

1. **Per-run costs** — refund runs (sync start, then resume to the end) through the API
   app and a worker in this process, on the cluster and HBase: Temporal persistence
   operations (the services' ``persistence_requests`` counters), PostgreSQL rows written
   (``pg_stat_user_tables`` inserts + updates + deletes, both databases), history events
   per run, and store operations per run (every call the HBase client makes, by kind).
2. **Scaling** — throughput with real ``drift-worker`` and ``drift-api`` processes:
   1 worker + 1 API (the baseline), 2 workers + 1 API, 2 workers + 2 APIs, each ratio
   against the baseline measured in this same run (absolute figures drift from day to day).

   Each step also prints its sync calls' p50, p95 and slowest answer. The processes take
   ``DRIFT_*`` settings from the environment: ``DRIFT_POLLERS=5`` runs the workers with
   the SDK's fixed five polls instead of scaled ones.

Usage: uv run python bench/cluster.py [--runs N] [--load-runs N] [--clients C] [--quick]
The first run on a machine builds the Temporal server (~7 min on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.api.harness import Api, publish_examples, tenant_key
from tests.cluster.platform import DriftProcess, platform_env

from drift_api import ApiSettings, connect_temporal, create_app
from drift_cli.demo import DemoServices
from drift_nodes import HttpSettings, NodeSettings
from drift_store import _hbase_client
from drift_store.testing.hbase_server import HBaseServer
from drift_store.testing.redis_server import RedisServer
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import running_worker
from drift_worker.settings import WorkerSettings
from drift_worker.testing.temporal_cluster import TemporalCluster

_PERSISTENCE = re.compile(r"^persistence_requests(?:_total)?\{[^}]*\}\s+([0-9.e+]+)$", re.MULTILINE)
REFUND = {"orderId": "A-100", "reason": "bench"}
STORE_CALLS: Counter[str] = Counter()
CPU_PER_RUN: dict[str, float] = {}


def _count_store_calls() -> None:
    """Count every HBase client call of this process by its kind (``get``, ``put``…)."""
    original = _hbase_client.HBaseClient.call

    async def counted(self: Any, what: str, *args: Any, **kwargs: Any) -> Any:
        STORE_CALLS[what.split(" ", 1)[0]] += 1
        return await original(self, what, *args, **kwargs)

    _hbase_client.HBaseClient.call = counted  # type: ignore[method-assign]


async def _persistence_ops(cluster: TemporalCluster) -> float:
    total = 0.0
    async with aiohttp.ClientSession() as session:
        for url in cluster.metrics_urls.values():
            async with session.get(url) as answer:
                total += sum(float(v) for v in _PERSISTENCE.findall(await answer.text()))
    return total


def _rows_written(cluster: TemporalCluster) -> int:
    query = "select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) from pg_stat_user_tables"
    return sum(int(cluster.postgres.query(query, db)) for db in ("temporal", "temporal_visibility"))


async def _reached(api: Api, answer: httpx.Response, status: str) -> None:
    """Return once the run ``answer`` is about is in ``status``.

    A sync call past its timeout answers ``202`` with the state it is in (a cold cluster
    on a slow machine, say): the run is then read until it gets there.
    """
    assert answer.status_code in (200, 202), answer.text
    body = answer.json()
    for _ in range(600):
        if body["workflowStatus"] == status:
            return
        assert body["workflowStatus"] in ("CREATED", "RUNNING", "WAITING"), body
        await asyncio.sleep(0.1)
        read = await api.get(f"/v3/workflow/{body['workflowId']}")
        assert read.status_code == 200, read.text
        body = read.json()
    msg = f"run {body['workflowId']} never reached {status}: {body}"
    raise AssertionError(msg)


async def _refund(api: Api, run_id: str, calls: list[float] | None = None) -> None:
    """One refund to its end; ``calls`` collects each sync call's seconds when given."""
    began = time.perf_counter()
    started = await api.start("refund", REFUND, workflowId=run_id)
    answered = time.perf_counter()
    await _reached(api, started, "WAITING")
    resumed = time.perf_counter()
    ended = await api.resume(run_id, {"decision": ["approve"]})
    if calls is not None:
        calls += [answered - began, time.perf_counter() - resumed]
    await _reached(api, ended, "COMPLETED")


async def per_run_costs(
    cluster: TemporalCluster, store_url: str, demo: DemoServices, runs: int
) -> dict[str, float]:
    """Per-run Temporal, PostgreSQL, history and store figures over ``runs`` refunds."""
    _count_store_calls()
    queue, tenant = f"costs-{uuid.uuid4().hex[:6]}", f"b{uuid.uuid4().hex[:6]}"
    urls = {"ordersServiceUrl": demo.url, "accountsServiceUrl": demo.url}
    settings = WorkerSettings(
        store_url=store_url, task_queue=queue, temporal_address=cluster.address
    )
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    api_settings = ApiSettings(
        temporal_address=cluster.address,
        task_queue=queue,
        api_keys=[tenant_key(tenant)[1]],
        api_key_pepper="test-pepper",
        tracing=False,
        request_metrics=False,
    )
    async with running_worker(
        settings, node_settings=nodes, enum_store=EnumStore({"*": urls})
    ) as worker:
        app = create_app(
            store=worker.store, client=await connect_temporal(api_settings), settings=api_settings
        )
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with (
            app.lifespan(),
            httpx.AsyncClient(transport=transport, base_url="http://api") as http,
        ):
            api = Api(http=http, tenant=tenant, key=tenant_key(tenant)[0])
            await publish_examples(api)
            await _refund(api, "warm-up")
            await asyncio.sleep(1.5)  # PostgreSQL publishes its table counters about every second
            ops, rows = await _persistence_ops(cluster), _rows_written(cluster)
            STORE_CALLS.clear()
            ids = [f"cost-{n}" for n in range(runs)]
            for run_id in ids:
                await _refund(api, run_id)
            calls = dict(STORE_CALLS)
            await asyncio.sleep(1.5)
            ops = await _persistence_ops(cluster) - ops
            rows = _rows_written(cluster) - rows
        events = 0
        for run_id in ids:
            history = await worker.client.get_workflow_handle(f"{tenant}/{run_id}").fetch_history()
            events += len(history.events)
    figures = {
        "temporal persistence ops": ops / runs,
        "postgres rows written": rows / runs,
        "history events": events / runs,
        "store ops (worker + API)": sum(calls.values()) / runs,
    }
    figures.update({f"  store {kind}": count / runs for kind, count in sorted(calls.items())})
    return figures


def cpu_seconds(group: int) -> float:
    """CPU time (user + system) of the live processes of process group ``group``."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # fields after the name: state, ppid, pgrp, …
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    """What one throughput step measured: its rate and every sync call's seconds."""

    rate: float
    calls: list[float]

    def latency(self) -> str:
        """p50, p95 and the slowest sync call, in milliseconds."""
        ordered = sorted(self.calls)
        if not ordered:
            return "no calls"
        p50, p95 = (ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.95))
        return f"p50 {p50 * 1000:6.0f}  p95 {p95 * 1000:6.0f}  max {ordered[-1] * 1000:6.0f} ms"


async def _throughput(apis: list[DriftProcess], tenant: str, runs: int, clients: int) -> Load:
    """``runs`` refunds by ``clients`` clients spread over ``apis``: rate and call times."""
    key = tenant_key(tenant)[0]
    pending = iter(range(runs))
    https = [httpx.AsyncClient(base_url=process.url, timeout=120) for process in apis]
    views = [Api(http=http, tenant=tenant, key=key) for http in https]
    calls: list[float] = []

    async def client(n: int) -> None:
        view = views[n % len(views)]
        for index in pending:
            await _refund(view, f"load-{uuid.uuid4().hex[:8]}-{index}", calls)

    try:
        began = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        return Load(runs / (time.perf_counter() - began), calls)
    finally:
        for http in https:
            await http.aclose()


async def scaling(
    cluster: TemporalCluster,
    store_url: str,
    redis_url: str,
    demo: DemoServices,
    folder: Path,
    *,
    runs: int,
    clients: int,
) -> list[tuple[str, Load]]:
    """Runs per second for 1w+1a, 2w+1a and 2w+2a processes (same tenant, same queue)."""
    enum_file = folder / "enum-store.yaml"
    enum_file.write_text(
        f'"*":\n  ordersServiceUrl: "{demo.url}"\n  accountsServiceUrl: "{demo.url}"\n'
    )
    worker_env, api_env, tenants = platform_env(
        temporal=cluster.address,
        store_url=store_url,
        redis_url=redis_url,
        task_queue=f"load-{uuid.uuid4().hex[:6]}",
        enum_file=enum_file,
    )
    workers = [
        DriftProcess(f"w{n}", "drift_worker.main", worker_env, folder / f"w{n}.log") for n in (1, 2)
    ]
    apis = [DriftProcess(f"a{n}", "drift_api.main", api_env, folder / f"a{n}.log") for n in (1, 2)]
    results: list[tuple[str, Load]] = []
    try:

        async def start(process: DriftProcess) -> None:
            process.start()
            await process.wait_ready()

        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("1 worker, 1 API", lambda: _both(start(workers[0]), start(apis[0]))),
            ("2 workers, 1 API", lambda: start(workers[1])),
            ("2 workers, 2 APIs", lambda: start(apis[1])),
        ]
        async with httpx.AsyncClient(base_url=apis[0].url, timeout=60) as http:
            for n, (label, grow) in enumerate(steps):
                await grow()
                if n == 0:
                    await publish_examples(
                        Api(http=http, tenant=tenants[0], key=tenant_key(tenants[0])[0])
                    )
                live = apis[:2] if n == 2 else apis[:1]
                await _throughput(live, tenants[0], max(2, runs // 5), clients)  # warm-up
                groups = {p.name: p.process.pid for p in (*workers, *apis) if p.process}
                before = {name: cpu_seconds(pid) for name, pid in groups.items()}
                results.append((label, await _throughput(live, tenants[0], runs, clients)))
                if n == 0:
                    for name, pid in groups.items():
                        CPU_PER_RUN[name] = (cpu_seconds(pid) - before[name]) / runs
    finally:
        for process in (*apis, *workers):
            process.stop()
    return results


async def _both(first: Awaitable[None], second: Awaitable[None]) -> None:
    await asyncio.gather(first, second)


async def bench(
    args: argparse.Namespace, cluster: TemporalCluster, hbase: HBaseServer, redis: RedisServer
) -> None:
    """Measure on the running servers and print the tables."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    demo = DemoServices()
    await demo.start()
    try:
        store_url = f"{hbase.url}?prefix=b{uuid.uuid4().hex[:6]}_&timeout=30"
        with tempfile.TemporaryDirectory() as folder:
            costs = await per_run_costs(cluster, store_url, demo, args.runs)
            rates = await scaling(
                cluster,
                store_url,
                redis.url,
                demo,
                Path(folder),
                runs=args.load_runs,
                clients=args.clients,
            )
    finally:
        await demo.stop()
    print(
        f"cluster: Temporal 1.32.2 (4 services, PostgreSQL), HBase, Redis; {args.runs} refund runs"
    )
    print("per run (refund: sync start + resume to the end)")
    for name, value in costs.items():
        print(f"  {name:<28} {value:8.1f}")
    for name, seconds in CPU_PER_RUN.items():
        role = "worker" if name.startswith("w") else "API"
        print(f"  CPU ms, {role} process{'':<13} {seconds * 1000:8.1f}")
    print(f"throughput: {args.load_runs} runs, {args.clients} clients")
    baseline = rates[0][1].rate
    for label, load in rates:
        print(
            f"  {label:<20} {load.rate:7.1f} runs/s   ratio {load.rate / baseline:4.2f}   "
            f"sync calls {load.latency()}"
        )


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20, help="runs measured for the per-run costs")
    parser.add_argument("--load-runs", type=int, default=120, help="runs per throughput step")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few runs")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.load_runs, args.clients = 3, 12, 4
    # The harnesses block (each runs its own event loop while it waits): start them first.
    cluster = TemporalCluster.start()
    try:
        hbase = HBaseServer.start()
        try:
            redis = RedisServer.start()
            try:
                asyncio.run(bench(args, cluster, hbase, redis))
            finally:
                redis.stop()
        finally:
            hbase.stop()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
