"""Recorded histories of the examples replay against the current workflow code.

The files are written by ``DRIFT_RECORD_HISTORIES=1 uv run pytest tests/e2e/test_histories.py``;
a change to the workflow that would break running instances fails here.

``store-wait-*-patch-marker`` were recorded by a build that marked a run's first store
wait with the ``drift.store-wait`` patch; ``store-wait-after-event`` is the fault drill
``thrift-restart`` run whose local step failed on the store right after an event, so its
failure reached the live workflow one task later than a replay delivers it (recorded by
that build, less its patch marker, which no code can replay there).

The ``v1-`` files were recorded before runs carried search attributes and closed with
their true Temporal status (a run started without Drift's attributes keeps that older
shape); ``v1-store-wait-*`` are the store waits of that build, which already recorded no
patch marker. The store-wait histories are written by ``tests/e2e/test_store_outage.py``
and ``tests/e2e/test_store_wait_points.py`` the same way.

``redrive-failed-attempt`` (a FAILED run whose HTTP state failed: the snapshot local
activity (no patch marker), the Failed close carrying the point) and
``redrive-continued`` (the redrive's execution: restore, then the failed state again)
are written by ``tests/api/test_redrive_histories.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from drift_worker.converter import DATA_CONVERTER
from drift_worker.fanout_batch import DriftMapBatchWorkflow
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
        "store-wait-begin-patch-marker",
        "store-wait-resume-patch-marker",
        "store-wait-after-event",
        "store-wait-begin-chain",
        "store-wait-step",
        "store-wait-after-update",
        "store-wait-after-signal",
        "store-wait-mark",
        "refund-failure-node",
        "refund-terminated",
        "order-checks-parallel",
        "order-lines-map",
        "map-batched-parent",
        "map-batch-child",
        "v1-refund-approved",
        "v1-refund-failure-node",
        "v1-refund-terminated",
        "v1-account-verification",
        "v1-appointment",
        "v1-collect-payment-child",
        "v1-store-wait-begin",
        "v1-store-wait-resume",
        "v1-store-wait-step",
        "v1-store-wait-begin-chain",
        "v1-store-wait-after-update",
        "v1-store-wait-after-signal",
        "v1-store-wait-mark",
        "redrive-failed-attempt",
        "redrive-continued",
    } <= names


def test_redrive_histories_have_their_shape() -> None:
    failed = DOCUMENTS["redrive-failed-attempt"]["events"]
    close = failed[-1]
    assert close["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED"
    cause = close["workflowExecutionFailedEventAttributes"]["failure"]["applicationFailureInfo"]
    assert cause["type"] == "DriftRunFailed"
    assert cause["details"]["payloads"]  # the redrive point
    markers = [
        event["markerRecordedEventAttributes"]
        for event in failed
        if event["eventType"] == "EVENT_TYPE_MARKER_RECORDED"
    ]
    assert not any(m["markerName"] == "core_patch" for m in markers)
    assert any(m["markerName"] == "core_local_activity" for m in markers)
    continued = DOCUMENTS["redrive-continued"]["events"]
    started = continued[0]["workflowExecutionStartedEventAttributes"]
    assert "DriftAttempt" in started["searchAttributes"]["indexedFields"]
    assert continued[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"


def test_new_histories_close_with_their_true_status() -> None:
    def last(name: str) -> str:
        return str(DOCUMENTS[name]["events"][-1]["eventType"])

    assert last("refund-failure-node") == "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED"
    assert last("refund-terminated") == "EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED"
    assert last("v1-refund-failure-node") == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    upserts = [
        event
        for event in DOCUMENTS["refund-approved"]["events"]
        if event["eventType"] == "EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES"
    ]
    assert len(upserts) == 2  # one per stable point (the view, the end), nothing more


def test_store_waits_of_both_shapes_are_kept() -> None:
    # Runs that waited for the store with Drift's attributes (this build) and without
    # them (the build before) both replay; neither records a patch marker.
    def started_with_attributes(name: str) -> bool:
        started = DOCUMENTS[name]["events"][0]["workflowExecutionStartedEventAttributes"]
        return bool(started.get("searchAttributes"))

    def patch_markers(name: str) -> int:
        return sum(
            1
            for event in DOCUMENTS[name]["events"]
            if event["eventType"] == "EVENT_TYPE_MARKER_RECORDED"
            and event["markerRecordedEventAttributes"]["markerName"] == "core_patch"
        )

    points = ["begin", "resume", "step", "begin-chain", "after-update", "after-signal", "mark"]
    for point in points:
        assert started_with_attributes(f"store-wait-{point}"), point
        assert not started_with_attributes(f"v1-store-wait-{point}"), point
        assert patch_markers(f"store-wait-{point}") == 0, point
        assert patch_markers(f"v1-store-wait-{point}") == 0, point


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", DOCUMENTS[path.stem])
    replayer = Replayer(
        workflows=[DriftRunWorkflow, DriftMapBatchWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=DATA_CONVERTER,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
