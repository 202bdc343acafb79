"""The run handlers through the real app, with an in-memory engine and an embedded store.

No Temporal server: the app is built with :class:`fake_engine.FakeEngine` instead of a
client (the engine contract, :class:`drift_api.engine.Engine`), over a SQLite store in
memory where the refund example is published. What is tested is the API's own part:
start checks, admission and limits, late answers (``202``), problems, paging.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from drift_api import ApiSettings, create_app
from drift_models import RunStatus
from drift_nodes import NodeSettings, discover_nodes
from drift_nodes.settings import HttpSettings
from drift_store import open_store

from .fake_engine import FIRST_VIEW, FakeEngine

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "refund"
HEADERS = {"X-Tenant-Id": "acme", "X-Client-Id": "unit"}
PARAMS = {"orderId": "A-100", "reason": "damaged"}

Client = AsyncTestClient[Any]


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
async def api(engine: FakeEngine) -> AsyncIterator[Client]:
    registry = discover_nodes()
    settings = ApiSettings(auth=False, sync_timeout_seconds=10, late_answer_seconds=0.5)
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    async with open_store("sqlite://:memory:", node_types=registry.node_types) as store:
        app = create_app(store=store, engine=engine, settings=settings, node_settings=nodes)
        async with AsyncTestClient(app=app) as client:
            client.headers.update(HEADERS)
            await _publish_refund(client)
            yield client


async def _publish_refund(client: Client) -> None:
    for path in sorted((EXAMPLE / "nodes").glob("*.json")):
        created = await client.post("/nodeDefinition", content=path.read_bytes())
        assert created.status_code == 201, created.text
        node_id = created.json()["definition"]["id"]
        published = await client.post(f"/nodeDefinition/{node_id}/publish")
        assert published.status_code == 200, published.text
    created = await client.post(
        "/workflowDefinition", content=(EXAMPLE / "workflows" / "refund.json").read_bytes()
    )
    assert created.status_code == 201, created.text
    published = await client.post("/workflowDefinition/refund/publish")
    assert published.status_code == 200, published.text
    activated = await client.post(
        "/workflowDefinition/refund/activate", json={"version": published.json()["version"]}
    )
    assert activated.status_code == 200, activated.text


async def _start(client: Client, run_id: str, **extra: Any) -> Any:
    body = {"workflowDefinitionId": "refund", "params": PARAMS, "workflowId": run_id, **extra}
    return await client.post("/v3/workflow/start", json=body)


async def test_a_sync_start_answers_the_first_view(api: Client, engine: FakeEngine) -> None:
    started = await _start(api, "run-1")
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["workflowStatus"] == "WAITING"
    assert body["currentNode"] == FIRST_VIEW
    assert body["workflowVersion"] == 1
    assert started.headers["X-Drift-State-Source"] == "engine"
    assert engine.calls == ["start_and_wait"]
    sent = engine.inputs["acme", "run-1"]
    assert sent.params == PARAMS
    assert sent.version == 1
    assert sent.thread_context is not None
    assert sent.thread_context.client_id == "unit"


async def test_a_start_without_its_parameters_sends_nothing(
    api: Client, engine: FakeEngine
) -> None:
    body = {"workflowDefinitionId": "refund", "params": {"orderId": "A-1"}}
    refused = await api.post("/v3/workflow/start", json=body)
    assert refused.status_code == 422, refused.text
    assert [e["path"] for e in refused.json()["errors"]] == ["$.params.reason"]
    assert engine.calls == []


async def test_an_async_start_answers_202_created(api: Client, engine: FakeEngine) -> None:
    started = await _start(api, "run-a", callbackUrl="http://127.0.0.1:9/callback")
    assert started.status_code == 202, started.text
    assert started.json()["workflowStatus"] == "CREATED"
    assert engine.calls == ["start"]
    assert engine.inputs["acme", "run-a"].callback_url == "http://127.0.0.1:9/callback"


async def test_a_start_of_an_ended_run_answers_that_run(api: Client, engine: FakeEngine) -> None:
    assert (await _start(api, "run-e")).status_code == 200
    assert (await api.delete("/v3/workflow/terminate/run-e")).status_code == 200
    again = await _start(api, "run-e")
    assert again.status_code == 200, again.text
    assert again.json()["workflowStatus"] == "TERMINATED"
    assert engine.calls == ["start_and_wait", "terminate", "start_and_wait"]


async def test_resume_completes_the_run(api: Client) -> None:
    await _start(api, "run-r")
    answer = {"viewResponse": {"selectedOptions": {"decision": ["approve"]}}, "node": FIRST_VIEW}
    resumed = await api.put("/v3/workflow/resume/run-r", json=answer)
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert body["workflowStatus"] == "COMPLETED"
    assert body["output"]["answer"]["selectedOptions"] == {"decision": ["approve"]}
    again = await api.put("/v3/workflow/resume/run-r", json=answer)
    assert again.status_code == 409, again.text
    assert again.json()["title"] == "Run Ended"


async def test_a_sync_call_past_its_limit_answers_202_running(
    api: Client, engine: FakeEngine
) -> None:
    api.app.state["services"].runs._sync_timeout = 0.4
    loop = asyncio.get_running_loop()
    with engine.hold():
        began = loop.time()
        late = await _start(api, "run-l")
        took = loop.time() - began
    assert late.status_code == 202, late.text
    body = late.json()
    assert body["workflowStatus"] == "RUNNING"
    assert body["workflowDefinitionId"] == "refund"
    assert body["workflowVersion"] == 1
    assert took < 0.4 + 0.5 + 0.5  # the limit, the late budget and some slack
    # A resume that comes late reads RUNNING too: the run took it and goes on.
    with engine.hold():
        answer = {"viewResponse": {"selectedOptions": {"decision": ["approve"]}}}
        resumed = await api.put("/v3/workflow/resume/run-l", json=answer)
    assert resumed.status_code == 202, resumed.text
    assert resumed.json()["workflowStatus"] == "RUNNING"


async def test_an_unknown_run_is_404(api: Client) -> None:
    read = await api.get("/v3/workflow/nobody")
    assert read.status_code == 404, read.text
    assert read.headers["content-type"] == "application/problem+json"
    answer = {"viewResponse": {"selectedOptions": {"decision": ["approve"]}}}
    resumed = await api.put("/v3/workflow/resume/nobody", json=answer)
    assert resumed.status_code == 404, resumed.text


async def test_terminate_ends_the_run_and_closes_it(api: Client, engine: FakeEngine) -> None:
    await _start(api, "run-t")
    ended = await api.delete("/v3/workflow/terminate/run-t", params={"reason": "not needed"})
    assert ended.status_code == 200, ended.text
    assert ended.json()["workflowStatus"] == "TERMINATED"
    assert engine.closed == [("acme", "run-t")]
    assert engine.runs["acme", "run-t"].workflow_status is RunStatus.TERMINATED
    again = await api.delete("/v3/workflow/terminate/run-t")
    assert again.status_code == 409, again.text


async def test_events_reach_the_engine(api: Client, engine: FakeEngine) -> None:
    await _start(api, "run-v")
    sent = await api.post("/v3/workflow/run-v/event/paid", json={"payload": {"amount": 3}})
    assert sent.status_code in {200, 202}, sent.text
    assert [(run, event.name, event.payload) for _, run, event in engine.events] == [
        ("run-v", "paid", {"amount": 3})
    ]


async def test_the_run_list_pages_through_every_run(api: Client) -> None:
    ids = [f"run-p{n}" for n in range(5)]
    for run_id in ids:
        assert (await _start(api, run_id)).status_code == 200
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "total": "true"}
        if token is not None:
            params["pageToken"] = token
        page = await api.get("/v3/workflow", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["total"] == len(ids)
        seen += [item["workflowId"] for item in body["items"]]
        pages += 1
        token = body.get("nextPageToken")
        if token is None:
            break
    assert seen == ids
    assert pages == 3
