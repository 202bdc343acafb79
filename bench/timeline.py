"""Where one refund flow's time goes, segment by segment, in Drift and in the baseline.

Starts a dev server, the orders service and both systems as bench/overload.py does (the
same processes, the same hand-written baseline), runs flows one at a time through each
system's HTTP API (sync start → view, sync resume → end), then reads every run's
history from Temporal and prints, per system, the median time between consecutive
history events (the server's own clock): how long the first workflow task took on the
worker, the step activity, the update answered at the view until the resume reached
Temporal (the API's answer, the client and the resume request), and so on, with each
event's size as the server keeps it (payloads included) and the whole history's. The
segments are in history order; a run's events are the same in every run of a system,
so the segments line up. Timings are printed, never asserted.

Usage: uv run python bench/timeline.py [--flows N]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overload import HEADERS, both_systems
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from drift_worker.devserver import DevServer

Segments = list[tuple[str, float, int]]
"""One run's history as (``from -> to`` event names, milliseconds between them, bytes of
the ``to`` event as the server keeps it), then ``("whole history", 0, its bytes)``."""


def _name(event_type: int) -> str:
    return EventType.Name(event_type).removeprefix("EVENT_TYPE_")  # type: ignore[arg-type]


async def segments_of(client: Client, workflow_type: str) -> list[Segments]:
    """The segments of every run of ``workflow_type`` the dev server holds."""
    runs: list[Segments] = []
    async for listed in client.list_workflows(f"WorkflowType = '{workflow_type}'"):
        handle = client.get_workflow_handle(listed.id, run_id=listed.run_id)
        history = await handle.fetch_history()
        events = history.events
        times = [event.event_time.ToDatetime() for event in events]
        names = [_name(event.event_type) for event in events]
        runs.append(
            [
                (
                    f"{names[i - 1]} -> {names[i]}",
                    (times[i] - times[i - 1]).total_seconds() * 1000,
                    events[i].ByteSize(),
                )
                for i in range(1, len(events))
            ]
            + [("whole history", 0.0, sum(event.ByteSize() for event in events))]
        )
    return runs


def report(system: str, runs: list[Segments]) -> None:
    """Print the median of each segment over ``runs`` (ms, and its event's bytes); the sums."""
    shapes = {tuple(segment[0] for segment in run) for run in runs}
    print(
        f"{system}: {len(runs)} runs, {len(shapes)} history shape(s); "
        "median bytes of each event and ms since the one before"
    )
    shape = max(shapes, key=lambda s: sum(tuple(seg[0] for seg in r) == s for r in runs))
    same = [run for run in runs if tuple(segment[0] for segment in run) == shape]
    total = 0.0
    for index, name in enumerate(shape[:-1]):
        median = statistics.median(run[index][1] for run in same)
        event_bytes = round(statistics.median(run[index][2] for run in same))
        total += median
        print(f"  {name:70} {event_bytes:6d} {median:7.2f}")
    whole = round(statistics.median(run[-1][2] for run in same))
    print(f"  {'sum of the medians (bytes: the whole history)':70} {whole:6d} {total:7.2f}")


async def run(args: argparse.Namespace) -> int:
    """Start everything, run the flows, print both timelines."""
    settings = argparse.Namespace(sync_timeout=10.0, max_sync_waits=0, lean=False)
    with tempfile.TemporaryDirectory() as name, DevServer(log_file=Path(name) / "t.log") as dev:
        folder = Path(name)
        await dev.wait_ready()
        async with both_systems(folder, dev.address, settings) as systems:
            clients = importlib.import_module("overload_clients")
            for system in systems:
                headers = HEADERS if system.flavor == "drift" else {}
                await clients.sequential(
                    system.flavor, system.url, headers, flows=args.flows, warmup=3
                )
            await asyncio.sleep(1.0)  # the visibility records of the last runs
            temporal = await Client.connect(dev.address)
            for system, workflow_type in zip(systems, ("drift.run", "lean.refund"), strict=True):
                runs = await segments_of(temporal, workflow_type)
                if not runs:
                    print(f"{system.name}: no runs found", file=sys.stderr)
                    return 1
                report(system.name, runs)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=30, help="timed flows per system")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
