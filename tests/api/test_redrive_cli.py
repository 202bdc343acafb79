"""``drift redrive RUN_ID`` against the real API served by granian: output and exit codes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from drift_api import ApiSettings
from drift_cli.main import main
from drift_worker.runtime import RunningWorker
from tests.api.charging import Backend, charge_workflow, publish_workflow
from tests.api.harness import Api, new_run_id, served_for_real, tenant_key


@pytest.fixture
async def served(
    worker: RunningWorker, settings: ApiSettings, store_url: str
) -> AsyncIterator[ApiSettings]:
    del worker  # runs the runs in the background
    async with served_for_real(settings, store_url) as real:
        yield real


async def test_drift_redrive_prints_the_next_state_and_exits_like_start(
    served: ApiSettings, backend: Backend, tenant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = f"http://127.0.0.1:{served.app_port}"
    key = tenant_key(tenant)[0]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        api = Api(http=http, tenant=tenant, key=key)
        await publish_workflow(api, charge_workflow(backend.url))
        run_id = new_run_id()
        failed = await api.start("charge", {}, workflowId=run_id)
        assert failed.json()["workflowStatus"] == "FAILED", failed.text
    connection = ["--api", base, "--api-key", key, "--tenant", tenant]

    # Still broken: the redrive fails again at charge; the exit code is a failed run's.
    code = await asyncio.to_thread(main, ["redrive", run_id, *connection])
    assert code == 1
    assert f"run {run_id}: FAILED at failed" in capsys.readouterr().out

    backend.broken = False
    code = await asyncio.to_thread(main, ["redrive", run_id, "--json", *connection])
    assert code == 0
    state = json.loads(capsys.readouterr().out)
    assert (state["workflowId"], state["workflowStatus"]) == (run_id, "COMPLETED")

    # A COMPLETED run cannot be redriven: the API's 409 is told, exit code 1.
    code = await asyncio.to_thread(main, ["redrive", run_id, *connection])
    captured = capsys.readouterr()
    assert code == 1
    assert "409" in captured.err
    assert "COMPLETED" in captured.err

    # drift logs: both failed attempts marked, then the path after the last redrive.
    code = await asyncio.to_thread(main, ["logs", run_id, *connection])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    redrives = [i for i, line in enumerate(lines) if "REDRIVEN" in line]
    assert len(redrives) == 2
    assert all("(failed attempt, redriven)" in line for line in lines[: redrives[-1]])
    after = lines[redrives[-1] :]
    assert not any("failed attempt" in line for line in after)
    assert "charge, done" in "\n".join(after)
    assert "COMPLETED" in after[-1]
