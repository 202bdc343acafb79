"""Callback addresses are judged when given, by the worker's own guard and allow-list."""

from __future__ import annotations

import logging

import pytest
from temporalio.client import Client

from drift_worker.runtime import running_worker
from drift_worker.settings import WorkerSettings
from tests.api.harness import Api, new_run_id
from tests.peers import CallbackReceiver

REFUND = {"orderId": "A-100", "reason": "x"}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("not a url", "not an absolute http(s) URL"),
        ("ftp://example.com/cb", "not an absolute http(s) URL"),
        ("http:///no-host", "not an absolute http(s) URL"),
        ("http://example.com:99999/cb", "not an absolute http(s) URL"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://10.1.2.3/cb", "a private address"),
        ("http://[::1]:8080/cb", "a loopback address"),
        ("http://localhost:8080/cb", "the loopback host"),
        ("http://metadata.google.internal/cb", "cloud metadata host"),
    ],
)
async def test_a_callback_the_worker_would_drop_is_422_at_its_path(
    examples: Api, url: str, why: str
) -> None:
    run_id = new_run_id()
    started = await examples.start("refund", REFUND, workflowId=run_id, callbackUrl=url)
    assert started.status_code == 422, started.text
    problem = started.json()
    assert problem["errors"][0]["path"] == "$.callbackUrl"
    assert why in problem["errors"][0]["message"]
    # Nothing was started.
    assert (await examples.get(f"/v3/workflow/{run_id}")).status_code == 404


async def test_a_resume_with_a_refused_callback_is_422_and_the_run_still_waits(
    examples: Api, receiver: CallbackReceiver
) -> None:
    run_id = new_run_id()
    first = await examples.start("refund", REFUND, workflowId=run_id)
    assert first.json()["workflowStatus"] == "WAITING"
    refused = await examples.resume(
        run_id, {"decision": ["approve"]}, callbackUrl="http://192.168.0.10/cb"
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["path"] == "$.callbackUrl"
    assert (await examples.get(f"/v3/workflow/{run_id}")).json()["workflowStatus"] == "WAITING"
    allowed = await examples.resume(run_id, {"decision": ["decline"]}, callbackUrl=receiver.url)
    assert allowed.status_code == 202, allowed.text


async def test_a_worker_without_a_callback_secret_says_so_at_start(
    temporal_client: Client, task_queue: str, store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = WorkerSettings(store_url=store_url, task_queue=task_queue)
    with caplog.at_level(logging.WARNING, logger="drift_worker.runtime"):
        async with running_worker(settings, client=temporal_client):
            pass
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("DRIFT_CALLBACK_SECRET is not set" in w for w in warnings), warnings
    caplog.clear()
    signed = WorkerSettings(store_url=store_url, task_queue=task_queue, callback_secret="s")
    with caplog.at_level(logging.WARNING, logger="drift_worker.runtime"):
        async with running_worker(signed, client=temporal_client):
            pass
    assert not [r for r in caplog.records if "DRIFT_CALLBACK_SECRET" in r.getMessage()]
