"""Recorded histories of the examples replay against the current workflow code.

The files are written by ``DRIFT_RECORD_HISTORIES=1 uv run pytest tests/e2e/test_histories.py``;
a change to the workflow that would break running instances fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from drift_worker.converter import DATA_CONVERTER
from drift_worker.sandbox import workflow_runner
from drift_worker.workflow import DriftRunWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
DOCUMENTS = {path.stem: json.loads(path.read_text()) for path in HISTORIES}


def test_histories_are_checked_in() -> None:
    names = {path.stem for path in HISTORIES}
    assert {
        "refund-approved",
        "account-verification",
        "appointment",
        "collect-payment-child",
        "store-wait-begin",
        "store-wait-resume",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", DOCUMENTS[path.stem])
    replayer = Replayer(
        workflows=[DriftRunWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=DATA_CONVERTER,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
