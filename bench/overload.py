"""Drift under load against a hand-written Temporal service, on one dev server, in one run.

Closed-loop clients (10, 50, 100, 500, 1,000 by default) each run the refund flow again
and again through HTTP: a sync start that answers at the view, then a sync resume that
answers at the end. Drift is its real processes (``drift-api`` and ``drift-worker``,
SQLite store); the baseline (bench/overload_baseline_service.py and
bench/overload_baseline.py) is a minimal HTTP service and a hand-written worker doing
the same flow with one activity and one context write up to the view and one local
activity with one write to the end. A client that gets ``429``
waits its ``Retry-After`` (with a little jitter) and sends the same call again, as a
good client does; a ``202`` ends the flow (it is not counted as goodput). Each load
starts a dev server, the orders service and both systems afresh (both systems share
that server, one after the other): a dev server slows as earlier loads' runs pile up.
A load's window is measured in slices that alternate between the systems (``--rounds``,
three by default: Drift, baseline, baseline, Drift, Drift, baseline), each slice with
its warm-up and its drain, and the slices of a system are summed: this machine's speed
drifts by as much as the gap between the systems within minutes, and a system measured
only after the other would carry that drift in its ratio. A slice starts once the
server and both systems are quiet (under a tenth of a core for a second, at most a
minute): the calls a client gave up on leave work behind in the server and the worker
(the baseline bounds nothing), which must not run in the other system's slice.

First, one client runs flows one after another through each system in turn (rounds of
ten, alternating, after a few untimed ones): the medians of start → view and of
resume → end, and their ratios. Then, printed per load and system: goodput (flows
ended per second), latency of the answered calls (p50/p95/p99) and the slowest call of
all, answers by status code, client timeouts, API + worker CPU milliseconds per flow and
RSS, and the ratios to the baseline; by process, with the Temporal server's and the load
generator's CPU per flow (on the same two cores). Loopback only; every phase is bounded in time.

What the baseline leaves out: it traces nothing and counts no requests (no
OpenTelemetry, no Prometheus), authenticates no one, bounds no waits and stages no big
payloads; Drift runs with its defaults (tracing and request metrics on). ``--lean`` runs
Drift with ``DRIFT_TRACING=false`` and ``DRIFT_REQUEST_METRICS=false`` too, the same
observability as the baseline's.

Both workers poll alike: scaled by the SDK (``--pollers 0``, drift-worker's default) or a
fixed number of polls; ``--partitions 4`` gives the dev server a cluster's partitions
(one by default, as ``drift dev``'s).

Usage: uv run python bench/overload.py [--clients 10,50,...] [--seconds S] [--quick]
    [--partitions N] [--pollers N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from drift_worker.devserver import DevServer, free_port

BENCH = Path(__file__).resolve().parent
EXAMPLES = BENCH.parent / "examples"
KEY = "overload-bench-key"
HEADERS = {"X-Tenant-Id": "bench", "X-Client-Id": "bench", "X-Api-Key": KEY}
ORDER = {"id": "A-1", "status": "DELIVERED", "total": 80.0, "currency": "EUR",
         "daysSinceDelivery": 3}  # fmt: skip
_TICK = os.sysconf("SC_CLK_TCK")


# -- processes ------------------------------------------------------------------------


@dataclass
class Proc:
    """One server process of a system, with its log."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it."""
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 - the bench's own commands
                self.argv, env={**os.environ, **self.env}, stdout=output, stderr=output
            )

    @property
    def pid(self) -> int | None:
        """Its process id, once started."""
        return self.process.pid if self.process else None

    def stats(self) -> tuple[float, float]:
        """Resident memory (MB) and CPU seconds so far, from /proc, of it and its children.

        The children count: ``drift-worker``'s script sandboxes are processes of their own.
        """
        assert self.process is not None
        return process_stats(self.process.pid)

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def process_stats(pid: int) -> tuple[float, float]:
    """Resident memory (MB) and CPU seconds so far of process ``pid`` and its children."""
    rss, cpu = 0.0, 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = [
                child
                for task in Path(f"/proc/{current}/task").iterdir()
                for child in (task / "children").read_text().split()
            ]
        except OSError:  # it ended meanwhile
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1]) / 1024
        cpu += (int(fields[11]) + int(fields[12])) / _TICK
        pids += [int(child) for child in children]
    return rss, cpu


class StartError(RuntimeError):
    """A process of a system did not start."""


