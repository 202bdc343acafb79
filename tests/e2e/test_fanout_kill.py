"""A worker process killed (SIGKILL) in the middle of a MAP: every item ends once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from drift_models import RunStatus
from tests.e2e.engine import Engine
from tests.e2e.test_worker_process import setup, worker_process
from tests.peers import Services

__all__ = ["setup"]  # the fixture, shared with the worker-process tests

ORDERS = ["A-100", "A-200", "A-300"] * 4
CONCURRENCY = 4  # the example's maxConcurrency


async def test_a_worker_killed_during_a_map_loses_and_repeats_no_item(
    setup: tuple[Engine, dict[str, str]], services: Services, tmp_path: Path
) -> None:
    engine, env = setup
    services.delay_seconds = 1.0
    with worker_process(env, tmp_path / "first.log") as first:
        await first.wait_ready()
        await engine.begin("order-lines", {"orderIds": ORDERS}, run_id="kill-map")
        for _ in range(200):
            if len(services.calls) >= CONCURRENCY + 2:  # the second wave is in flight
                break
            await asyncio.sleep(0.05)
        assert len(services.calls) >= CONCURRENCY + 2
        first.kill()
    sent_before = len(services.calls)
    with worker_process(env, tmp_path / "second.log") as second:
        await second.wait_ready()
        final = await engine.result("kill-map")
        assert second.stop() == 0
    assert final.workflow_status is RunStatus.COMPLETED, final
    results = final.output["results"]
    assert [r["orderId"] for r in results] == ORDERS
    assert [r["position"] for r in results] == list(range(len(ORDERS)))
    assert final.output["failures"] == []
    # Only the items in flight at the kill were sent again; finished ones were not.
    assert sent_before < len(ORDERS)
    assert len(ORDERS) <= len(services.calls) <= len(ORDERS) + CONCURRENCY
    record = await engine.context("kill-map")
    assert record.context.global_["eachOrder"] == final.output
