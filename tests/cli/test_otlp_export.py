"""OTLP export to a real receiver: one trace followed from the API process through
Temporal into the worker process, as ``drift dev`` runs them (separate processes)."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest

from tests.cli.otlp_receiver import ReceivedSpan, otlp_receiver
from tests.cli.test_dev import Dev, _free_ports, running

NODES = {"drift.node lookupOrder", "drift.node computeRefund", "drift.node confirmRefund"}


def _chain(spans: list[ReceivedSpan], leaf: ReceivedSpan) -> list[ReceivedSpan]:
    """``leaf`` and its ancestors among ``spans``, leaf first, as far as they arrived."""
    by_id = {s.span_id: s for s in spans}
    chain = [leaf]
    while chain[-1].parent_span_id in by_id:
        chain.append(by_id[chain[-1].parent_span_id])
    return chain


def test_a_start_is_one_trace_across_the_api_and_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace_id = secrets.token_hex(16)
    caller_span = secrets.token_hex(8)
    with otlp_receiver() as receiver:
        # drift dev hands its environment to the API and worker it starts.
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
        ports = _free_ports()
        with running(Dev(tmp_path / "data", ports)):
            started = httpx.post(
                f"http://127.0.0.1:{ports['--api-port']}/v3/workflow/start",
                json={
                    "workflowDefinitionId": "refund",
                    "params": {"orderId": "A-100", "reason": "x"},
                },
                headers={
                    "X-Tenant-Id": "demo",
                    "X-Client-Id": "tests",
                    "Authorization": "Bearer drift-dev-key",
                    "traceparent": f"00-{trace_id}-{caller_span}-01",
                },
                timeout=60,
            )
            assert started.status_code == 200, started.text
            assert started.json()["workflowStatus"] == "WAITING"

            def complete(spans: list[ReceivedSpan]) -> bool:
                ours = [s for s in spans if s.trace_id == trace_id]
                nodes = [s for s in ours if s.name in NODES]
                return {s.name for s in nodes} == NODES and all(
                    _chain(ours, s)[-1].parent_span_id == caller_span for s in nodes
                )

            spans = receiver.wait_until(complete)
    assert receiver.bad_requests == []
    ours = [s for s in spans if s.trace_id == trace_id]
    lookup = next(s for s in ours if s.name == "drift.node lookupOrder")
    chain = _chain(ours, lookup)
    # Leaf to root: the node's span in the worker process, the activity's, the workflow's
    # request for it, then the API process's Temporal call and its HTTP request span,
    # whose parent is the caller's span.
    assert [(s.service, s.name) for s in chain] == [
        ("drift-worker", "drift.node lookupOrder"),
        ("drift-worker", "RunActivity:drift.begin-step"),
        ("drift-worker", "StartActivity:drift.begin-step"),
        ("drift-api", "StartUpdateWithStartWorkflow:drift.run"),
        ("drift-api", "POST /v3/workflow/start"),
    ]
    assert chain[-1].parent_span_id == caller_span