async def wait_answering(url: str, proc: Proc, within: float = 60) -> None:
    """Until ``url`` answers (any status).

    Raises:
        StartError: the process died or time ran out (with its log's end).
    """
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            assert proc.process is not None
            if proc.process.poll() is not None:
                msg = f"{proc.name} exited: {proc.log.read_text()[-2000:]}"
                raise StartError(msg)
            try:
                async with session.get(url) as answer:
                    await answer.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
    msg = f"{proc.name} does not answer at {url}: {proc.log.read_text()[-2000:]}"
    raise StartError(msg)


@asynccontextmanager
async def orders_service() -> AsyncIterator[str]:
    """The orders service both systems call: every order is the same one."""

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


@dataclass
class System:
    """A system under test: its processes and how its clients call it."""

    name: str
    flavor: str
    url: str
    procs: list[Proc] = field(default_factory=list)

    def stats(self) -> tuple[float, float]:
        """RSS (MB) and CPU seconds of all its processes together."""
        pairs = [proc.stats() for proc in self.procs]
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def drift_system(folder: Path, temporal: str, orders: str, args: argparse.Namespace) -> System:
    """``drift-worker`` and ``drift-api`` as the user runs them."""
    queue = f"overload-{uuid.uuid4().hex[:8]}"
    enum_file = folder / "enum.yaml"
    enum_file.write_text(f'"*":\n  ordersServiceUrl: "{orders}"\n')
    common = {
        "DRIFT_TEMPORAL_ADDRESS": temporal,
        "DRIFT_TASK_QUEUE": queue,
        "DRIFT_STORE_URL": f"sqlite:///{folder / 'drift.db'}",
        "DRIFT_LOG_LEVEL": "WARNING",
        "DRIFT_METRICS_PORT": "0",
    }
    worker = {
        **common,
        "DRIFT_ENUM_STORE_FILE": str(enum_file),
        "DRIFT_HTTP_ALLOW_HOSTS": "127.0.0.1",
        "DRIFT_ADMIN_PORT": str(free_port()),
        "DRIFT_POLLERS": str(getattr(args, "pollers", 0)),
    }
    port = free_port()
    api = {**common, "DRIFT_HOST": "127.0.0.1", "DRIFT_APP_PORT": str(port),
           "DRIFT_ADMIN_PORT": str(free_port()), "DRIFT_BOOTSTRAP_API_KEY": KEY,
           "DRIFT_SYNC_TIMEOUT_SECONDS": str(args.sync_timeout)}  # fmt: skip
    if args.max_sync_waits:
        api["DRIFT_MAX_SYNC_WAITS"] = str(args.max_sync_waits)
    if getattr(args, "lean", False):
        worker["DRIFT_TRACING"] = api["DRIFT_TRACING"] = "false"
        api["DRIFT_REQUEST_METRICS"] = "false"
    python = sys.executable
    return System(
        "drift", "drift", f"http://127.0.0.1:{port}",
        [Proc("drift-worker", [python, "-m", "drift_worker.main"], worker, folder / "w.log"),
         Proc("drift-api", [python, "-m", "drift_api.main"], api, folder / "api.log")],
    )  # fmt: skip


def baseline_system(folder: Path, temporal: str, orders: str, args: argparse.Namespace) -> System:
    """The hand-written service and worker."""
    port = free_port()
    env = {
        "BASELINE_TEMPORAL": temporal,
        "BASELINE_QUEUE": f"lean-{uuid.uuid4().hex[:8]}",
        "BASELINE_STORE": f"sqlite:///{folder / 'baseline.db'}",
        "BASELINE_ORDERS": orders,
        "BASELINE_PORT": str(port),
        "BASELINE_SYNC_TIMEOUT": str(args.sync_timeout),
        "BASELINE_POLLERS": str(getattr(args, "pollers", 0)),
    }
    worker = [sys.executable, str(BENCH / "overload_baseline.py")]
    service = [sys.executable, str(BENCH / "overload_baseline_service.py")]
    return System(
        "baseline", "baseline", f"http://127.0.0.1:{port}",
        [Proc("baseline-worker", worker, env, folder / "bw.log"),
         Proc("baseline-service", service, env, folder / "bs.log")],
    )  # fmt: skip


async def publish(url: str) -> None:
    """The refund example, published and activated over Drift's API."""
    async with aiohttp.ClientSession(url, headers=HEADERS) as http:
        for path in sorted((EXAMPLES / "refund" / "nodes").glob("*.json")):
            async with http.post("/nodeDefinition", data=path.read_bytes()) as created:
                node = await created.json()
            async with http.post(f"/nodeDefinition/{node['definition']['id']}/publish") as done:
                done.raise_for_status()
        document = (EXAMPLES / "refund" / "workflows" / "refund.json").read_bytes()
        async with http.post("/workflowDefinition", data=document) as created:
            created.raise_for_status()
        async with http.post("/workflowDefinition/refund/publish") as done:
            done.raise_for_status()
        async with http.post("/workflowDefinition/refund/activate", json={"version": 1}) as done:
            done.raise_for_status()


