"""How one drill goes: waiting runs first, load, the fault, load after it, accounting.

Durations are settings (``DRIFT_FAULTS_OUTAGE_SECONDS`` and friends, read by the test
process only) with the issue's values as defaults, so a longer soak or a quicker local
try needs no code change.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from temporalio.client import Client

from drift_worker.converter import DATA_CONVERTER
from tests.faults.accounting import Accounting, account, table
from tests.faults.load import Driver
from tests.faults.platform import Platform

__all__ = ["SHEETS", "DrillSettings", "Timeline", "run_drill"]

SHEETS: list[Accounting] = []
"""The accounting of every drill of this session, in order (printed at the end)."""


def _number(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class DrillSettings:
    """How long and how hard each drill is.

    Attributes:
        outage: seconds a dependency stays down (Redis, Thrift).
        lead: seconds of load before the fault.
        tail: seconds of load after the recovery.
        clients: concurrent starting clients.
        max_starts: starts per drill at most.
        waiting: runs started (and left waiting) before the fault.
        settle: seconds the accounting waits for every run to be stable.
    """

    outage: float = field(default_factory=lambda: _number("DRIFT_FAULTS_OUTAGE_SECONDS", 30))
    lead: float = field(default_factory=lambda: _number("DRIFT_FAULTS_LEAD_SECONDS", 3))
    tail: float = field(default_factory=lambda: _number("DRIFT_FAULTS_TAIL_SECONDS", 10))
    clients: int = field(default_factory=lambda: int(_number("DRIFT_FAULTS_CLIENTS", 4)))
    max_starts: int = field(default_factory=lambda: int(_number("DRIFT_FAULTS_STARTS", 100)))
    waiting: int = field(default_factory=lambda: int(_number("DRIFT_FAULTS_WAITING", 12)))
    settle: float = field(default_factory=lambda: _number("DRIFT_FAULTS_SETTLE_SECONDS", 90))


@dataclass
class Timeline:
    """What the fault did and when (epoch seconds).

    Attributes:
        crashes: when a process that knew of a running node was SIGKILLed (a worker, or
            the Temporal history service that records a node's completion) or Temporal
            woke from a freeze: a node running then may run again (at-least-once).
        events: what happened, for the report.
    """

    crashes: list[float] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)

    def mark(self, what: str) -> None:
        """Note that ``what`` happens now."""
        self.events.append((time.time(), what))


Fault = Callable[[Platform, Driver, Timeline], Awaitable[None]]


def _keep_evidence(
    platform: Platform, name: str, driver: Driver, timeline: Timeline, sheet: Accounting
) -> None:
    """Write every answer, the timeline and the findings next to the processes' logs."""
    folder = platform.root / "drills"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.jsonl").open("w") as out:
        for at, what in timeline.events:
            out.write(json.dumps({"at": at, "event": what}) + "\n")
        for reply in driver.replies:
            out.write(json.dumps(dataclasses.asdict(reply)) + "\n")
    (folder / f"{name}.txt").write_text(table([sheet]) + "\n" + "\n".join(sheet.findings) + "\n")


async def run_drill(
    platform: Platform, name: str, fault: Fault, settings: DrillSettings | None = None
) -> Accounting:
    """Heal the platform, run ``fault`` under load, heal again, account for every run."""
    settings = settings or DrillSettings()
    await platform.heal()
    timeline = Timeline()
    async with Driver(
        platform.api_urls, tag=name, clients=settings.clients, max_starts=settings.max_starts
    ) as driver:
        waiting = await driver.prepare(settings.waiting)
        stop = asyncio.Event()
        load = asyncio.create_task(driver.drive(stop, waiting, seconds=3600))
        try:
            await asyncio.sleep(settings.lead)
            timeline.mark("fault")
            await fault(platform, driver, timeline)
            timeline.mark("recovered")
            await asyncio.sleep(settings.tail)
        finally:
            stop.set()
            await load
    await platform.heal()
    client = await Client.connect(platform.temporal_address, data_converter=DATA_CONVERTER)
    sheet = await account(
        name,
        driver,
        client=client,
        store_url=platform.store_url,
        backends_url=platform.backends_url,
        crashes=timeline.crashes,
        timeout=settings.settle,
    )
    SHEETS.append(sheet)
    _keep_evidence(platform, name, driver, timeline, sheet)
    start = timeline.events[0][0] if timeline.events else 0.0
    steps = ", ".join(f"{what} at +{at - start:.1f}s" for at, what in timeline.events)
    print(f"\n{name}: {steps}\n{table([sheet])}")  # noqa: T201 - the drill's report
    for finding in sheet.findings[:40]:
        print(f"  {finding}")  # noqa: T201
    return sheet
