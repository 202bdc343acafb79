"""The dependency monitor both services use: states, timeouts, reports, background rounds."""

from __future__ import annotations

import asyncio

from drift_models.health import NOT_PROBED, UP, DependencyMonitor, DependencyProbe


def _raising(error: Exception) -> DependencyProbe:
    async def probe() -> object:
        raise error

    return probe


async def test_each_probe_ends_in_a_state_and_a_report() -> None:
    reports: list[tuple[str, str]] = []
    never = asyncio.Event()
    monitor = DependencyMonitor(
        {
            "temporal": lambda: asyncio.sleep(0),
            "store": _raising(ConnectionRefusedError("refused")),
        },
        timeout_seconds=0.05,
        report=lambda name, state: reports.append((name, state)),
    )
    monitor.add("redis", never.wait)
    assert set(monitor.states.values()) == {NOT_PROBED}
    states = await monitor.probe_all()
    assert states == {
        "temporal": UP,
        "store": "down: ConnectionRefusedError: refused",
        "redis": "down: no answer within 0.05 s",
    }
    assert sorted(reports) == sorted(states.items())


async def test_running_probes_at_once_and_then_every_interval() -> None:
    rounds = 0
    third_round = asyncio.Event()

    async def counted() -> object:
        nonlocal rounds
        rounds += 1
        if rounds == 3:
            third_round.set()
        return None

    monitor = DependencyMonitor({"store": counted}, interval_seconds=0.01)
    async with monitor.running():
        assert rounds == 1
        assert monitor.states["store"] == UP
        await asyncio.wait_for(third_round.wait(), timeout=5)
    stopped_at = rounds
    await asyncio.sleep(0.05)
    assert rounds == stopped_at