@asynccontextmanager
async def both_systems(
    folder: Path, temporal: str, args: argparse.Namespace
) -> AsyncIterator[tuple[System, System]]:
    """The orders service, then Drift and the baseline on ``temporal``, started and ready.

    Yields ``(drift, baseline)`` with the refund flow published in Drift and both
    workers polling; stops every process on the way out.
    """
    async with orders_service() as orders:
        drift = drift_system(folder, temporal, orders, args)
        baseline = baseline_system(folder, temporal, orders, args)
        systems = (drift, baseline)
        try:
            for system in systems:
                for proc in system.procs:
                    proc.start()
            worker_admin = drift.procs[0].env["DRIFT_ADMIN_PORT"]
            await wait_answering(f"http://127.0.0.1:{worker_admin}/healthz", drift.procs[0])
            await wait_answering(f"{drift.url}/", drift.procs[1])
            await wait_answering(f"{baseline.url}/", baseline.procs[1])
            await publish(drift.url)
            await asyncio.sleep(1.0)  # both workers polling
            yield systems
        finally:
            for system in systems:
                for proc in reversed(system.procs):
                    proc.stop()


# -- measuring ------------------------------------------------------------------------


async def measure(
    system: System, clients: int, args: argparse.Namespace, server: int
) -> dict[str, Any]:
    """One load level against one system, with the CPU and RSS of its processes.

    ``server`` is the Temporal dev server's process id: its CPU per flow is reported too
    (not in the system's total; both systems share the server, one at a time).
    """
    headers = HEADERS if system.flavor == "drift" else {}
    each_before = [proc.stats()[1] for proc in system.procs]
    server_before = process_stats(server)[1]
    clients_before = _ended_children_cpu()
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--load", system.flavor, system.url, json.dumps(headers),
        str(clients), str(args.warmup), str(args.seconds), str(args.sync_timeout + 30),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    bound = args.warmup + args.seconds + args.sync_timeout + 90
    output, _ = await asyncio.wait_for(process.communicate(), bound)
    if process.returncode != 0:
        msg = f"the load generator failed ({process.returncode})"
        raise RuntimeError(msg)
    figures: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
    for proc in system.procs:
        assert proc.process is not None
        if proc.process.poll() is not None:
            msg = f"{proc.name} exited ({proc.process.returncode}): {proc.log.read_text()[-3000:]}"
            raise RuntimeError(msg)
    after = [proc.stats() for proc in system.procs]
    server_cpu = process_stats(server)[1] - server_before
    clients_cpu = _ended_children_cpu() - clients_before
    figures["rss"] = sum(rss for rss, _ in after)
    flows = max(1, figures["all_flows"])
    figures["cpu_each"] = {
        proc.name: (cpu - before) * 1000 / flows
        for proc, (_, cpu), before in zip(system.procs, after, each_before, strict=True)
    }
    figures["cpu_ms"] = sum(figures["cpu_each"].values())
    figures["server_ms"] = server_cpu * 1000 / flows
    figures["clients_ms"] = clients_cpu * 1000 / flows
    figures["rss_each"] = {
        proc.name: rss for proc, (rss, _) in zip(system.procs, after, strict=True)
    }
    return figures


async def quiet(pids: list[int | None], *, within: float = 60.0) -> None:
    """Wait until ``pids`` (with their children) use under a tenth of a core for a second."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = sum(process_stats(pid)[1] for pid in pids if pid is not None)
        await asyncio.sleep(1.0)
        if sum(process_stats(pid)[1] for pid in pids if pid is not None) - before < 0.1:
            return


def _ended_children_cpu() -> float:
    """CPU seconds of this process's children that have ended (the load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def run(args: argparse.Namespace) -> int:
    """Measure every load on fresh servers; print."""
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    idle: dict[str, list[float]] = {}
    timings: dict[str, dict[str, list[float]]] = {}
    for index, clients in enumerate(args.clients):
        first = index == 0
        sequential = args.sequential if first else 0
        try:
            level = await one_level(clients, args, sequential=sequential)
        except StartError as error:
            # A port picked free was taken meanwhile (the dev server takes some of its own).
            print(f"starting again: {error}", file=sys.stderr)
            level = await one_level(clients, args, sequential=sequential)
        rows.update(level.rows)
        if first:
            idle, timings = level.idle, level.timings
    report_sequential(timings, args.sequential)
    report(rows, idle, args)
    return 0


