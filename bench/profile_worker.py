"""Where the ``drift-worker`` process spends its CPU on the refund flow.

A sampling profile of the real processes: ``drift-worker`` and ``drift-api`` run as
the user runs them (bench/overload.py starts them), closed-loop clients in a process of
their own run the refund flow (sync start → view, sync resume → end), and py-spy (a dev
dependency) samples every thread of the worker — the asyncio loop, the workflow
activation threads inside the sandbox, the SDK's threads — while they do.

Prints the worker's CPU milliseconds per flow (from /proc), then the share of the
sampled CPU by package (of the innermost Python frame: where the time is spent) and by
the frames it passed through (inclusive: what it was done for), and the top functions.

Usage: uv run python bench/profile_worker.py [--seconds S] [--clients N] [--top N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overload import HEADERS, Proc, drift_system, orders_service, publish, wait_answering

from drift_worker.devserver import DevServer

# The first of these a frame's file path holds names its package.
_PACKAGES = ("drift_worker", "drift_store", "drift_models", "drift_nodes",
             "temporalio/worker/workflow_sandbox", "temporalio/bridge", "temporalio/worker",
             "temporalio/contrib/opentelemetry", "temporalio/converter", "temporalio",
             "opentelemetry", "google/protobuf", "msgspec", "prometheus_client", "starlark",
             "aiohttp", "aiosqlite", "sqlite3", "asyncio", "concurrent", "threading")  # fmt: skip
# What a thread does when it has nothing to do: not work.
_IDLE = re.compile(
    r"\b(select|poll|epoll|_worker|wait|acquire|sleep|get)\b "
    r"\((selectors|threading|concurrent/futures/thread|queue)"
)


def _package(frame: str) -> str:
    for name in _PACKAGES:
        if f"/{name}/" in frame or f"{name}.py" in frame or f"({name}/" in frame:
            return name
    return "other"


async def run(args: argparse.Namespace) -> str:
    """Start everything, sample the worker under load, return the figures."""
    spy = shutil.which("py-spy")
    if spy is None:
        msg = "py-spy is not installed: uv sync (it is a dev dependency)"
        raise RuntimeError(msg)
    with tempfile.TemporaryDirectory() as name, DevServer(log_file=Path(name) / "t.log") as dev:
        folder = Path(name)
        await dev.wait_ready()
        async with orders_service() as orders:
            system = drift_system(folder, dev.address, orders, args)
            worker, api = system.procs
            if not args.tracing:
                worker.env["DRIFT_TRACING"] = "false"
            for proc in system.procs:
                proc.start()
            try:
                await wait_answering(f"{system.url}/", api)
                await publish(system.url)
                await _load(system.url, args.clients, 3.0)  # warm: first imports, caches
                return await _sampled(spy, worker, system.url, folder, args)
            finally:
                for proc in reversed(system.procs):
                    proc.stop()


async def _load(url: str, clients: int, seconds: float) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).with_name("overload.py")), "--load", "drift", url,
        json.dumps(HEADERS), str(clients), "0", str(seconds), "40",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), seconds + 60)
    figures: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
    return figures


async def _sampled(spy: str, worker: Proc, url: str, folder: Path, args: argparse.Namespace) -> str:
    assert worker.process is not None
    raw = folder / "worker.txt"
    _, cpu_before = worker.stats()
    sampler = await asyncio.create_subprocess_exec(
        spy, "record", "--pid", str(worker.process.pid), "--rate", str(args.rate),
        "--duration", str(int(args.seconds)), "--format", "raw", "--output", str(raw),
        "--nonblocking", *(["--gil"] if args.gil else []),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    load = await _load(url, args.clients, args.seconds)
    _, cpu_after = worker.stats()
    await asyncio.wait_for(sampler.wait(), 60)
    flows = max(1, load["all_flows"])
    return _report(raw, (cpu_after - cpu_before) * 1000 / flows, flows, load, args)


def _report(
    raw: Path, cpu_ms: float, flows: int, load: dict[str, Any], args: argparse.Namespace
) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    through: Counter[str] = Counter()
    busy = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")[1:]  # the first is the thread
        if not frames or _IDLE.search(frames[-1]):
            continue
        samples = int(count)
        busy += samples
        own[_package(frames[-1])] += samples
        functions[frames[-1]] += samples
        for package in {_package(frame) for frame in frames}:
            inclusive[package] += samples
        for frame in set(frames):
            through[frame] += samples
    total = busy or 1
    head = (
        f"drift-worker: {cpu_ms:.1f} ms CPU per flow (/proc, all threads); {flows} flows in "
        f"{args.seconds:g} s at {args.clients} clients, p50 {load['p50']:.0f} ms per call, "
        f"answers {load['statuses']}; {busy} busy samples at {args.rate}/s"
    )
    lines = [head, f"{'package':<36}{'own':>7}{'inside':>8}"]
    for package, samples in own.most_common():
        lines.append(f"  {package:<34}{samples / total:>7.1%}{inclusive[package] / total:>8.1%}")
    lines.append(f"top {args.top} functions by own samples:")
    lines += [f"  {n / total:>6.1%}  {frame}" for frame, n in functions.most_common(args.top)]
    lines.append(f"top {args.top} Drift and telemetry frames by samples inside them:")
    ours = [(frame, n) for frame, n in through.most_common()
            if any(key in frame for key in ("drift_", "opentelemetry", "prometheus"))]  # fmt: skip
    lines += [f"  {n / total:>6.1%}  {frame}" for frame, n in ours[: args.top]]
    return "\n".join(lines)


def main() -> int:
    """Run the profile."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=10, help="closed-loop clients")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--gil", action="store_true",
                        help="sample only the thread holding the GIL (Python only)")  # fmt: skip
    parser.add_argument("--no-tracing", dest="tracing", action="store_false",
                        help="run the worker with DRIFT_TRACING=false")  # fmt: skip
    parser.add_argument("--sync-timeout", type=float, default=10.0)
    parser.add_argument("--max-sync-waits", type=int, default=0)
    args = parser.parse_args()
    began = time.monotonic()
    print(asyncio.run(run(args)))
    print(f"({time.monotonic() - began:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
