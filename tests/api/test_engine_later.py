"""A real ``drift-api`` process started while Temporal is away: it comes up, answers
``503`` + ``Retry-After`` for runs, and runs go through once Temporal starts on the
address it was given (a dev server started later on the same port)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from drift_api import ApiSettings, connect_temporal
from drift_nodes import HttpSettings, NodeSettings
from drift_worker.devserver import DevServer, free_port
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import running_worker
from drift_worker.settings import WorkerSettings
from tests.api.harness import EXAMPLES
from tests.peers import Services

HEADERS = {"X-Tenant-Id": "acme", "X-Client-Id": "later"}


def _start_api(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "drift_api.main"], env=env, stdout=output, stderr=output
        )


def _text(log: Path) -> str:
    return log.read_text()


async def _until_up(http: httpx.AsyncClient, url: str, log: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while True:
        try:
            if (await http.get(url)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert loop.time() < deadline, f"drift-api never came up: {_text(log)}"
        await asyncio.sleep(0.1)


async def _publish_refund(http: httpx.AsyncClient) -> None:
    for path in sorted((EXAMPLES / "refund" / "nodes").glob("*.json")):
        created = await http.post("/nodeDefinition", content=path.read_bytes())
        assert created.status_code == 201, created.text
        node_id = created.json()["definition"]["id"]
        assert (await http.post(f"/nodeDefinition/{node_id}/publish")).status_code == 200
    workflow = (EXAMPLES / "refund" / "workflows" / "refund.json").read_bytes()
    assert (await http.post("/workflowDefinition", content=workflow)).status_code == 201
    published = await http.post("/workflowDefinition/refund/publish")
    assert published.status_code == 200, published.text
    version = published.json()["version"]
    activated = await http.post("/workflowDefinition/refund/activate", json={"version": version})
    assert activated.status_code == 200, activated.text


async def _start_honouring_retry_after(http: httpx.AsyncClient, body: dict[str, Any]) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while True:
        answer = await http.post("/v3/workflow/start", json=body)
        if answer.status_code != 503:
            return answer
        assert loop.time() < deadline, answer.text
        await asyncio.sleep(float(answer.headers["retry-after"]) / 4)


@pytest.mark.server  # starts its own Temporal dev server
async def test_the_api_starts_without_temporal_and_runs_once_it_comes(
    tmp_path: Path, services: Services, task_queue: str
) -> None:
    port = free_port()
    store_url = f"sqlite:///{tmp_path / 'drift.db'}"
    app_port, admin_port = free_port(), free_port()
    env = {
        **os.environ,
        "DRIFT_TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "DRIFT_TASK_QUEUE": task_queue,
        "DRIFT_STORE_URL": store_url,
        "DRIFT_HOST": "127.0.0.1",
        "DRIFT_APP_PORT": str(app_port),
        "DRIFT_ADMIN_PORT": str(admin_port),
        "DRIFT_METRICS_PORT": "0",
        "DRIFT_AUTH": "false",
        "DRIFT_SYNC_TIMEOUT_SECONDS": "15",
    }
    log = tmp_path / "api.log"
    process = _start_api(env, log)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{app_port}", headers=HEADERS, timeout=30
        ) as http:
            await _until_up(http, f"http://127.0.0.1:{admin_port}/healthz", log)
            await _publish_refund(http)  # definitions need no Temporal
            body = {
                "workflowDefinitionId": "refund",
                "params": {"orderId": "A-100", "reason": "late"},
            }
            away = await http.post("/v3/workflow/start", json=body)
            assert away.status_code == 503, away.text
            assert away.headers["retry-after"] == "1"
            assert away.json()["title"] == "Engine Unavailable"
            assert process.poll() is None, _text(log)

            with DevServer(port=port, log_file=tmp_path / "temporal.log") as temporal:
                await temporal.wait_ready()
                client = await connect_temporal(ApiSettings(temporal_address=temporal.address))
                settings = WorkerSettings(store_url=store_url, task_queue=task_queue)
                nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
                urls = {"ordersServiceUrl": services.url, "accountsServiceUrl": services.url}
                async with running_worker(
                    settings, client=client, node_settings=nodes, enum_store=EnumStore({"*": urls})
                ):
                    started = await _start_honouring_retry_after(http, body)
                    assert started.status_code == 200, started.text
                    run = started.json()
                    assert run["workflowStatus"] == "WAITING", run
                    assert run["currentNode"] == "confirmRefund"
                    answer = {"viewResponse": {"selectedOptions": {"decision": ["approve"]}}}
                    ended = await http.put(f"/v3/workflow/resume/{run['workflowId']}", json=answer)
                    assert ended.status_code == 200, ended.text
                    assert ended.json()["workflowStatus"] == "COMPLETED"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