@dataclass
class Level:
    """What one load level measured; the first also has the idle RSS and the timings."""

    rows: dict[tuple[int, str], dict[str, Any]]
    idle: dict[str, list[float]]
    timings: dict[str, dict[str, list[float]]]


async def one_level(clients: int, args: argparse.Namespace, *, sequential: int) -> Level:
    """Start a dev server, the orders service and both systems afresh; measure ``clients``.

    Each load gets servers of its own: a dev server slows down as the runs of earlier
    loads pile up in it (its one history shard, its in-memory database), which would
    make a load's figures depend on the loads measured before it.
    """
    with (
        tempfile.TemporaryDirectory() as name,
        DevServer(log_file=Path(name) / "t.log", partitions=args.partitions) as dev,
    ):
        folder = Path(name)
        await dev.wait_ready()
        server_pid = dev.pid
        assert server_pid is not None
        async with both_systems(folder, dev.address, args) as systems:
            idle = {system.name: [proc.stats()[0] for proc in system.procs]
                    for system in systems}  # fmt: skip
            timings = await one_at_a_time(systems, sequential)
            rounds = max(1, args.rounds)
            part = argparse.Namespace(**{**vars(args), "seconds": args.seconds / rounds})
            slices: dict[str, list[dict[str, Any]]] = {system.name: [] for system in systems}
            for turn in range(rounds):
                for system in systems if turn % 2 == 0 else systems[::-1]:
                    slices[system.name].append(await measure(system, clients, part, server_pid))
                    await quiet([server_pid, *(p.pid for s in systems for p in s.procs)])
    rows = {(clients, name): summed(parts, args.seconds) for name, parts in slices.items()}
    return Level(rows, idle, timings)


def summed(parts: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """One system's figures over all its slices of a load's window (``seconds`` in all)."""
    latencies: list[float] = sorted(float(ms) for part in parts for ms in part["latencies"])
    latencies = latencies or [0.0]

    def pick(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * share))]

    flows = sum(part["flows"] for part in parts)
    ended = [max(1, int(part["all_flows"])) for part in parts]
    every = sum(ended)

    def per_flow(values: list[float]) -> float:
        return sum(v * n for v, n in zip(values, ended, strict=True)) / every

    names = list(parts[0]["cpu_each"])
    statuses: Counter[str] = Counter()
    for part in parts:
        statuses.update(part["statuses"])
    cpu_each = {name: per_flow([part["cpu_each"][name] for part in parts]) for name in names}
    return {
        "goodput": flows / seconds,
        "flows": flows,
        "all_flows": sum(part["all_flows"] for part in parts),
        "statuses": dict(statuses),
        "p50": statistics.median(latencies),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": max(part["max"] for part in parts),
        "timeouts": sum(part["timeouts"] for part in parts),
        "cpu_each": cpu_each,
        "cpu_ms": sum(cpu_each.values()),
        "server_ms": per_flow([part["server_ms"] for part in parts]),
        "clients_ms": per_flow([part["clients_ms"] for part in parts]),
        "rss": max(part["rss"] for part in parts),
        "rss_each": {
            name: max(part["rss_each"][name] for part in parts) for name in parts[0]["rss_each"]
        },
    }


async def one_at_a_time(
    systems: tuple[System, ...], flows: int
) -> dict[str, dict[str, list[float]]]:
    """Each system's start and resume milliseconds over ``flows`` flows run one at a time.

    The flows run in rounds of ten that alternate between the systems.
    """
    clients = importlib.import_module("overload_clients")
    timings: dict[str, dict[str, list[float]]] = {
        system.name: {"start": [], "resume": []} for system in systems
    }
    done = 0
    while done < flows:
        size = min(10, flows - done)
        for system in systems:
            headers = HEADERS if system.flavor == "drift" else {}
            warmup = 3 if done == 0 else 0
            got = await clients.sequential(
                system.flavor, system.url, headers, flows=size, warmup=warmup
            )
            for name, samples in got.items():
                timings[system.name][name] += samples
        done += size
    return timings


def report_sequential(timings: dict[str, dict[str, list[float]]], flows: int) -> None:
    """Print the one-at-a-time medians and their ratios to the baseline's."""
    if not flows or not timings:
        return
    print(f"one client, {flows} flows each, one at a time (median ms):")
    goals = {"start": ("start -> view", 1.1), "resume": ("resume -> end", 1.15)}
    for name, (label, goal) in goals.items():
        drift = statistics.median(timings["drift"][name])
        base = statistics.median(timings["baseline"][name])
        print(
            f"  {label}: drift {drift:.1f}, baseline {base:.1f}, "
            f"{drift / base:.2f}x (goal <= {goal}x)"
        )


