"""Listing runs: the API's search next to a raw visibility query, in the same run.

Starts N workflow executions on a dev server with Drift's search attributes (on a task
queue no worker polls, so they stay open and cost no workflow tasks), spread over 3
tenants, 2 workflows and 4 statuses, then times, for a few filters, one page (50) of
``RunSearch.page`` (query composition, the call, the items, the sealed token) against
one raw ``ListWorkflowExecutions`` page of the same query, and the count against a raw
count. Prints medians and p95s; nothing is asserted about time.

Usage: uv run python bench/runs_list.py [--runs N] [--samples K] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.api.workflowservice.v1 import ListWorkflowExecutionsRequest
from temporalio.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from drift_api.run_attributes import start_attributes
from drift_api.run_query import RunFilter, visibility_query
from drift_api.run_search import RunSearch
from drift_models import RunInput, RunStatus, ThreadContext
from drift_models.engine import WORKFLOW_NAME
from drift_models.visibility import SA_STATUS
from drift_worker.devserver import DevServer

TENANTS = ("acme", "globex", "initech")
WORKFLOWS = ("refund", "account-verification")
STATUSES = (RunStatus.WAITING, RunStatus.RUNNING, RunStatus.SCHEDULER_WAITING, RunStatus.WAITING)
_STATUS = SearchAttributeKey.for_keyword(SA_STATUS)


def _attributes(index: int) -> tuple[str, TypedSearchAttributes]:
    tenant = TENANTS[index % len(TENANTS)]
    run = RunInput(
        tenant_id=tenant,
        run_id=f"r{index}",
        workflow_definition_id=WORKFLOWS[(index // 3) % len(WORKFLOWS)],
        version=1 + index % 2,
        params={},
        thread_context=ThreadContext(tenant_id=tenant, client_id=f"c{index % 5}"),
    )
    pairs = [p for p in start_attributes(run) if p.key.name != SA_STATUS]
    status = STATUSES[(index // 6) % len(STATUSES)]
    pairs.append(SearchAttributePair(_STATUS, status.value))
    return tenant, TypedSearchAttributes(pairs)


async def populate(client: Client, count: int) -> None:
    """Start ``count`` open executions, 64 starts in flight."""
    gate = asyncio.Semaphore(64)

    async def one(index: int) -> None:
        tenant, attributes = _attributes(index)
        async with gate:
            await client.start_workflow(
                WORKFLOW_NAME,
                id=f"{tenant}/r{index}",
                task_queue="nobody-polls-this",
                search_attributes=attributes,
            )

    await asyncio.gather(*(one(index) for index in range(count)))


async def settle(client: Client, count: int) -> None:
    """Wait until visibility holds every execution."""
    while (await client.count_workflows()).count < count:  # noqa: ASYNC110 - polls a server
        await asyncio.sleep(0.2)


async def timed(call: Callable[[], Awaitable[Any]], samples: int) -> tuple[float, float]:
    """Median and p95 (ms) of ``samples`` calls after two warm-ups."""
    for _ in range(2):
        await call()
    times = []
    for _ in range(samples):
        begun = time.perf_counter()
        await call()
        times.append((time.perf_counter() - begun) * 1000)
    ordered = sorted(times)
    return statistics.median(times), ordered[
        min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))
    ]


FILTERS: dict[str, RunFilter] = {
    "tenant only": RunFilter(),
    "workflow+status": RunFilter(workflow_definition_id="refund", statuses=(RunStatus.WAITING,)),
    "3 statuses+client": RunFilter(
        statuses=(RunStatus.WAITING, RunStatus.FAILED, RunStatus.TERMINATED), client_id="c1"
    ),
}


async def measure(args: argparse.Namespace) -> list[str]:
    """Populate a dev server and time each filter; the printed lines."""
    lines = [f"list runs over {args.runs} executions, {args.samples} samples (ms: median / p95)"]
    lines.append(
        f"{'filter':<20} {'api page':>16} {'raw page':>16} {'api count':>16} {'raw count':>16}"
    )
    with DevServer() as server:
        await server.wait_ready()
        client = await Client.connect(server.address)
        began = time.perf_counter()
        await populate(client, args.runs)
        await settle(client, args.runs)
        started = time.perf_counter() - began
        search = RunSearch(client)
        service = client.workflow_service
        for name, run_filter in FILTERS.items():
            query = visibility_query("acme", run_filter)

            async def api_page(f: RunFilter = run_filter) -> None:
                await search.page("acme", f, limit=50, page_token=None, total=False)

            async def raw_page(q: str = query) -> None:
                await service.list_workflow_executions(
                    ListWorkflowExecutionsRequest(namespace="default", page_size=50, query=q)
                )

            async def api_count(f: RunFilter = run_filter) -> None:
                await search.count("acme", f)

            async def raw_count(q: str = query) -> None:
                await client.count_workflows(q)

            cells = [
                await timed(call, args.samples)
                for call in (api_page, raw_page, api_count, raw_count)
            ]
            lines.append(
                f"{name:<20} " + " ".join(f"{f'{p50:.1f} / {p95:.1f}':>16}" for p50, p95 in cells)
            )
        lines.append(f"populated {args.runs} executions in {started:.1f} s")
    return lines


def main() -> None:
    """Parse the arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="600 executions, 5 samples")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.samples = 600, 5
    for line in asyncio.run(measure(args)):
        sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
