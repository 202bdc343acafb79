"""Operator actions while Temporal does not answer: a redrive and a bulk terminate answer
in bounded time, and say what is known (never a hang, never a guess).

A real Temporal dev server frozen with SIGSTOP (for a whole call, or from a chosen point
of it on), a real worker, the real app; the back end is the redrive tests' counting stub.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from temporalio.client import Client

from drift_api.run_redrive import FailedAttempt, RunRedrives
from drift_worker.devserver import DevServer
from tests.api.charging import CHARGE_ATTEMPTS, Backend, charge_workflow, publish_workflow
from tests.api.harness import Api, frozen, new_run_id
from tests.peers import CallbackReceiver

SYNC_TIMEOUT = 2.0


@pytest.fixture
async def charging(examples: Api, backend: Backend) -> Api:
    await publish_workflow(examples, charge_workflow(backend.url))
    return examples


def _app(api: Api) -> Litestar:
    app: Litestar = api.http._transport.app  # type: ignore[attr-defined]
    return app


def _set_sync_timeout(api: Api, seconds: float) -> None:
    """The redrive's sync timeout (it keeps its own, from the same setting)."""
    _redrives(api)._sync_timeout = seconds


def _redrives(api: Api) -> RunRedrives:
    redrives: RunRedrives = _app(api).state["services"].runs.engine._redrives
    return redrives


async def _failed(api: Api) -> str:
    run_id = new_run_id()
    started = await api.start("charge", {}, workflowId=run_id)
    assert started.status_code == 200, started.text
    assert started.json()["workflowStatus"] == "FAILED", started.text
    return run_id


