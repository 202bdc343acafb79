"""The console's runs list asks Temporal's visibility for exactly the runs it shows.

Over the real API app, Temporal dev server and worker: a filter is part of the visibility
query (the runs search of ``GET /v3/workflow``), not applied to one page of the
tenant's newest runs; a filter value that is not an id is a problem on the page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from tests.api.conftest import asgi
from tests.api.console_pages import ConsoleUser
from tests.api.harness import Api, new_run_id, tenant_key

NEWER_RUNS = 26  # more than one console page (25) of the tenant's newest runs


@pytest.fixture
async def console(examples: Api, app: Litestar) -> AsyncIterator[ConsoleUser]:
    del examples  # published, and the app's lifespan is running
    async with httpx.AsyncClient(transport=asgi(app), base_url="http://api", timeout=60) as http:
        yield ConsoleUser(http)


async def _listed(console: ConsoleUser, url: str, run_id: str) -> str:
    # Visibility hears of a stable point a moment after the API answered it.
    text = ""
    for _ in range(50):
        answer = await console.page(url)
        assert answer.status_code == 200, answer.text
        text = answer.text
        if run_id in text:
            break
        await asyncio.sleep(0.1)
    return text


async def test_a_filter_finds_a_run_behind_a_page_of_newer_ones(
    console: ConsoleUser, examples: Api, tenant: str
) -> None:
    older = new_run_id()
    started = await examples.start("account-verification", {"accountId": "a1"}, workflowId=older)
    assert started.status_code in {200, 201}, started.text
    newer = [new_run_id() for _ in range(NEWER_RUNS)]
    for run_id in newer:
        answer = await examples.start(
            "refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id
        )
        assert answer.json()["workflowStatus"] == "WAITING", answer.text
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303

    listed = await _listed(console, "/console/runs?workflow=account-verification", older)
    assert older in listed
    assert not any(run_id in listed for run_id in newer)
    waiting = await _listed(console, "/console/inbox?workflow=account-verification", older)
    assert older in waiting


async def test_a_filter_that_is_not_an_id_is_a_problem_on_the_page(
    console: ConsoleUser, tenant: str
) -> None:
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303
    injected = await console.http.get("/console/runs", params={"node": "x' OR DriftTenant != 'y"})
    assert injected.status_code == 400
    assert "node" in injected.text
    assert "is not an id" in injected.text
    inbox = await console.http.get("/console/inbox", params={"workflow": 'a" OR 1=1'})
    assert inbox.status_code == 400
    assert "workflow" in inbox.text


RUN_LINK = re.compile(r'<a href="/console/runs/(run-[0-9a-f]+)">')
NEXT_LINK = re.compile(r'<a class="button" href="(/console/runs\?[^"]+)">Next page</a>')


async def test_pages_follow_their_cursor_and_the_time_filters_hold(
    console: ConsoleUser, examples: Api, tenant: str
) -> None:
    begun = dt.datetime.now(dt.UTC)
    run_ids = [new_run_id() for _ in range(NEWER_RUNS)]
    for run_id in run_ids:
        answer = await examples.start(
            "refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id
        )
        assert answer.json()["workflowStatus"] == "WAITING", answer.text
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303

    first = second = ""
    for _ in range(50):  # until visibility holds every run (the oldest is on page 2)
        first = (await console.page("/console/runs?workflow=refund&status=WAITING")).text
        if len(RUN_LINK.findall(first)) == 25 and NEXT_LINK.search(first):
            following = NEXT_LINK.search(first)
            assert following is not None
            second = (await console.page(html.unescape(following.group(1)))).text
            if len(RUN_LINK.findall(second)) == NEWER_RUNS - 25:
                break
        await asyncio.sleep(0.1)
    on_first, on_second = RUN_LINK.findall(first), RUN_LINK.findall(second)
    assert on_first == run_ids[::-1][:25]  # newest first
    assert on_second == run_ids[::-1][25:]
    assert NEXT_LINK.search(second) is None

    later = (begun + dt.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    earlier = (begun - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    none_after = await console.page(f"/console/runs?after={later}")
    assert none_after.status_code == 200
    assert not RUN_LINK.findall(none_after.text)
    assert "No runs on this page match." in none_after.text
    assert not RUN_LINK.findall((await console.page(f"/console/runs?before={earlier}")).text)
    since = RUN_LINK.findall((await console.page(f"/console/runs?after={earlier}")).text)
    assert since == run_ids[::-1][:25]

    forged = await console.page("/console/runs?workflow=refund&cursor=bm90LWEtdG9rZW4")
    assert forged.status_code == 422
    assert "pageToken is not a token of this listing" in forged.text
    not_a_time = await console.page("/console/runs?after=yesterday")
    assert not_a_time.status_code == 400
    assert "is not a time" in not_a_time.text
