"""The closed-loop clients of bench/overload.py, run in a process of their own.

Each client runs the refund flow (sync start → sync resume) again and again until the
measuring window closes. Calls answered with ``429`` wait ``Retry-After`` (plus up to
half of it again, at random, so refused clients do not come back in one herd) and are
sent again; any other answer that is not ``200`` ends the flow. A flow whose start was
answered before the window closed is still resumed after it (not counted), so a load
leaves no run open behind it to weigh on the next one. Prints one JSON line.

``sequential`` runs flows one after another (one client) and times the start → view and
the resume → end of each apart.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

__all__ = ["Load", "generate", "sequential"]

_RESUME = {"viewResponse": {"selectedOptions": {"decision": ["approve"], "note": ["ok"]}}}


@dataclass
class Load:
    """What one load generator measured.

    Attributes:
        flows: flows that ended (resume answered 200) inside the window.
        all_flows: flows that ended at any time (for CPU per flow).
        statuses: answers inside the window by status code (``timeout``, ``error``).
        latencies: milliseconds of the 200 answers inside the window.
        slowest: milliseconds of the slowest call at any time, whatever its answer.
        timeouts: calls the client gave up on (no answer in time) at any time.
    """

    flows: int = 0
    all_flows: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    slowest: float = 0.0
    timeouts: int = 0

    def summary(self, seconds: float) -> dict[str, Any]:
        """The figures as JSON-ready values."""
        ordered = sorted(self.latencies) or [0.0]

        def pick(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(len(ordered) * share))]

        return {
            "goodput": self.flows / seconds,
            "flows": self.flows,
            "all_flows": self.all_flows,
            "statuses": dict(self.statuses),
            "p50": statistics.median(ordered),
            "p95": pick(0.95),
            "p99": pick(0.99),
            "max": self.slowest,
            "timeouts": self.timeouts,
            "latencies": self.latencies,
        }


def _calls(flavor: str, base: str) -> tuple[Any, Any]:
    """How a flow's start and resume are sent to ``flavor`` (``drift`` or ``baseline``)."""
    if flavor == "drift":

        def start(run_id: str) -> tuple[str, str, dict[str, Any]]:
            body = {"workflowDefinitionId": "refund", "workflowId": run_id,
                    "params": {"orderId": "A-1", "reason": "bench"}}  # fmt: skip
            return "POST", f"{base}/v3/workflow/start", body

        def resume(run_id: str) -> tuple[str, str, dict[str, Any]]:
            return "PUT", f"{base}/v3/workflow/resume/{run_id}", _RESUME

        return start, resume

    def lean_start(run_id: str) -> tuple[str, str, dict[str, Any]]:
        return "POST", f"{base}/start", {"runId": run_id, "orderId": "A-1"}

    def lean_resume(run_id: str) -> tuple[str, str, dict[str, Any]]:
        return "PUT", f"{base}/resume/{run_id}", {"decision": "approve"}

    return lean_start, lean_resume


@dataclass
class _Window:
    """When the measuring window opens and closes (event-loop time)."""

    opened: float
    closed: float

    def holds(self, moment: float) -> bool:
        return self.opened <= moment <= self.closed


async def _call(
    http: aiohttp.ClientSession,
    request: tuple[str, str, dict[str, Any]],
    load: Load,
    window: _Window,
    give_up: float,
) -> bool:
    """Send one call, again after each ``429`` until ``give_up``; whether it got a ``200``."""
    loop = asyncio.get_running_loop()
    method, url, body = request
    while True:
        begun = loop.time()
        retry = 0.0
        try:
            async with http.request(method, url, json=body) as answer:
                await answer.read()
                status = str(answer.status)
                retry = float(answer.headers.get("Retry-After", "1"))
        except TimeoutError:
            status = "timeout"
            load.timeouts += 1
        except aiohttp.ClientError:
            status = "error"
        ended = loop.time()
        load.slowest = max(load.slowest, (ended - begun) * 1000)
        if window.holds(ended):
            load.statuses[status] += 1
            if status == "200":
                load.latencies.append((ended - begun) * 1000)
        if status != "429" or ended >= give_up:
            return status == "200"
        await asyncio.sleep(retry * (1 + random.random() / 2))


async def generate(
    flavor: str,
    base: str,
    headers: dict[str, str],
    *,
    clients: int,
    warmup: float,
    seconds: float,
    client_timeout: float,
) -> dict[str, Any]:
    """Run ``clients`` closed-loop clients; the figures of the measuring window."""
    start, resume = _calls(flavor, base)
    load = Load()
    loop = asyncio.get_running_loop()
    window = _Window(loop.time() + warmup, loop.time() + warmup + seconds)
    timeout = aiohttp.ClientTimeout(total=client_timeout)
    connector = aiohttp.TCPConnector(limit=0)

    async with aiohttp.ClientSession(headers=headers, timeout=timeout, connector=connector) as http:

        async def client() -> None:
            await asyncio.sleep(random.random() * min(1.0, warmup))
            while loop.time() < window.closed:
                run_id = uuid.uuid4().hex
                if not await _call(http, start(run_id), load, window, window.closed):
                    continue
                # Resumed even once the window has closed (a drain, not counted).
                drain = window.closed + client_timeout
                if await _call(http, resume(run_id), load, window, drain):
                    load.all_flows += 1
                    if window.holds(loop.time()):
                        load.flows += 1

        await asyncio.gather(*(client() for _ in range(clients)))
    return load.summary(seconds)


async def sequential(
    flavor: str, base: str, headers: dict[str, str], *, flows: int, warmup: int
) -> dict[str, list[float]]:
    """Milliseconds of each start and each resume of ``flows`` flows run one at a time.

    ``warmup`` flows run first, untimed.
    """
    start, resume = _calls(flavor, base)
    timings: dict[str, list[float]] = {"start": [], "resume": []}
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession(headers=headers) as http:
        for index in range(warmup + flows):
            run_id = uuid.uuid4().hex
            for name, call in (("start", start), ("resume", resume)):
                method, url, body = call(run_id)
                begun = loop.time()
                async with http.request(method, url, json=body) as answer:
                    await answer.read()
                    if answer.status != 200:
                        msg = f"{flavor} {name} answered {answer.status}"
                        raise RuntimeError(msg)
                if index >= warmup:
                    timings[name].append((loop.time() - begun) * 1000)
    return timings


def main(argv: list[str]) -> None:
    """``flavor base headers clients warmup seconds client_timeout``: print the figures."""
    flavor, base, headers, clients, warmup, seconds, client_timeout = argv
    figures = asyncio.run(
        generate(
            flavor,
            base,
            json.loads(headers),
            clients=int(clients),
            warmup=float(warmup),
            seconds=float(seconds),
            client_timeout=float(client_timeout),
        )
    )
    print(json.dumps(figures))
