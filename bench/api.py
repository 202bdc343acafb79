"""The REST API against baselines measured in the same run.

1. Cached definition reads: requests per second of ``GET /workflowDefinition/{id}``
   (a published version, served from the definition cache, with auth and tenancy)
   against a bare Litestar handler that returns a small JSON body, both served by
   granian on loopback and loaded by the same client.
2. Sync start → first view: the latency of ``POST /v3/workflow/start`` over HTTP until
   the refund example shows its view, against the engine's own figure — the same
   update-with-start sent straight to Temporal — on the same dev server and worker.

Usage: uv run python bench/api.py [--quick] [--requests N] [--starts N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiohttp import web
from granian.constants import Interfaces
from granian.server.embed import Server
from litestar import Litestar, get
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from drift_api import ApiSettings, connect_temporal
from drift_api.main import serving
from drift_models import RunInput, ThreadContext, WorkflowResponse, temporal_workflow_id
from drift_models.engine import UPDATE_STATE, WORKFLOW_NAME
from drift_nodes import HttpSettings, NodeSettings
from drift_worker.converter import DATA_CONVERTER
from drift_worker.devserver import DevServer, free_port
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import running_worker
from drift_worker.settings import WorkerSettings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TENANT = "bench"
KEY = "bench-key"
ORDER = {"id": "A-1", "status": "DELIVERED", "total": 80.0, "currency": "EUR",
         "daysSinceDelivery": 3}  # fmt: skip


@get("/bare", sync_to_thread=False)
def bare() -> dict[str, str]:
    """The baseline: the cheapest JSON answer Litestar gives."""
    return {"id": "refund", "version": "1"}


@asynccontextmanager
async def orders_service() -> AsyncIterator[str]:
    """A local orders service answering every order with the same one."""

    async def order(_: web.Request) -> web.Response:
        return web.json_response(ORDER)

    app = web.Application()
    app.router.add_get("/orders/{order_id}", order)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def load(url: str, headers: dict[str, str], requests: int, concurrency: int) -> float:
    """Requests per second of ``requests`` GETs of ``url`` from ``concurrency`` tasks.

    The client is aiohttp in a process of its own, so it never competes with the
    servers for this process's event loop.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--load", url, "--requests", str(requests),
        "--concurrency", str(concurrency), "--headers", json.dumps(headers),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode != 0:
        msg = f"the load generator failed ({process.returncode})"
        raise RuntimeError(msg)
    return float(output.decode().strip())


async def generate_load(args: argparse.Namespace) -> None:
    """The load generator's side: print requests per second."""
    headers = json.loads(args.headers)
    remaining = args.requests
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:

        async def one() -> None:
            async with session.get(args.load) as answer:
                await answer.read()
                answer.raise_for_status()

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await one()

        for _ in range(args.concurrency):
            await one()  # warm up the connections and the cache
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        print(f"{args.requests / (time.perf_counter() - start):.1f}")


async def latency(operation: Callable[[], Awaitable[object]], count: int) -> list[float]:
    """Milliseconds of ``count`` sequential calls (after one warm-up)."""
    await operation()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        await operation()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def publish(http: httpx.AsyncClient) -> None:
    """The refund example, published and activated over the API."""
    for path in sorted((EXAMPLES / "refund" / "nodes").glob("*.json")):
        node = (await http.post("/nodeDefinition", content=path.read_bytes())).json()
        (await http.post(f"/nodeDefinition/{node['definition']['id']}/publish")).raise_for_status()
    document = (EXAMPLES / "refund" / "workflows" / "refund.json").read_bytes()
    (await http.post("/workflowDefinition", content=document)).raise_for_status()
    (await http.post("/workflowDefinition/refund/publish")).raise_for_status()
    activated = await http.post("/workflowDefinition/refund/activate", json={"version": 1})
    activated.raise_for_status()


def engine_start(client: Client, queue: str) -> Callable[[], Awaitable[object]]:
    """The engine's own sync start: update-with-start straight to Temporal."""

    async def start() -> WorkflowResponse:
        run_id = uuid.uuid4().hex
        run = RunInput(
            tenant_id=TENANT, run_id=run_id, workflow_definition_id="refund", version=1,
            params={"orderId": "A-1", "reason": "bench"},
            thread_context=ThreadContext(tenant_id=TENANT, client_id="bench"),
        )  # fmt: skip
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            WORKFLOW_NAME, run, id=temporal_workflow_id(TENANT, run_id), task_queue=queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )  # fmt: skip
        answer: WorkflowResponse = await client.execute_update_with_start_workflow(
            UPDATE_STATE, start_workflow_operation=operation, result_type=WorkflowResponse
        )
        if answer.view is None:
            msg = f"no view: {answer}"
            raise RuntimeError(msg)
        return answer

    return start


