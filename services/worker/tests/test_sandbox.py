"""Drift's sandboxed runner: the same answers as the SDK's, with cheaper entries.

Every recorded history is replayed with a runner that asks for each payload's
serialization and external-store context both ways (directly, as Drift's runner does,
and through the SDK's sandbox entry) and records both; they must be equal. Workflow code
must still meet the sandbox's restrictions in an activation.
"""

from __future__ import annotations

import importlib
import json
import logging
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError
from temporalio.worker.workflow_sandbox._runner import _Instance

from drift_worker import sandbox
from drift_worker.converter import DATA_CONVERTER
from drift_worker.fanout_batch import DriftMapBatchWorkflow
from drift_worker.workflow import DriftRunWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))

_answers: list[tuple[str, Any, Any]] = []


class _BothWays(sandbox._DriftInstance):
    def get_serialization_context(self, command_info: Any) -> Any:
        direct = super().get_serialization_context(command_info)
        entered = _Instance.get_serialization_context(self, command_info)
        _answers.append(("serialization", direct, entered))
        return direct

    def get_external_store_context(self, command_info: Any) -> Any:
        direct = super().get_external_store_context(command_info)
        entered = _Instance.get_external_store_context(self, command_info)
        _answers.append(("external store", direct, entered))
        return direct


@dataclass(frozen=True)
class _BothWaysRunner(sandbox.DriftSandboxedRunner):
    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _BothWays(det, self.runner_class, self.restrictions)


def test_every_worker_uses_drifts_runner() -> None:
    runner = sandbox.workflow_runner()
    assert isinstance(runner, sandbox.DriftSandboxedRunner)
    assert set(sandbox.PASSED_THROUGH) <= runner.restrictions.passthrough_modules


async def test_contexts_read_directly_equal_the_sandboxed_ones() -> None:
    runner = _BothWaysRunner(restrictions=sandbox.workflow_runner().restrictions)
    replayer = Replayer(
        workflows=[DriftRunWorkflow, DriftMapBatchWorkflow],
        workflow_runner=runner,
        data_converter=DATA_CONVERTER,
    )
    _answers.clear()
    for path in HISTORIES:
        history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
        result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
        assert result.replay_failure is None, path.stem
    kinds = {kind for kind, _, _ in _answers}
    assert kinds == {"serialization", "external store"}
    assert len(_answers) > 10 * len(HISTORIES)  # several per activation
    unequal = [(kind, a, b) for kind, a, b in _answers if a != b]
    assert not unequal
    # Activity payloads carry the activity's context, not only the workflow's.
    contexts = {type(direct).__name__ for kind, direct, _ in _answers if kind == "serialization"}
    assert {"WorkflowSerializationContext", "ActivitySerializationContext"} <= contexts


async def test_entries_are_compiled_once_per_text() -> None:
    replayer = Replayer(
        workflows=[DriftRunWorkflow],
        workflow_runner=sandbox.workflow_runner(),
        data_converter=DATA_CONVERTER,
    )
    document = json.loads(
        (Path(__file__).parent / "histories" / "refund-approved.json").read_text()
    )
    await replayer.replay_workflow(WorkflowHistory.from_json("first", document))
    after_one = sandbox.compiled_entries()
    for number in range(3):
        await replayer.replay_workflow(WorkflowHistory.from_json(f"again-{number}", document))
    assert 1 <= after_one <= 8
    assert sandbox.compiled_entries() == after_one


_PROBE = textwrap.dedent(
    """
    import datetime

    from temporalio import workflow


    @workflow.defn(name="sandbox-probe")
    class Probe:
        @workflow.run
        async def run(self) -> str:
            return datetime.datetime.now().isoformat()
    """
)

_FIRST_TASK = {
    "events": [
        {
            "eventId": "1",
            "eventTime": "2026-01-01T00:00:00Z",
            "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
            "workflowExecutionStartedEventAttributes": {
                "workflowType": {"name": "sandbox-probe"},
                "taskQueue": {"name": "probe"},
                "workflowTaskTimeout": "10s",
                "attempt": 1,
                "originalExecutionRunId": "probe-run",
                "firstExecutionRunId": "probe-run",
            },
        },
        {
            "eventId": "2",
            "eventTime": "2026-01-01T00:00:00Z",
            "eventType": "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
            "workflowTaskScheduledEventAttributes": {
                "taskQueue": {"name": "probe"},
                "startToCloseTimeout": "10s",
                "attempt": 1,
            },
        },
        {
            "eventId": "3",
            "eventTime": "2026-01-01T00:00:00Z",
            "eventType": "EVENT_TYPE_WORKFLOW_TASK_STARTED",
            "workflowTaskStartedEventAttributes": {"scheduledEventId": "2"},
        },
    ]
}


async def test_workflow_code_still_meets_the_restrictions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "drift_sandbox_probe.py").write_text(_PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    probe = importlib.import_module("drift_sandbox_probe")  # written just above

    replayer = Replayer(workflows=[probe.Probe], workflow_runner=sandbox.workflow_runner())
    with caplog.at_level(logging.WARNING, logger="temporalio"):
        await replayer.replay_workflow(
            WorkflowHistory.from_json("probe", _FIRST_TASK), raise_on_replay_failure=False
        )
    refused = [
        record
        for record in caplog.records
        if record.exc_info and isinstance(record.exc_info[1], RestrictedWorkflowAccessError)
    ]
    assert refused
    assert "datetime.datetime.now" in str(refused[0].exc_info[1])  # type: ignore[index]
