"""``DRIFT_POLLERS``: how a worker polls its task queue, on queues of a cluster's partitions.

Runs go through every partition of a task queue. On a dev server with a cluster's four
partitions (Temporal's default), a worker whose polls the SDK scales (``0``, the
default) and one with a fixed number of polls both run refund runs, started at once,
to their end; each worker is built with the behaviour its setting names. How much
the scaled polls shorten the wait for a task is measured, not asserted:
``bench/overload.py --partitions 4`` (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import PollerBehaviorAutoscaling, PollerBehaviorSimpleMaximum

from drift_models import RunStatus
from drift_nodes import HttpSettings, NodeSettings
from drift_worker.converter import DATA_CONVERTER
from drift_worker.devserver import CLUSTER_PARTITIONS, DevServer
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import poller_behavior, running_worker
from drift_worker.settings import WorkerSettings
from tests.e2e.engine import Engine, publish_examples
from tests.peers import Services

RUNS = 12


@pytest.fixture(scope="module")
def partitioned_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """A dev server whose task queues have a cluster's partitions."""
    log = Path(tmp_path_factory.mktemp("partitioned")) / "server.log"
    with DevServer(log_file=log, partitions=CLUSTER_PARTITIONS) as server:
        yield server


def test_zero_lets_the_sdk_scale_the_polls_and_a_number_fixes_them() -> None:
    assert isinstance(poller_behavior(0), PollerBehaviorAutoscaling)
    fixed = poller_behavior(7)
    assert isinstance(fixed, PollerBehaviorSimpleMaximum)
    assert fixed.maximum == 7
    assert WorkerSettings().pollers == 0


@pytest.mark.parametrize("pollers", [0, 2])
async def test_runs_over_every_partition_end_with_either_kind_of_polling(
    partitioned_server: DevServer, tmp_path: Path, services: Services, pollers: int
) -> None:
    await partitioned_server.wait_ready()
    client = await Client.connect(partitioned_server.address, data_converter=DATA_CONVERTER)
    queue = f"pollers-{uuid.uuid4().hex[:8]}"
    settings = WorkerSettings(
        store_url=f"sqlite:///{tmp_path / 'drift.db'}", task_queue=queue, pollers=pollers
    )
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    urls = EnumStore({"*": {"ordersServiceUrl": services.url}})
    async with running_worker(
        settings, client=client, node_settings=nodes, enum_store=urls
    ) as worker:
        config = worker.worker.config()
        for kind in ("workflow_task_poller_behavior", "activity_task_poller_behavior"):
            assert config.get(kind) == poller_behavior(pollers), kind
        tenant = f"t{uuid.uuid4().hex[:8]}"
        await publish_examples(worker.store, tenant, worker.registry.node_types)
        engine = Engine(client=client, task_queue=queue, store=worker.store, tenant=tenant)
        params = {"orderId": "A-100", "reason": "x"}
        run_ids = [f"poll-{pollers}-{n}" for n in range(RUNS)]
        waiting = await asyncio.gather(
            *(engine.start("refund", params, run_id=run_id) for run_id in run_ids)
        )
        assert {answer.workflow_status for answer in waiting} == {RunStatus.WAITING}
        ended = await asyncio.gather(
            *(engine.resume(run_id, {"decision": ["approve"]}) for run_id in run_ids)
        )
        assert [answer.workflow_status for answer in ended] == [RunStatus.COMPLETED] * RUNS
        assert {answer.disposition for answer in ended} == {"REFUNDED"}
