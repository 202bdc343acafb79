"""Long timers and event timeouts, on Temporal's time-skipping test server."""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from drift_models import RunInput, RunStatus, WorkflowResponse, temporal_workflow_id
from drift_models.engine import WORKFLOW_NAME
from drift_nodes import HttpSettings, NodeSettings
from drift_worker.converter import DATA_CONVERTER
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import running_worker
from drift_worker.settings import WorkerSettings
from tests.e2e.engine import publish_examples


@pytest.fixture
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    server = Path(sys.executable).parent / "temporal-test-server"
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=str(server)
    )
    yield env
    await env.shutdown()


async def test_an_event_that_never_comes_times_out_after_a_day(
    time_skipping: WorkflowEnvironment, tmp_path: Path
) -> None:
    queue = f"ts-{uuid.uuid4().hex[:8]}"
    settings = WorkerSettings(store_url=f"sqlite:///{tmp_path / 'drift.db'}", task_queue=queue)
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    async with running_worker(
        settings, client=time_skipping.client, node_settings=nodes, enum_store=EnumStore()
    ) as worker:
        await publish_examples(worker.store, "t1", worker.registry.node_types)
        remind_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)
        run = RunInput(
            tenant_id="t1",
            run_id="late",
            workflow_definition_id="appointment",
            params={
                "patientId": "P1",
                "slot": "2026-12-02T10:00",
                "fee": 10,
                "remindAt": remind_at.isoformat(),
            },
        )
        handle = await time_skipping.client.start_workflow(
            WORKFLOW_NAME,
            run,
            id=temporal_workflow_id("t1", "late"),
            task_queue=queue,
            result_type=WorkflowResponse,
        )
        final = await handle.result()
        assert final.workflow_status is RunStatus.FAILED
        assert final.disposition == "DOCUMENTS_MISSING"
        assert final.error_message == "No documents were uploaded within a day."
        assert final.current_node == "documentsMissing"
        record = await worker.store.contexts.require("t1", "late")
        assert record.context.global_["awaitDocuments"] == {
            "event": "documentsUploaded",
            "timedOut": True,
        }
        assert "waitedUntil" in record.context.global_["waitForReminder"]
