"""The console over the real API app, Temporal and worker: sign-in, runs, answers, tenancy."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from tests.api.conftest import asgi
from tests.api.console_pages import ConsoleUser, csrf_of
from tests.api.harness import BOOTSTRAP_KEY, Api, new_run_id, tenant_key


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


async def test_pages_need_a_sign_in_and_a_bad_key_is_refused(
    console: ConsoleUser, tenant: str
) -> None:
    answer = await console.page("/console/runs")
    assert answer.status_code == 302
    assert answer.headers["location"].startswith("/console/sign-in?next=")
    wrong = await console.sign_in("not-a-key")
    assert wrong.status_code == 401
    assert "the API key is not valid" in wrong.text
    other_tenant = await console.sign_in(tenant_key(tenant)[0], tenant="other")
    assert other_tenant.status_code == 403
    assert "may not act for tenant" in other_tenant.text
    everyone = await console.sign_in(BOOTSTRAP_KEY)
    assert everyone.status_code == 400
    assert "name the tenant" in everyone.text
    operator = await console.sign_in(BOOTSTRAP_KEY, tenant=tenant)
    assert operator.status_code == 303

    # Behind a proxy that speaks https, the cookie is Secure (and so not sent back over
    # the plain http this test speaks).
    https = {"X-Forwarded-Proto": "https"}
    form = await console.http.get("/console/sign-in", headers=https)
    assert "Secure" in form.headers["set-cookie"]


async def test_sign_in_cookie_answer_a_view_and_sign_out(
    console: ConsoleUser, examples: Api, tenant: str
) -> None:
    signed = await console.sign_in(tenant_key(tenant)[0])
    assert signed.status_code == 303, signed.text
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # served over plain http here

    run_id = new_run_id()
    started = await examples.start(
        "refund", {"orderId": "A-100", "reason": "dented"}, workflowId=run_id
    )
    assert started.json()["workflowStatus"] == "WAITING", started.text

    inbox = await console.page("/console/inbox")
    assert inbox.status_code == 200
    assert run_id in inbox.text
    assert "refund-confirmation" in inbox.text
    listed = await console.page("/console/runs?status=WAITING&workflow=refund&node=confirmRefund")
    assert run_id in listed.text
    assert run_id not in (await console.page("/console/runs?status=COMPLETED")).text

    page = await console.page(f"/console/runs/{run_id}")
    assert page.status_code == 200
    assert 'name="opt:decision" value="approve"' in page.text
    assert "Approve the refund" in page.text
    assert "(required)" in page.text

    # No decision: the API's refusal shows beside the widget it names.
    refused = await console.post_form(
        f"/console/runs/{run_id}", f"/console/runs/{run_id}/resume", {"opt:note": "hello"}
    )
    assert refused.status_code == 422, refused.text
    assert 'id="p-decision"' in refused.text
    assert 'value="hello"' in refused.text  # what was typed is kept

    answered = await console.post_form(
        f"/console/runs/{run_id}",
        f"/console/runs/{run_id}/resume",
        {"opt:decision": "approve", "opt:note": "thanks"},
    )
    assert answered.status_code == 303, answered.text
    done = await console.page(answered.headers["location"])
    assert "COMPLETED" in done.text
    assert "Your answer was accepted" in done.text
    assert "RESUMED" in done.text  # the timeline
    assert "routeDecision" in done.text  # a node's output
    graph = await console.page(f"/console/runs/{run_id}/graph.svg")
    assert graph.status_code == 200
    assert graph.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in graph.content

    state = await examples.get(f"/v3/workflow/{run_id}")
    assert state.json()["workflowStatus"] == "COMPLETED"

    definitions = await console.page("/console/definitions")
    assert "refund" in definitions.text
    assert "confirm-refund" in definitions.text
    definition = await console.page("/console/definitions/workflow/refund")
    assert definition.status_code == 200, definition.text[-1500:]
    assert "ACTIVE" in definition.text
    assert "lookupOrder" in definition.text

    out = await console.post_form("/console/inbox", "/console/sign-out", {})
    assert out.status_code == 303
    assert (await console.page("/console/inbox")).status_code == 302


async def test_a_tenant_sees_none_of_another_tenants_runs(
    console: ConsoleUser, stranger: ConsoleUser, examples: Api, tenant: str
) -> None:
    run_id = new_run_id()
    await examples.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303
    assert run_id in (await console.page("/console/runs")).text

    assert (await stranger.sign_in(tenant_key("other")[0])).status_code == 303
    assert run_id not in (await stranger.page("/console/runs")).text
    assert run_id not in (await stranger.page("/console/inbox")).text
    assert (await stranger.page(f"/console/runs/{run_id}")).status_code == 404
    assert (await stranger.page(f"/console/runs/{run_id}/graph.svg")).status_code == 404
    assert (await stranger.page(f"/console/runs/{run_id}/live")).status_code == 404
    assert (await stranger.page("/console/definitions/workflow/refund")).status_code == 404
    answer = await stranger.post_form(
        "/console/inbox", f"/console/runs/{run_id}/resume", {"opt:decision": "approve"}
    )
    assert answer.status_code == 404
    state = await examples.get(f"/v3/workflow/{run_id}")
    assert state.json()["workflowStatus"] == "WAITING"


async def test_a_post_without_the_sessions_token_is_refused(
    console: ConsoleUser, examples: Api, tenant: str
) -> None:
    run_id = new_run_id()
    await examples.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303
    action = f"/console/runs/{run_id}/resume"
    missing = await console.http.post(action, data={"opt:decision": "approve"})
    assert missing.status_code == 403
    forged = await console.http.post(action, data={"csrf": "forged", "opt:decision": "approve"})
    assert forged.status_code == 403
    page = await console.page(f"/console/runs/{run_id}")
    cross_site = await console.http.post(
        action,
        data={"csrf": csrf_of(page.text), "opt:decision": "approve"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross_site.status_code == 403
    state = await examples.get(f"/v3/workflow/{run_id}")
    assert state.json()["workflowStatus"] == "WAITING"
    tampered = console.http.cookies["drift_console"][:-2] + "xx"
    console.http.cookies.clear()
    console.http.cookies.set("drift_console", tampered)
    assert (await console.page("/console/runs")).status_code == 302


async def test_utility_calls_and_events_show_their_answers(
    console: ConsoleUser, examples: Api, tenant: str
) -> None:
    run_id = new_run_id()
    await examples.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303
    page = f"/console/runs/{run_id}"
    called = await console.post_form(
        page,
        f"{page}/utility",
        {"node": "lookupOrder", "parameters": '{"orderId": "A-300"}'},
    )
    assert called.status_code == 200, called.text
    assert 'id="action-result"' in called.text
    assert "Utility state lookupOrder" in called.text
    assert "COMPLETED" in called.text
    assert "A-300" in called.text

    not_json = await console.post_form(
        page, f"{page}/utility", {"node": "lookupOrder", "parameters": '{"orderId": '}
    )
    assert not_json.status_code == 422
    assert "parameters is not JSON" in not_json.text
    assert "line 1, column" in not_json.text
    unknown = await console.post_form(page, f"{page}/utility", {"node": "nowhere"})
    assert unknown.status_code == 422
    assert "nowhere" in unknown.text

    sent = await console.post_form(page, f"{page}/event", {"event": "poke", "payload": "[1]"})
    assert sent.status_code == 200, sent.text
    assert "Event poke delivered" in sent.text
    bad_name = await console.post_form(page, f"{page}/event", {"event": "a b"})
    assert bad_name.status_code == 422
    state = await examples.get(f"/v3/workflow/{run_id}")
    assert state.json()["workflowStatus"] == "WAITING"


async def test_publish_activate_and_roll_back_a_definition(
    console: ConsoleUser, stranger: ConsoleUser, examples: Api, tenant: str
) -> None:
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303
    page = "/console/definitions/workflow/refund"
    published = await console.post_form(page, f"{page}/publish", {})
    assert published.status_code == 303, published.text
    shown = await console.page(published.headers["location"])
    assert "published as version 2" in shown.text
    activated = await console.post_form(page, f"{page}/activate", {"version": "2"})
    assert "version 2 is ACTIVE" in (await console.page(activated.headers["location"])).text
    rolled = await console.post_form(page, f"{page}/rollback", {})
    assert "version 1 is ACTIVE" in (await console.page(rolled.headers["location"])).text
    versions = (await examples.get("/workflowDefinition/refund/versions")).json()
    assert [(v["version"], v["isActive"]) for v in versions] == [(1, True), (2, False)]

    bad = await console.post_form(page, f"{page}/activate", {"version": "two"})
    assert bad.status_code == 422
    assert "choose a published version number" in bad.text
    assert (await stranger.sign_in(tenant_key("other")[0])).status_code == 303
    theirs = await stranger.post_form("/console/definitions", f"{page}/publish", {})
    assert theirs.status_code == 404


async def test_an_unconfirmed_terminate_changes_nothing(
    console: ConsoleUser, examples: Api, tenant: str
) -> None:
    run_id = new_run_id()
    await examples.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303
    page = f"/console/runs/{run_id}"
    refused = await console.post_form(page, f"{page}/terminate", {"reason": "oops"})
    assert refused.status_code == 422
    assert "tick the confirmation box to terminate the run" in refused.text
    state = await examples.get(f"/v3/workflow/{run_id}")
    assert state.json()["workflowStatus"] == "WAITING"


async def test_a_definitions_problems_show_and_another_tenant_lists_none(
    console: ConsoleUser, stranger: ConsoleUser, examples: Api, tenant: str
) -> None:
    draft = {
        "id": "half-done",
        "startNode": "look",
        "states": {
            "look": {
                "resourceId": "lookup-order",
                "resourceVersion": "LATEST",
                "parameters": {"orderId": "$.params.orderId"},
            }
        },
    }
    saved = await examples.post("/workflowDefinition", json=draft)
    assert saved.status_code == 201, saved.text
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303
    listed = await console.page("/console/definitions")
    assert 'href="/console/definitions/workflow/half-done?version=SNAPSHOT"' in listed.text
    shown = await console.page("/console/definitions/workflow/half-done")  # no LATEST: draft
    assert shown.status_code == 200, shown.text[-2000:]
    assert "<code>$.states.look.parameters.orderId</code>" in shown.text
    assert "does not declare in parameters" in shown.text
    assert "No problems." in (await console.page("/console/definitions/workflow/refund")).text

    assert (await stranger.sign_in(tenant_key("other")[0])).status_code == 303
    theirs = await stranger.page("/console/definitions")
    assert theirs.status_code == 200
    assert "half-done" not in theirs.text
    assert "confirm-refund" not in theirs.text


async def test_a_run_pages_live_fingerprint_follows_the_run(
    console: ConsoleUser, examples: Api, tenant: str
) -> None:
    run_id = new_run_id()
    await examples.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert (await console.sign_in(tenant_key(tenant)[0])).status_code == 303
    page = await console.page(f"/console/runs/{run_id}")
    # The page carries what its script compares with the run's live fingerprint.
    live = (await console.page(f"/console/runs/{run_id}/live")).json()
    assert (live["status"], live["final"]) == ("WAITING", False)
    assert f'data-fingerprint="{live["fingerprint"]}"' in page.text
    assert live == (await console.page(f"/console/runs/{run_id}/live")).json()  # unchanged

    answered = await examples.resume(run_id, {"decision": ["approve"]})
    assert answered.json()["workflowStatus"] == "COMPLETED", answered.text
    ended = (await console.page(f"/console/runs/{run_id}/live")).json()
    assert (ended["status"], ended["final"]) == ("COMPLETED", True)
    assert ended["fingerprint"] != live["fingerprint"]
    done = await console.page(f"/console/runs/{run_id}")
    assert 'id="run-live"' not in done.text  # an ended run has nothing to follow
