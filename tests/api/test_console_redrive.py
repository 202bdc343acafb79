"""Redrive from the console: a FAILED run's page offers it, confirmed; refusals show.

Over the real API app, Temporal dev server and worker, with the redrive tests' back end
that fails until fixed (tests/api/charging.py): the run fails at its HTTP ``charge``
state, the back end is fixed, the person redrives it from its page and sees it
COMPLETED; only the failed state ran again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from tests.api.charging import CHARGE_ATTEMPTS, Backend, charge_workflow, publish_workflow
from tests.api.conftest import asgi
from tests.api.console_pages import ConsoleUser
from tests.api.harness import Api, new_run_id, tenant_key


@pytest.fixture
async def console(examples: Api, app: Litestar) -> AsyncIterator[ConsoleUser]:
    del examples  # published, and the app's lifespan is running
    async with httpx.AsyncClient(transport=asgi(app), base_url="http://api", timeout=60) as http:
        yield ConsoleUser(http)


@pytest.fixture
async def stranger(app: Litestar, http: httpx.AsyncClient) -> AsyncIterator[ConsoleUser]:
    del http
    async with httpx.AsyncClient(transport=asgi(app), base_url="http://api", timeout=60) as other:
        yield ConsoleUser(other)


async def test_a_failed_run_is_redriven_from_its_page(
    console: ConsoleUser, stranger: ConsoleUser, examples: Api, tenant: str, backend: Backend
) -> None:
    await publish_workflow(examples, charge_workflow(backend.url))
    run_id = new_run_id()
    failed = await examples.start("charge", {}, workflowId=run_id)
    assert failed.json()["workflowStatus"] == "FAILED", failed.text
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303
    page = f"/console/runs/{run_id}"
    shown = await console.page(page)
    assert 'id="redrive-form"' in shown.text
    assert 'id="run-error"' in shown.text

    unconfirmed = await console.post_form(page, f"{page}/redrive", {})
    assert unconfirmed.status_code == 422
    assert "tick the confirmation box to redrive the run" in unconfirmed.text
    assert (await stranger.sign_in(tenant_key("other")[0])).status_code == 303
    theirs = await stranger.post_form("/console/inbox", f"{page}/redrive", {"confirm": "yes"})
    assert theirs.status_code == 404
    assert backend.hits["charge"] == CHARGE_ATTEMPTS  # neither ran anything

    backend.broken = False
    redriven = await console.post_form(page, f"{page}/redrive", {"confirm": "yes"})
    assert redriven.status_code == 303, redriven.text
    done = await console.page(redriven.headers["location"])
    assert "it went on from the state that failed" in done.text
    assert 'id="run-status">COMPLETED<' in done.text
    assert "PAID" in done.text
    assert 'id="redrive-form"' not in done.text
    assert backend.hits == {"profile": 1, "charge": CHARGE_ATTEMPTS + 1}


async def test_a_run_that_did_not_fail_cannot_be_redriven(
    console: ConsoleUser, examples: Api, tenant: str
) -> None:
    run_id = new_run_id()
    await examples.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303
    page = f"/console/runs/{run_id}"
    assert 'id="redrive-form"' not in (await console.page(page)).text
    refused = await console.post_form(page, f"{page}/redrive", {"confirm": "yes"})
    assert refused.status_code == 409, refused.text
    assert 'id="answer-problems"' in refused.text
    assert "only a FAILED run can be redriven" in refused.text
    state = await examples.get(f"/v3/workflow/{run_id}")
    assert state.json()["workflowStatus"] == "WAITING"