@contextlib.contextmanager
def _frozen_after_failed_attempt(
    api: Api, server: DevServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Temporal answers the redrive's reads, then freezes before its start is sent."""
    redrives = _redrives(api)
    read = redrives.failed_attempt
    assert server.pid is not None
    pid = server.pid

    async def then_freeze(tenant: str, run_id: str) -> FailedAttempt:
        failed = await read(tenant, run_id)
        os.killpg(pid, signal.SIGSTOP)
        return failed

    monkeypatch.setattr(redrives, "failed_attempt", then_freeze)
    try:
        yield
    finally:
        os.killpg(pid, signal.SIGCONT)
        monkeypatch.undo()


async def _until_status(api: Api, run_id: str, status: str) -> None:
    async with asyncio.timeout(30):
        while (  # noqa: ASYNC110 - polls the API
            await api.get(f"/v3/workflow/{run_id}")
        ).json()["workflowStatus"] != status:
            await asyncio.sleep(0.2)


async def _redriven_once(api: Api, backend: Backend, run_id: str) -> None:
    """Once Temporal is back, sending the redrive again ends the run COMPLETED, and the
    failed state ran exactly once more whichever call of the two started it."""
    again = await api.post(f"/v3/workflow/{run_id}/redrive")
    # 409: the frozen call reached Temporal once it thawed, and that redrive runs.
    assert again.status_code in {200, 409}, again.text
    await _until_status(api, run_id, "COMPLETED")
    assert backend.hits["charge"] == CHARGE_ATTEMPTS + 1, backend.hits


async def test_a_sync_redrive_temporal_cannot_take_is_unconfirmed_not_running(
    charging: Api,
    backend: Backend,
    temporal_server: DevServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The redrive's update-with-start and the same start sent again to settle it both
    time out: 503 "Redrive Unconfirmed" within the limit (before: a 202 saying the run
    was RUNNING again, though nothing was known of it)."""
    run_id = await _failed(charging)
    _set_sync_timeout(charging, SYNC_TIMEOUT)
    with _frozen_after_failed_attempt(charging, temporal_server, monkeypatch):
        late = await asyncio.wait_for(charging.post(f"/v3/workflow/{run_id}/redrive"), 6)
        backend.broken = False
    assert late.status_code == 503, late.text
    problem = late.json()
    assert problem["title"] == "Redrive Unconfirmed", problem
    assert problem["extensions"]["workflowId"] == run_id
    assert late.headers["Retry-After"] == "1"
    _set_sync_timeout(charging, 15)
    await _redriven_once(charging, backend, run_id)


async def test_an_async_redrive_temporal_cannot_take_is_answered_within_the_limit(
    charging: Api,
    backend: Backend,
    temporal_server: DevServer,
    receiver: CallbackReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A redrive with a callback URL is sent within its limit (before: it hung until
    Temporal came back) and says the redrive is unconfirmed."""
    run_id = await _failed(charging)
    _set_sync_timeout(charging, SYNC_TIMEOUT)
    with _frozen_after_failed_attempt(charging, temporal_server, monkeypatch):
        late = await asyncio.wait_for(
            charging.post(f"/v3/workflow/{run_id}/redrive", json={"callbackUrl": receiver.url}),
            6,
        )
        backend.broken = False
    assert late.status_code == 503, late.text
    assert late.json()["title"] == "Redrive Unconfirmed", late.text
    _set_sync_timeout(charging, 15)
    await _redriven_once(charging, backend, run_id)


async def test_a_redrive_while_temporal_is_frozen_is_503_in_bounded_time(
    charging: Api, backend: Backend, temporal_server: DevServer
) -> None:
    """Frozen for the whole call: reading the failed attempt gives up after its bound
    (before: the describe hung until Temporal came back), and nothing was redriven."""
    run_id = await _failed(charging)
    _set_sync_timeout(charging, SYNC_TIMEOUT)
    with frozen(temporal_server):
        refused = await asyncio.wait_for(charging.post(f"/v3/workflow/{run_id}/redrive"), 15)
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "1"
    assert backend.hits["charge"] == CHARGE_ATTEMPTS
    backend.broken = False
    _set_sync_timeout(charging, 15)
    redriven = await charging.post(f"/v3/workflow/{run_id}/redrive")
    assert redriven.status_code == 200, redriven.text
    assert redriven.json()["workflowStatus"] == "COMPLETED", redriven.text


async def _waiting(api: Api, client_id: str) -> str:
    caller = Api(http=api.http, tenant=api.tenant, key=api.key, client_id=client_id)
    run_id = new_run_id()
    started = await caller.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert started.json()["workflowStatus"] == "WAITING", started.text
    async with asyncio.timeout(30):
        while (  # noqa: ASYNC110 - polls the API
            await api.get(f"/v3/workflow?limit=1&total=true&clientId={client_id}&status=WAITING")
        ).json()["total"] != 1:
            await asyncio.sleep(0.2)
    return run_id


async def test_a_bulk_terminate_while_temporal_is_frozen_is_503_in_bounded_time(
    examples: Api, temporal_server: DevServer
) -> None:
    """The count before a bulk terminate gives up after its bound (before: it hung)."""
    client_id = f"frozen-{new_run_id()[:8]}"
    run_id = await _waiting(examples, client_id)
    with frozen(temporal_server):
        refused = await asyncio.wait_for(
            examples.post(f"/v3/bulk/terminate?clientId={client_id}&status=WAITING"), 20
        )
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "1"
    read = await examples.get(f"/v3/workflow/{run_id}")
    assert read.json()["workflowStatus"] == "WAITING", read.text


async def test_a_bulk_job_temporal_does_not_confirm_names_the_job_to_read(
    examples: Api, temporal_server: DevServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Temporal counts the runs, then freezes before the batch start is answered: the
    answer says the job may have started and names it (before: the call hung; a broken
    call was "could not run", though the job could exist). Reading the job afterwards
    gives what Temporal made of it."""
    client_id = f"frozen-{new_run_id()[:8]}"
    run_id = await _waiting(examples, client_id)
    client: Client = _app(examples).state["services"].runs.engine.client
    count = client.count_workflows
    assert temporal_server.pid is not None
    pid = temporal_server.pid

    async def then_freeze(*args: Any, **kwargs: Any) -> Any:
        counted = await count(*args, **kwargs)
        os.killpg(pid, signal.SIGSTOP)
        return counted

    monkeypatch.setattr(client, "count_workflows", then_freeze)
    try:
        late = await asyncio.wait_for(
            examples.post(f"/v3/bulk/terminate?clientId={client_id}&status=WAITING"), 20
        )
    finally:
        os.killpg(pid, signal.SIGCONT)
        monkeypatch.undo()
    assert late.status_code == 503, late.text
    problem = late.json()
    assert problem["title"] == "Bulk Job Unconfirmed", problem
    job_id = problem["extensions"]["jobId"]
    assert job_id.startswith(f"{examples.tenant}.bulk."), problem
    assert f"/v3/bulk/{job_id}" in problem["detail"], problem

    job = await examples.get(f"/v3/bulk/{job_id}")
    assert job.status_code in {200, 404}, job.text
    if job.status_code == 200:  # the start reached Temporal as it thawed: the job runs
        await _until_status(examples, run_id, "TERMINATED")
    else:
        read = await examples.get(f"/v3/workflow/{run_id}")
        assert read.json()["workflowStatus"] == "WAITING", read.text
