"""Drills on the cluster, with the fault drills' load driver and accounting (tests/faults):
a Temporal service, PostgreSQL or a worker fails under load through two API processes,
with runs waiting at views; every drill ends 0 lost, 0 duplicated, 0 FAILED, every run
stable and every answer true.

The cluster's faults run in a thread: the harness's restarts block until it serves again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drift_worker.testing.temporal_cluster import TemporalCluster
from tests.cluster.faults_platform import ClusterPlatform
from tests.faults.drill import DrillSettings, Timeline, run_drill
from tests.faults.load import Driver
from tests.faults.platform import Platform
from tests.faults.test_drills import _assert_clean, _set_backend_delay, _wait_mid_node

SETTINGS = DrillSettings(tail=5.0, max_starts=50, waiting=8)
"""Lighter than tests/faults' defaults: the cluster tier runs in every CI run."""


@pytest.fixture(scope="session")
async def drill_platform(
    temporal_cluster: TemporalCluster, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ClusterPlatform]:
    """The fault drills' platform (HBase, Redis, back ends, 2 workers, 2 APIs) on the cluster."""
    port = int(temporal_cluster.address.rsplit(":", 1)[1])
    running = ClusterPlatform(
        root=Path(tmp_path_factory.mktemp("drills")), temporal_port=port, cluster=temporal_cluster
    )
    try:
        await running.start()
        yield running
    finally:
        running.stop()


def _cluster(platform: Platform) -> TemporalCluster:
    assert isinstance(platform, ClusterPlatform)
    assert platform.cluster is not None
    return platform.cluster


async def test_history_killed_and_restarted_mid_run(drill_platform: ClusterPlatform) -> None:
    async def fault(platform: Platform, _: Driver, timeline: Timeline) -> None:
        timeline.mark("SIGKILL history, start it again")
        # A node whose completion the killed service had not recorded runs again
        # (at-least-once): a back-end call repeated across the kill is counted apart.
        timeline.crashes.append(time.time())
        await asyncio.to_thread(_cluster(platform).restart_service, "history", kill=True)

    sheet = await run_drill(drill_platform, "cluster-history-kill", fault, SETTINGS)
    _assert_clean(sheet.bad(), sheet.findings)


async def test_frontend_restarted_during_sync_starts(drill_platform: ClusterPlatform) -> None:
    async def fault(platform: Platform, _: Driver, timeline: Timeline) -> None:
        timeline.mark("restart the frontend")
        await asyncio.to_thread(_cluster(platform).restart_service, "frontend")

    sheet = await run_drill(drill_platform, "cluster-frontend-restart", fault, SETTINGS)
    _assert_clean(sheet.bad(), sheet.findings)


async def test_postgres_restarted_mid_run(drill_platform: ClusterPlatform) -> None:
    async def fault(platform: Platform, _: Driver, timeline: Timeline) -> None:
        timeline.mark("restart PostgreSQL (fast shutdown)")
        await asyncio.to_thread(_cluster(platform).restart_postgres)

    sheet = await run_drill(drill_platform, "cluster-postgres-restart", fault, SETTINGS)
    _assert_clean(sheet.bad(), sheet.findings)


async def test_one_of_two_workers_killed_mid_node(drill_platform: ClusterPlatform) -> None:
    async def fault(platform: Platform, _: Driver, timeline: Timeline) -> None:
        worker = platform.workers[0]
        await _set_backend_delay(platform, 2.0)
        try:
            calling = await _wait_mid_node(platform, worker)
            timeline.crashes.append(time.time())
            timeline.mark(f"SIGKILL {worker.process.name} (calling {calling})")
            await asyncio.to_thread(worker.process.kill)
            await asyncio.sleep(5)
            timeline.mark(f"restart {worker.process.name}")
            await asyncio.to_thread(worker.process.start)
            await worker.wait_ready()
        finally:
            await _set_backend_delay(platform, 0.0)

    sheet = await run_drill(drill_platform, "cluster-worker-kill", fault, SETTINGS)
    _assert_clean(sheet.bad(), sheet.findings)
