"""Where the API process spends its CPU on a sync start and a sync resume.

The API runs in this process (``drift_api.main.serving``, as ``drift-api`` runs it)
under cProfile; ``drift-worker`` runs as its own process; one closed-loop client in a
process of its own runs the refund flow (start → view, resume → end) for a while.
Prints the API's CPU milliseconds per flow, the share of each package (by the time
spent in its own functions) and the functions that cost most.

Usage: uv run python bench/profile_sync.py [--seconds S] [--top N]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overload import HEADERS, KEY, drift_system, orders_service, publish, wait_answering

from drift_api import ApiSettings
from drift_api.main import serving
from drift_worker.devserver import DevServer, free_port

_PACKAGES = ("drift_api", "drift_store", "drift_models", "drift_nodes", "temporalio",
             "opentelemetry", "litestar", "msgspec", "granian", "prometheus_client",
             "asyncio", "grpc", "google")  # fmt: skip


def _package(filename: str) -> str:
    for name in _PACKAGES:
        if f"/{name}/" in filename:
            return name
    return "built-in" if filename.startswith("~") else "other"


async def run(args: argparse.Namespace) -> None:
    """Start everything, profile the API under one client, print the figures."""
    with tempfile.TemporaryDirectory() as name, DevServer(log_file=Path(name) / "t.log") as dev:
        folder = Path(name)
        await dev.wait_ready()
        async with orders_service() as orders:
            system = drift_system(folder, dev.address, orders, args)
            worker = system.procs[0]
            worker.start()
            port = free_port()
            settings = ApiSettings(
                temporal_address=dev.address, task_queue=worker.env["DRIFT_TASK_QUEUE"],
                store_url=worker.env["DRIFT_STORE_URL"], host="127.0.0.1", app_port=port,
                admin_port=free_port(), metrics_port=0, bootstrap_api_key=KEY,
                log_level="WARNING",
            )  # fmt: skip
            try:
                async with serving(settings):
                    url = f"http://127.0.0.1:{port}"
                    await wait_answering(f"{url}/", worker)
                    await publish(url)
                    figures = await _profiled(url, args)
            finally:
                worker.stop()
    print(figures)


async def _profiled(url: str, args: argparse.Namespace) -> str:
    profile = cProfile.Profile()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    profile.enable()
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).with_name("overload.py")), "--load", "drift", url,
        json.dumps(HEADERS), str(args.clients), "1", str(args.seconds), "40",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), args.seconds + 60)
    profile.disable()
    after = resource.getrusage(resource.RUSAGE_SELF)
    load = json.loads(output.decode().strip().splitlines()[-1])
    flows = max(1, load["all_flows"])
    used = (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
    if args.dump:
        profile.dump_stats(args.dump)
    stats = pstats.Stats(profile)
    shares: Counter[str] = Counter()
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, own, _, _) in raw.items():
        if "epoll" not in function:  # the loop waiting for I/O: idle, not work
            shares[_package(filename)] += own
    total = sum(shares.values()) or 1.0
    head = (
        f"API process: {used * 1000 / flows:.1f} ms CPU per flow (start + resume), "
        f"{flows} flows in {args.seconds:g} s, {args.clients} clients, p50 {load['p50']:.0f} "
        f"ms per call, answers {load['statuses']}, client timeouts {load['timeouts']} "
        "(cProfile on: slower than without)"
    )
    lines = [head, "own time by package:"]
    lines += [f"  {pkg:<18}{own / total:>6.1%}" for pkg, own in shares.most_common()]
    lines.append(f"top {args.top} functions by own time (ms per flow):")
    working = [item for item in raw.items() if "epoll" not in item[0][2]]
    ranked = sorted(working, key=lambda item: item[1][2], reverse=True)[: args.top]
    for (filename, line, function), (_, calls, own, _, _) in ranked:
        where = "/".join(Path(filename).parts[-2:])
        lines.append(
            f"  {own * 1000 / flows:>7.2f} {calls / flows:>7.1f} calls  {function} ({where}:{line})"
        )
    lines.append(f"top {args.top} of Drift's and the middleware's functions by CPU inside them:")
    ours = ("drift_api", "drift_store", "opentelemetry", "prometheus")
    mine = [item for item in working if any(f"/{pkg}" in item[0][0] for pkg in ours)]
    ranked = sorted(mine, key=lambda item: item[1][3], reverse=True)[: args.top]
    for (filename, line, function), (_, calls, _, inside, _) in ranked:
        where = "/".join(Path(filename).parts[-2:])
        lines.append(
            f"  {inside * 1000 / flows:>7.2f} {calls / flows:>7.1f} steps {function} "
            f"({where}:{line})"
        )
    return "\n".join(lines)


def main() -> int:
    """Run the profile."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--clients", type=int, default=1, help="closed-loop clients")
    parser.add_argument("--sync-timeout", type=float, default=10.0)
    parser.add_argument("--max-sync-waits", type=int, default=0)
    parser.add_argument("--dump", help="also write the raw profile to this file (pstats)")
    args = parser.parse_args()
    began = time.monotonic()
    asyncio.run(run(args))
    print(f"({time.monotonic() - began:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
