"""Store operations on SQLite and on a real HBase.

Prints microseconds per operation (median of several rounds) for each backend and the
ratio to a baseline measured in the same run on the same backend: one read of a missing
context, the cheapest round trip through the whole stack.

Operations: get-definition (LATEST of a workflow) through the definition cache and
straight from the store; a context write (read the revision + compare-and-set) of 10 KB
and of 1 MB; a publish.

Usage: uv run python bench/store.py [--rounds R] [--backends sqlite,hbase]
                                    [--hbase-url hbase://host:port] [--quick]
Without --hbase-url an HBase is started from Maven Central jars (needs java and mvn).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable

from drift_models import RunContext
from drift_store import DefinitionCache, DefinitionKind, Store, open_store
from drift_store.testing import big_context, workflow
from drift_store.testing.hbase_server import HBaseServer, unavailable_reason

OPERATIONS = (
    ("baseline: read a missing context", "baseline"),
    ("get-definition, cached", "cached"),
    ("get-definition, uncached", "uncached"),
    ("context write 10 KB", "write_10k"),
    ("context write 1 MB", "write_1m"),
    ("publish", "publish"),
)


async def measure(operation: Callable[[], Awaitable[object]], rounds: int, per_round: int) -> float:
    """Median microseconds per call over ``rounds`` rounds of ``per_round`` calls."""
    await operation()  # warm up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            await operation()
        samples.append((time.perf_counter() - start) / per_round * 1e6)
    return statistics.median(samples)


class ContextWriter:
    """Rewrites one run's context, following its revision."""

    def __init__(self, store: Store, tenant: str, run_id: str, document: RunContext) -> None:
        self.store = store
        self.tenant = tenant
        self.run_id = run_id
        self.document = document
        self.revision = 1

    async def write(self) -> None:
        """One compare-and-set write of the whole document."""
        record = await self.store.contexts.update(
            self.tenant, self.run_id, expected_revision=self.revision, context=self.document
        )
        self.revision = record.revision


async def bench_backend(url: str, rounds: int, per_round: int, warmup: int) -> dict[str, float]:
    """Every operation on the store at ``url``."""
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    results: dict[str, float] = {}
    async with open_store(url) as store:
        await store.definitions.create(tenant, workflow("flow"))
        await store.definitions.publish(tenant, DefinitionKind.WORKFLOW, "flow")
        writers = {}
        for name, megabytes in (("write_10k", 0.01), ("write_1m", 1.0)):
            document = big_context(megabytes)
            await store.contexts.create(tenant, name, document)
            writers[name] = ContextWriter(store, tenant, name, document)
        async with DefinitionCache(store.definitions) as cache:
            operations: dict[str, Callable[[], Awaitable[object]]] = {
                "baseline": lambda: store.contexts.get(tenant, "missing"),
                "cached": lambda: cache.get_workflow(tenant, "flow"),
                "uncached": lambda: store.definitions.get_workflow(tenant, "flow"),
                "write_10k": writers["write_10k"].write,
                "write_1m": writers["write_1m"].write,
                "publish": lambda: store.definitions.publish(
                    tenant, DefinitionKind.WORKFLOW, "flow"
                ),
            }
            # Warm every path first (the JVM's JIT, HBase's block cache, SQLite's pages),
            # so the baseline, measured first, is not the only cold number.
            for operation in operations.values():
                for _ in range(warmup):
                    await operation()
            for key, operation in operations.items():
                slow = key == "write_1m"
                results[key] = await measure(
                    operation, rounds, max(1, per_round // 5) if slow else per_round
                )
    return results


def print_table(results: dict[str, dict[str, float]], notes: list[str]) -> None:
    """One row per operation; per backend µs and the ratio to its baseline."""
    backends = list(results)
    header = f"{'operation':<34}" + "".join(f"{b + ' µs':>14}{'x base':>8}" for b in backends)
    print(header)
    for label, key in OPERATIONS:
        row = f"{label:<34}"
        for backend in backends:
            value = results[backend][key]
            row += f"{value:>14.0f}{value / results[backend]['baseline']:>8.1f}"
        print(row)
    for note in notes:
        print(note)


async def run(args: argparse.Namespace) -> int:
    """Measure every requested backend and print the table."""
    rounds, per_round, warmup = (1, 3, 1) if args.quick else (args.rounds, 50, 30)
    results: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    backends = args.backends.split(",")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{directory}/bench.db"  # an absolute path: four slashes
            results["sqlite"] = await bench_backend(url, rounds, per_round, warmup)
    if "hbase" in backends:
        server = None
        url = args.hbase_url
        if url is None:
            reason = unavailable_reason()
            if reason is not None:
                notes.append(f"hbase: not measured ({reason})")
            else:
                server = await asyncio.to_thread(HBaseServer.start)
                url = server.url
        try:
            if url is not None:
                results["hbase"] = await bench_backend(url, rounds, per_round, warmup)
        finally:
            if server is not None:
                await asyncio.to_thread(server.stop)
    if not results:
        print("no backend measured")
        return 1
    print_table(results, notes)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,hbase")
    parser.add_argument("--hbase-url", default=None, help="an HBase to use instead of starting one")
    parser.add_argument("--quick", action="store_true", help="one short round (smoke test)")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
