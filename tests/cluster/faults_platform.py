"""The fault drills' platform (tests/faults) with a real Temporal cluster in place of the
dev server: the same HBase, Redis, demo back ends, two workers and two APIs, the same
load driver and accounting; only Temporal differs, and healing restarts what a drill
left down of the cluster (a service, PostgreSQL)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from drift_worker.testing.temporal_cluster import TemporalCluster
from tests.faults.platform import ApiProcess, Platform, WorkerProcess


@dataclass
class ClusterPlatform(Platform):
    """:class:`tests.faults.platform.Platform` on ``cluster`` (its frontend's port)."""

    cluster: TemporalCluster | None = field(default=None, repr=False)

    def _start_temporal(self, logs: Path) -> None:
        """Temporal is the cluster, already running: nothing to start."""

    async def heal(self) -> None:
        """Bring back what a drill left down (cluster parts included); wait until all serve."""
        assert self.cluster is not None
        for process in self.everything():
            process.resume()
        await asyncio.to_thread(self.cluster.heal)
        for server in (self.thrift, self.redis, self.backends):
            assert server is not None
            if not server.alive():
                await asyncio.to_thread(server.start)
        await self.wait_temporal()
        await self.wait_thrift()
        services: list[WorkerProcess | ApiProcess] = [*self.workers, *self.apis]
        for service in services:
            if not service.process.alive():
                await asyncio.to_thread(service.process.start)
        for service in services:
            await service.wait_ready()
