"""Replay of a redriven run: both executions (the failed attempt, the redrive) replay.

With ``DRIFT_RECORD_HISTORIES=1`` the test writes them to
``services/worker/tests/histories/`` (``redrive-failed-attempt``: the FAILED shape with
its redrive point; ``redrive-continued``: the execution that restored the context and
completed), where ``services/worker/tests/test_replay.py`` replays them on every run.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.worker import Replayer

from drift_models import temporal_workflow_id
from drift_worker.converter import DATA_CONVERTER
from drift_worker.sandbox import workflow_runner
from drift_worker.workflow import DriftRunWorkflow
from tests.api.charging import Backend, charge_workflow, publish_workflow
from tests.api.harness import Api

HISTORIES = Path(__file__).resolve().parents[2] / "services/worker/tests/histories"


def _scrubbed(history: WorkflowHistory) -> Any:
    """The history as JSON, with the failures' stack traces (local paths) left out."""

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "" if k == "stackTrace" else scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    return scrub(history.to_json_dict())


async def test_both_executions_of_a_redriven_run_replay(
    api: Api, backend: Backend, api_client: Client
) -> None:
    await publish_workflow(api, charge_workflow(backend.url))
    run_id = "h-redrive"
    failed = await api.start("charge", {}, workflowId=run_id)
    assert failed.json()["workflowStatus"] == "FAILED", failed.text
    backend.broken = False
    redriven = await api.post(f"/v3/workflow/{run_id}/redrive")
    assert redriven.json()["workflowStatus"] == "COMPLETED", redriven.text

    workflow_id = temporal_workflow_id(api.tenant, run_id)
    wanted = {WorkflowExecutionStatus.FAILED, WorkflowExecutionStatus.COMPLETED}
    async with asyncio.timeout(30):  # visibility follows the close a moment later
        while True:
            executions = [
                e async for e in api_client.list_workflows(f"WorkflowId = '{workflow_id}'")
            ]
            by_status = {e.status: e.run_id for e in executions}
            if set(by_status) == wanted:
                break
            await asyncio.sleep(0.2)
    replayer = Replayer(
        workflows=[DriftRunWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=DATA_CONVERTER,
    )
    for status, name in (
        (WorkflowExecutionStatus.FAILED, "redrive-failed-attempt"),
        (WorkflowExecutionStatus.COMPLETED, "redrive-continued"),
    ):
        handle = api_client.get_workflow_handle(workflow_id, run_id=by_status[status])
        history = await handle.fetch_history()
        result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
        assert result.replay_failure is None
        if os.environ.get("DRIFT_RECORD_HISTORIES") == "1":
            HISTORIES.mkdir(parents=True, exist_ok=True)
            (HISTORIES / f"{name}.json").write_text(json.dumps(_scrubbed(history)))
