"""End-to-end fixtures: the examples published in a real store, a real worker, real
Temporal, and local HTTP services — with the embedded store and with a real HBase."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from drift_worker.runtime import RunningWorker
from tests.e2e.engine import Engine, publish_examples


@pytest.fixture(params=["sqlite", "hbase"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'drift.db'}"
    base: str = request.getfixturevalue("hbase_url")
    return base


@pytest.fixture
async def engine(worker: RunningWorker, task_queue: str) -> Engine:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    await publish_examples(worker.store, tenant, worker.registry.node_types)
    return Engine(client=worker.client, task_queue=task_queue, store=worker.store, tenant=tenant)
