"""The console's pages with 10,000 runs in the store, next to the REST calls behind them.

On one dev server: N open executions carrying Drift's search attributes, all the bench
tenant's (on a task queue no worker polls, as bench/runs_list.py seeds them: they stay
open and cost no workflow tasks), spread over 2 workflows, 4 statuses and 2 nodes (a
sixth of them match the filtered list and the inbox's filter), then a few
dozen real refund runs started through the API and served by a real worker, which
stop WAITING at their view. The real runs are the newest, so the first page of every
list holds runs whose state the worker answers, as in production; the seeded ones are
what visibility has to search through.

Each console page is fetched over HTTP as a signed-in browser would (the session
cookie, the HTML body read in full) and timed against the REST call behind it, in the
same run on the same server:

====================  ==========================================================
console page          baseline
====================  ==========================================================
runs list             ``GET /v3/workflow?limit=25``
filtered list         the same with ``workflowDefinitionId``, ``status``, ``currentNode``
inbox                 ``GET /v3/workflow?status=WAITING&limit=25``
run page              ``GET /v3/workflow/{runId}``
run graph (svg)       ``GET /v3/workflow/{runId}``
definitions           ``GET /workflowDefinition``
definition page       ``GET /workflowDefinition/refund``
====================  ==========================================================

Prints p50 and p95 (ms) of each and the ratio of the p50s; nothing is asserted about
time. The API and the worker run in this process (granian in a thread), so the
figures include the client's own cost on both sides alike.

Usage: uv run python bench/console.py [--runs N] [--real N] [--samples K] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from api import orders_service, publish
from runs_list import settle
from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from drift_api import ApiSettings
from drift_api.main import serving
from drift_api.run_attributes import start_attributes
from drift_models import RunInput, RunStatus, ThreadContext
from drift_models.engine import WORKFLOW_NAME
from drift_models.visibility import SA_NODE, SA_STATUS
from drift_nodes import HttpSettings, NodeSettings
from drift_worker.converter import DATA_CONVERTER
from drift_worker.devserver import DevServer, free_port
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import running_worker
from drift_worker.settings import WorkerSettings

TENANT = "bench"
WORKFLOWS = ("refund", "account-verification")
STATUSES = (RunStatus.WAITING, RunStatus.RUNNING, RunStatus.COMPLETED, RunStatus.FAILED)
_STATUS = SearchAttributeKey.for_keyword(SA_STATUS)
_NODE = SearchAttributeKey.for_keyword(SA_NODE)
KEY = "console-bench-key"
HEADERS = {"X-Tenant-Id": TENANT, "X-Client-Id": "bench", "X-Api-Key": KEY}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FILTER = "workflow=refund&status=WAITING&node=confirmRefund"
REST_FILTER = "workflowDefinitionId=refund&status=WAITING&currentNode=confirmRefund"


def _attributes(index: int) -> TypedSearchAttributes:
    """The search attributes of seeded run ``index`` (every one the bench tenant's)."""
    run = RunInput(
        tenant_id=TENANT,
        run_id=f"seeded-{index}",
        workflow_definition_id=WORKFLOWS[index % len(WORKFLOWS)],
        version=1,
        params={},
        thread_context=ThreadContext(tenant_id=TENANT, client_id=f"c{index % 5}"),
    )
    skip = {SA_STATUS, SA_NODE}
    pairs = [p for p in start_attributes(run) if p.key.name not in skip]
    pairs.append(SearchAttributePair(_STATUS, STATUSES[(index // 2) % len(STATUSES)].value))
    pairs.append(SearchAttributePair(_NODE, "confirmRefund" if index % 3 == 0 else "lookupOrder"))
    return TypedSearchAttributes(pairs)


async def seed(client: Client, count: int) -> None:
    """Start ``count`` open executions of the bench tenant, 64 starts in flight."""
    gate = asyncio.Semaphore(64)

    async def one(index: int) -> None:
        async with gate:
            await client.start_workflow(
                WORKFLOW_NAME,
                id=f"{TENANT}/seeded-{index}",
                task_queue="nobody-polls-this",
                search_attributes=_attributes(index),
            )

    await asyncio.gather(*(one(index) for index in range(count)))


def pages(run_id: str) -> list[tuple[str, str, str]]:
    """Each page's label, console path and the REST path behind it."""
    return [
        ("runs list", "/console/runs", "/v3/workflow?limit=25"),
        ("filtered list", f"/console/runs?{FILTER}", f"/v3/workflow?{REST_FILTER}&limit=25"),
        ("inbox", "/console/inbox", "/v3/workflow?status=WAITING&limit=25"),
        ("run page", f"/console/runs/{run_id}", f"/v3/workflow/{run_id}"),
        ("run graph (svg)", f"/console/runs/{run_id}/graph.svg", f"/v3/workflow/{run_id}"),
        ("definitions", "/console/definitions", "/workflowDefinition"),
        ("definition page", "/console/definitions/workflow/refund", "/workflowDefinition/refund"),
    ]


async def timed(call: Callable[[], Awaitable[object]], samples: int) -> tuple[float, float]:
    """p50 and p95 (ms) of ``samples`` sequential calls after two warm-ups."""
    for _ in range(2):
        await call()
    times = []
    for _ in range(samples):
        begun = time.perf_counter()
        await call()
        times.append((time.perf_counter() - begun) * 1000)
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(times), p95


def fetch(
    http: httpx.AsyncClient, path: str, must_hold: str | None = None
) -> Callable[[], Awaitable[object]]:
    """One GET of ``path`` read in full; a non-200 (or a page without ``must_hold``) fails."""

    async def call() -> object:
        answer = await http.get(path)
        if answer.status_code != 200 or (must_hold and must_hold not in answer.text):
            msg = f"GET {path} answered {answer.status_code}: {answer.text[:300]}"
            raise RuntimeError(msg)
        return answer.content

    return call


async def sign_in(http: httpx.AsyncClient) -> None:
    """A console session for the bench tenant (the operator key names it)."""
    form = await http.get("/console/sign-in")
    token = _CSRF.search(form.text)
    if token is None:
        msg = "the sign-in page holds no CSRF token"
        raise RuntimeError(msg)
    fields = {"csrf": token.group(1), "key": KEY, "tenant": TENANT, "next": "/console/inbox"}
    signed = await http.post("/console/sign-in", data=fields)
    if signed.status_code != 303:
        msg = f"sign-in answered {signed.status_code}: {signed.text[:300]}"
        raise RuntimeError(msg)


async def start_real_runs(http: httpx.AsyncClient, count: int) -> list[str]:
    """``count`` refund runs through the API, each answered at its view (WAITING)."""
    run_ids = []
    for index in range(count):
        run_id = f"console-bench-{index}"
        body = {
            "workflowDefinitionId": "refund",
            "workflowId": run_id,
            "params": {"orderId": "A-1", "reason": "bench"},
        }
        answer = await http.post("/v3/workflow/start", json=body)
        answer.raise_for_status()
        if answer.json()["workflowStatus"] != "WAITING":
            msg = f"run {run_id} is not waiting: {answer.text[:300]}"
            raise RuntimeError(msg)
        run_ids.append(run_id)
    return run_ids


async def run(args: argparse.Namespace) -> list[str]:
    """Seed, start, measure; the printed lines."""
    title = f"console pages over {args.runs} executions ({args.real} real runs), "
    lines = [f"{title}{args.samples} samples (ms: p50 / p95)"]
    lines.append(
        f"{'page':<18}{'console p50':>12}{'p95':>9}{'REST p50':>10}{'p95':>9}{'x REST':>8}"
    )
    with tempfile.TemporaryDirectory() as folder, DevServer(log_file=Path(folder) / "t.log") as dev:
        await dev.wait_ready()
        client = await Client.connect(dev.address, data_converter=DATA_CONVERTER)
        began = time.perf_counter()
        await seed(client, args.runs)
        await settle(client, args.runs)
        seeded = time.perf_counter() - began
        queue = "console-bench"
        store_url = f"sqlite:///{folder}/drift.db"
        settings = ApiSettings(
            temporal_address=dev.address, task_queue=queue, store_url=store_url,
            host="127.0.0.1", app_port=free_port(), admin_port=free_port(), metrics_port=0,
            bootstrap_api_key=KEY, log_level="WARNING",
        )  # fmt: skip
        async with orders_service() as orders:
            nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
            values = EnumStore({"*": {"ordersServiceUrl": orders}})
            worker_settings = WorkerSettings(store_url=store_url, task_queue=queue)
            async with (
                running_worker(
                    worker_settings, client=client, node_settings=nodes, enum_store=values
                ),
                serving(settings),
            ):
                base = f"http://127.0.0.1:{settings.app_port}"
                async with (
                    httpx.AsyncClient(base_url=base, headers=HEADERS, timeout=60) as rest,
                    httpx.AsyncClient(base_url=base, timeout=60) as browser,
                ):
                    await wait_serving(rest)
                    await publish(rest)
                    real = await start_real_runs(rest, args.real)
                    await settle(client, args.runs + args.real)
                    await sign_in(browser)
                    for label, page, behind in pages(real[0]):
                        needle = real[-1] if "list" in label or label == "inbox" else None
                        p50, p95 = await timed(fetch(browser, page, needle), args.samples)
                        base50, base95 = await timed(fetch(rest, behind), args.samples)
                        lines.append(
                            f"{label:<18}{p50:>12.1f}{p95:>9.1f}{base50:>10.1f}{base95:>9.1f}"
                            f"{p50 / base50:>8.2f}"
                        )
    lines.append(f"seeded {args.runs} executions in {seeded:.1f} s")
    return lines


async def wait_serving(http: httpx.AsyncClient) -> None:
    """Until the API answers at all."""
    for _ in range(400):
        try:
            await http.get("/console/sign-in")
        except httpx.TransportError:
            await asyncio.sleep(0.05)
        else:
            return
    msg = "the API did not start serving"
    raise RuntimeError(msg)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000, help="seeded executions")
    parser.add_argument("--real", type=int, default=30, help="real refund runs (>= 26)")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="600 seeded runs, 5 samples")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.samples = 600, 5
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("httpx", "temporalio", "drift_api.admin"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for line in asyncio.run(run(args)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