def api_start(http: httpx.AsyncClient) -> Callable[[], Awaitable[object]]:
    """A sync start over HTTP."""

    async def start() -> dict[str, Any]:
        body = {"workflowDefinitionId": "refund", "params": {"orderId": "A-1", "reason": "b"}}
        answer = await http.post("/v3/workflow/start", json=body)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        if result["view"] is None:
            msg = f"no view: {result}"
            raise RuntimeError(msg)
        return result

    return start


async def run(args: argparse.Namespace) -> int:
    """Start Temporal, a worker and the servers; measure; print the tables."""
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder, DevServer(log_file=Path(folder) / "t.log") as dev:
        await dev.wait_ready()
        store_url = f"sqlite:///{folder}/drift.db"
        settings = ApiSettings(
            temporal_address=dev.address, task_queue=queue, store_url=store_url,
            host="127.0.0.1", app_port=free_port(), admin_port=free_port(), metrics_port=0,
            bootstrap_api_key=KEY, log_level="WARNING",
        )  # fmt: skip
        worker_client = await Client.connect(dev.address, data_converter=DATA_CONVERTER)
        async with orders_service() as orders:
            worker_settings = WorkerSettings(store_url=store_url, task_queue=queue)
            nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
            values = EnumStore({"*": {"ordersServiceUrl": orders}})
            async with (
                running_worker(
                    worker_settings, client=worker_client, node_settings=nodes,
                    enum_store=values,
                ),
                serving(settings),
            ):  # fmt: skip
                bare_port = free_port()
                baseline = Server(
                    Litestar(route_handlers=[bare], openapi_config=None), address="127.0.0.1",
                    port=bare_port, interface=Interfaces.ASGI, log_enabled=False,
                )  # fmt: skip
                bare_task = asyncio.create_task(baseline.serve())
                await asyncio.sleep(0.3)
                headers = {"X-Tenant-Id": TENANT, "X-Client-Id": "bench", "X-Api-Key": KEY}
                base = f"http://127.0.0.1:{settings.app_port}"
                limits = httpx.Limits(max_connections=args.concurrency)
                async with httpx.AsyncClient(
                    base_url=base, headers=headers, timeout=60, limits=limits
                ) as http:
                    await publish(http)
                    bare_rps = await load(
                        f"http://127.0.0.1:{bare_port}/bare", {}, args.requests, args.concurrency
                    )
                    api_rps = await load(
                        f"{base}/workflowDefinition/refund?version=1", headers, args.requests,
                        args.concurrency,
                    )  # fmt: skip
                    api_client = await connect_temporal(settings)
                    engine = await latency(engine_start(api_client, queue), args.starts)
                    over_http = await latency(api_start(http), args.starts)
                baseline.stop()  # type: ignore[no-untyped-call]
                await asyncio.gather(bare_task, return_exceptions=True)
    report(bare_rps, api_rps, engine, over_http)
    return 0


def report(bare_rps: float, api_rps: float, engine: list[float], over_http: list[float]) -> None:
    """Print the two tables."""
    print(f"{'GET, requests/s':<44}{'req/s':>10}{'x base':>9}")
    print(f"{'baseline: bare Litestar handler':<44}{bare_rps:>10.0f}{1.0:>9.2f}")
    print(
        f"{'cached definition GET (auth, tenancy)':<44}{api_rps:>10.0f}{api_rps / bare_rps:>9.2f}"
    )
    print(f"{'sync start -> first view, ms':<44}{'median':>10}{'p95':>9}{'x base':>9}")
    base = statistics.median(engine)
    for label, samples in (
        ("baseline: engine update-with-start", engine),
        ("POST /v3/workflow/start over HTTP", over_http),
    ):
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        median = statistics.median(samples)
        print(f"{label:<44}{median:>10.1f}{p95:>9.1f}{median / base:>9.2f}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few requests: a smoke run")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--starts", type=int, default=50)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--headers", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        asyncio.run(generate_load(args))
        return 0
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("httpx", "temporalio", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.quick:
        args.requests, args.starts = 300, 5
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
