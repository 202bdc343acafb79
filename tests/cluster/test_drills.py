"""Drills on the cluster: a Temporal service, PostgreSQL or a worker fails with runs in
flight and sync starts arriving; every drill ends 0 lost, 0 duplicated, 0 FAILED, and
every answer a client got was true (see tests/cluster/drills.py for the rules).

The faults run in a thread: the harness's restarts block until the cluster serves again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.client import Client

from drift_worker.testing.temporal_cluster import TemporalCluster
from tests.api.harness import Api, publish_examples, tenant_key
from tests.cluster.drills import Drill, account, run_drill
from tests.cluster.platform import Platform

LOG = logging.getLogger(__name__)


@pytest.fixture
async def apis(platform: Platform) -> AsyncIterator[list[Api]]:
    """A fresh tenant's view through each API process; the examples published on the first."""
    tenant = next(platform.tenants)
    key = tenant_key(tenant)[0]
    async with (
        httpx.AsyncClient(base_url=platform.apis[0].url, timeout=60) as first,
        httpx.AsyncClient(base_url=platform.apis[1].url, timeout=60) as second,
    ):
        views = [Api(http=first, tenant=tenant, key=key), Api(http=second, tenant=tenant, key=key)]
        await publish_examples(views[0])
        yield views


async def _drill_passes(apis: list[Api], client: Client, drill: Drill) -> None:
    # The fault must have met runs in flight, or the drill proved nothing.
    assert drill.in_flight_during_fault() > 0, drill
    tally = await account(apis[0], client, drill.records)
    assert tally.problems() == {}, (tally, drill.answers())
    assert tally.finished == tally.started
    LOG.info(
        "in flight during the fault: %d; answers %s",
        drill.in_flight_during_fault(),
        drill.answers(),
    )


async def test_history_killed_and_restarted_mid_run(
    apis: list[Api], temporal_cluster: TemporalCluster, cluster_client: Client
) -> None:
    async def fault() -> None:
        await asyncio.to_thread(temporal_cluster.restart_service, "history", kill=True)

    drill = await run_drill(apis, fault)
    await _drill_passes(apis, cluster_client, drill)


async def test_frontend_restarted_during_sync_starts(
    apis: list[Api], temporal_cluster: TemporalCluster, cluster_client: Client
) -> None:
    async def fault() -> None:
        await asyncio.to_thread(temporal_cluster.restart_service, "frontend")

    drill = await run_drill(apis, fault)
    await _drill_passes(apis, cluster_client, drill)


async def test_postgres_restarted_mid_run(
    apis: list[Api], temporal_cluster: TemporalCluster, cluster_client: Client
) -> None:
    async def fault() -> None:
        await asyncio.to_thread(temporal_cluster.restart_postgres)

    drill = await run_drill(apis, fault)
    await _drill_passes(apis, cluster_client, drill)


async def test_one_of_two_workers_killed(
    apis: list[Api], platform: Platform, cluster_client: Client
) -> None:
    victim = platform.workers[0]

    async def fault() -> None:
        victim.kill()

    try:
        drill = await run_drill(apis, fault)
        await _drill_passes(apis, cluster_client, drill)
    finally:
        victim.start()  # the next tests get two workers again
        await victim.wait_ready()