def report(
    rows: dict[tuple[int, str], dict[str, Any]],
    idle: dict[str, list[float]],
    args: argparse.Namespace,
) -> None:
    """Print the table, the idle memory and the goals' ratios."""
    print(
        f"overload: Drift (drift-api + drift-worker) vs hand-written Temporal (service + "
        f"worker), start -> resume, {args.seconds:g} s per load, sync timeout "
        f"{args.sync_timeout:g} s"
    )
    print(
        f"{'clients':>7} {'system':<9}{'flows/s':>8}{'x base':>7}{'p50':>7}{'p95':>7}"
        f"{'p99':>7}{'max ms':>8}{'200':>7}{'202':>6}{'429':>7}{'other':>6}{'t/o':>5}"
        f"{'cpu ms':>8}{'RSS MB':>8}"
    )
    for (clients, name), row in rows.items():
        base = rows[clients, "baseline"]["goodput"]
        ratio = f"{row['goodput'] / base:>7.2f}" if base else f"{'-':>7}"
        statuses = Counter(row["statuses"])
        other = sum(n for code, n in statuses.items() if code not in {"200", "202", "429"})
        print(
            f"{clients:>7} {name:<9}{row['goodput']:>8.1f}{ratio}"
            f"{row['p50']:>7.0f}{row['p95']:>7.0f}{row['p99']:>7.0f}{row['max']:>8.0f}"
            f"{statuses['200']:>7}{statuses['202']:>6}{statuses['429']:>7}{other:>6}"
            f"{row['timeouts']:>5}{row['cpu_ms']:>8.1f}{row['rss']:>8.0f}"
        )
    for (clients, name), row in rows.items():
        split = ", ".join(
            f"{proc} {row['cpu_each'][proc]:.1f} ms / {row['rss_each'][proc]:.0f} MB"
            for proc in row["cpu_each"]
        )
        print(
            f"CPU per flow and RSS by process, {clients} clients, {name}: {split}; "
            f"Temporal server {row['server_ms']:.1f} ms, load generator {row['clients_ms']:.1f} ms"
        )
    for name, sizes in idle.items():
        parts = " + ".join(f"{size:.0f}" for size in sizes)
        print(f"idle RSS {name}: {parts} = {sum(sizes):.0f} MB")
    levels = sorted({clients for clients, _ in rows})
    reference = 50 if 50 in levels else levels[0]
    own = rows[reference, "drift"]["goodput"] or 1e-9
    for clients in levels:
        if clients < reference:
            continue
        drift, base = rows[clients, "drift"], rows[clients, "baseline"]
        versus = f"{drift['goodput'] / base['goodput']:.2f}x" if base["goodput"] else "-"
        print(
            f"goal {clients} clients: goodput {drift['goodput'] / own:.2f}x drift at "
            f"{reference}, {versus} baseline; "
            f"max {drift['max'] / 1000:.1f} s (sync timeout + 1 s = "
            f"{args.sync_timeout + 1:g} s); client timeouts {drift['timeouts']}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with --load, one load generator)."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["--load"]:
        importlib.import_module("overload_clients").main(arguments[1:])
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", default="10,50,100,500,1000",
                        help="comma-separated closed-loop client counts")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=15.0, help="measuring window per load")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before the window")
    parser.add_argument("--rounds", type=int, default=3,
                        help="slices of each load's window, alternating the systems")  # fmt: skip
    parser.add_argument("--sync-timeout", type=float, default=10.0)
    parser.add_argument("--max-sync-waits", type=int, default=0,
                        help="DRIFT_MAX_SYNC_WAITS (0: the API's default)")  # fmt: skip
    parser.add_argument("--sequential", type=int, default=40,
                        help="flows run one at a time per system first (0: none)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="a smoke run at tiny scale")
    parser.add_argument("--partitions", type=int, default=1,
                        help="partitions per task queue (a cluster's default: 4)")  # fmt: skip
    parser.add_argument("--pollers", type=int, default=0,
                        help="both workers' task polls: 0 scaled by the SDK, N fixed")  # fmt: skip
    lean = "Drift without tracing or request metrics, as the baseline"
    parser.add_argument("--lean", action="store_true", help=lean)
    args = parser.parse_args(arguments)
    if args.quick:
        args.clients, args.seconds, args.warmup, args.sequential = "2,4", 2.0, 1.0, 4
        args.rounds = 2  # the alternation, at tiny scale
    args.clients = [int(n) for n in args.clients.split(",")]
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
