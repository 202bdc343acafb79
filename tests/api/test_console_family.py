"""The console over the real API app, Temporal and worker: a run that waits for an event.

The appointment example waits at ``awaitDocuments`` for an event (no view, a deadline:
SCHEDULER_WAITING): the runs list finds it by that status and node, the event is sent
from the run's page, the run starts a child and completes; the parent's page links the
child and the child's page links the parent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.api.conftest import asgi
from tests.api.console_pages import ConsoleUser
from tests.api.harness import Api, new_run_id, tenant_key

CHILD_LINK = re.compile(r"<dt>Child runs</dt><dd><a href=\"/console/runs/([^\"]+)\">")


@pytest.fixture
async def console(examples: Api, app: Litestar) -> AsyncIterator[ConsoleUser]:
    del examples  # published, and the app's lifespan is running
    async with httpx.AsyncClient(transport=asgi(app), base_url="http://api", timeout=60) as http:
        yield ConsoleUser(http)


async def _until(api: Api, run_id: str, field: str, values: set[str]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for _ in range(100):
        state = (await api.get(f"/v3/workflow/{run_id}")).json()
        if state.get(field) in values:
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(state)


async def _listed(console: ConsoleUser, url: str, run_id: str) -> str:
    # Visibility hears of a stable point a moment after the API answered it.
    text = ""
    for _ in range(50):
        text = (await console.page(url)).text
        if run_id in text:
            break
        await asyncio.sleep(0.1)
    return text


async def test_an_event_from_the_page_moves_a_run_that_then_links_its_child(
    console: ConsoleUser, examples: Api, tenant: str
) -> None:
    run_id = new_run_id()
    remind_at = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    params = {"patientId": "p-1", "slot": "2026-12-01T09:30", "fee": 40, "remindAt": remind_at}
    started = await examples.start("appointment", params, workflowId=run_id)
    assert started.status_code == 200, started.text
    waiting = await _until(examples, run_id, "currentNode", {"awaitDocuments"})
    assert waiting["workflowStatus"] == "SCHEDULER_WAITING", waiting
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303

    query = "status=SCHEDULER_WAITING&workflow=appointment&node=awaitDocuments"
    assert run_id in await _listed(console, f"/console/runs?{query}", run_id)
    assert run_id not in (await console.page("/console/inbox")).text  # no view to answer

    page = f"/console/runs/{run_id}"
    sent = await console.post_form(
        page, f"{page}/event", {"event": "documentsUploaded", "payload": '{"files": 2}'}
    )
    assert sent.status_code == 200, sent.text
    assert "Event documentsUploaded delivered" in sent.text
    done = await _until(examples, run_id, "workflowStatus", {"COMPLETED", "FAILED"})
    assert done["workflowStatus"] == "COMPLETED", done

    parent = await console.page(page)
    child = CHILD_LINK.search(parent.text)
    assert child is not None, parent.text[-3000:]
    child_page = await console.page(f"/console/runs/{child.group(1)}")
    assert child_page.status_code == 200, child_page.text[-2000:]
    assert f'<dt>Parent run</dt><dd><a href="/console/runs/{run_id}">' in child_page.text
