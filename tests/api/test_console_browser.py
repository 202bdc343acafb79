"""The console in a real Chromium (Debian's, driven by Playwright) over a real served API.

One test walks the whole path a person takes: the dev sign-in link, the filters and the
inbox, a refused answer and a good one, the COMPLETED run with its timeline and its
context, a run terminated with the keyboard alone, a failed run redriven once its back
end is fixed, another tenant who sees nothing, a
forged post from another origin, and signing out; nothing is loaded from anywhere but the
console itself; on every page it visits, every control,
link and image has an accessible name and every status is a word, not only a colour.
Another test watches open runs' pages follow their runs without a reload. A machine
without Chromium fails here (CI installs it).

The screenshots in docs/console/ are these tests' own: regenerate them with
``DRIFT_CONSOLE_SCREENSHOTS=docs/console uv run pytest tests/api/test_console_browser.py``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, async_playwright, expect

from drift_api import ApiSettings
from drift_models import RunStatus
from drift_worker.devserver import free_port
from drift_worker.runtime import RunningWorker
from tests.api.charging import CHARGE_ATTEMPTS, Backend, charge_workflow, publish_workflow
from tests.api.console_a11y import tab_to, unnamed_on
from tests.api.harness import Api, new_run_id, publish_examples, served_for_real, tenant_key

STATUS_WORDS = {status.value for status in RunStatus}


def chromium_path() -> str:
    """Debian's Chromium (``DRIFT_CHROMIUM`` to point elsewhere); missing is a failure."""
    path = os.environ.get("DRIFT_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium is not installed: apt-get install -y --no-install-recommends "
            "chromium fonts-dejavu-core (or set DRIFT_CHROMIUM)"
        )
    return path


@pytest.fixture
async def base_url(
    worker: RunningWorker, settings: ApiSettings, store_url: str
) -> AsyncIterator[str]:
    del worker  # runs the examples in the background
    async with served_for_real(settings, store_url, metrics_port=0) as real:
        yield f"http://127.0.0.1:{real.app_port}"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox"]
        )
        yield launched
        await launched.close()


def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``DRIFT_CONSOLE_SCREENSHOTS`` if set, else the test's tmp dir."""
    folder = Path(os.environ.get("DRIFT_CONSOLE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def accessible(page: Page) -> None:
    """Every control, link and image named; every status shown as a word."""
    assert await unnamed_on(page) == [], page.url
    for word in await page.locator(".status").all_inner_texts():
        assert word.strip().lstrip("✓✕◐▶ ") in STATUS_WORDS, (page.url, word)


async def sign_in(page: Page, base_url: str, key: str, folder: Path | None = None) -> None:
    # The link `drift dev` prints: the key rides in the fragment and fills the form.
    await page.goto(f"{base_url}/console/sign-in#key={key}")
    await expect(page.locator("#key")).to_have_value(key)
    if folder is not None:
        await accessible(page)
        await page.screenshot(path=str(folder / "console-sign-in.png"))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Inbox")).to_be_visible()


async def find_and_answer(page: Page, api: Api, run_id: str, folder: Path) -> None:
    """Through the filters to the run; a refused answer, then a good one; the result."""
    await page.get_by_role("link", name="Runs").click()
    await page.get_by_label("Status").select_option("WAITING")
    await page.get_by_label("Workflow").fill("refund")
    await page.get_by_label("Current node").fill("confirmRefund")
    await page.get_by_role("button", name="Search").click()
    await expect(page).to_have_url(re.compile(r"status=WAITING.*node=confirmRefund"))
    await expect(page.get_by_role("link", name=run_id)).to_be_visible()
    await accessible(page)
    await page.screenshot(path=str(folder / "console-runs.png"))
    await page.get_by_role("link", name=run_id).click()
    await expect(page.locator("#run-status")).to_have_text("WAITING")
    await accessible(page)

    instruction = page.locator("#w-decision .instruction")
    await expect(instruction).to_contain_text("refund-summary")
    await expect(instruction).to_contain_text("dented")  # a template variable, rendered
    # A refused answer first: no decision. The API's problem shows at the widget.
    await page.locator("#f-note").fill("sorry for the dent")
    await page.get_by_role("button", name="Send answer").click()
    await expect(page.locator("#p-decision")).to_be_visible()
    await expect(page.locator("#f-note")).to_have_value("sorry for the dent")
    await accessible(page)
    await page.screenshot(path=str(folder / "console-refused.png"), full_page=True)

    await page.get_by_role("button", name="Approve the refund").click()
    await expect(page.locator("#run-status")).to_have_text("COMPLETED")
    await expect(page.get_by_role("status")).to_contain_text("answer was accepted")
    await expect(page.locator("#timeline")).to_contain_text("RESUMED")
    graph = page.locator("img.graph")
    await expect(graph).to_be_visible()
    assert await graph.evaluate("img => img.naturalWidth") > 0
    await page.get_by_text("Whole context").click()
    await page.get_by_placeholder("key or value").fill("REFUNDED")
    await expect(page.locator("#json-views .j-item.hit").first).to_be_visible()
    await accessible(page)
    await page.screenshot(path=str(folder / "console-run.png"), full_page=True)
    assert (await api.get(f"/v3/workflow/{run_id}")).json()["workflowStatus"] == "COMPLETED"


async def terminate(page: Page, base_url: str, run_id: str) -> None:
    """Terminate a run, confirmed, with a reason: with the keyboard alone."""
    await page.goto(f"{base_url}/console/runs/{run_id}")
    await tab_to(page, page.get_by_label("Reason"), limit=120)
    await page.keyboard.type("customer withdrew")
    await page.keyboard.press("Tab")
    confirm = page.get_by_label("Yes, stop this run for good")
    await expect(confirm).to_be_focused()
    await page.keyboard.press("Space")
    await expect(confirm).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Terminate the run")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#run-status")).to_have_text("TERMINATED")
    await expect(page.get_by_role("status")).to_contain_text("terminated")


async def redrive_a_failed_run(page: Page, api: Api, base_url: str, folder: Path) -> None:
    """A run failed at its HTTP node; the back end is fixed; redriven, it completes."""
    backend = Backend()
    await backend.start()
    try:
        await publish_workflow(api, charge_workflow(backend.url))
        run_id = new_run_id()
        failed = await api.start("charge", {}, workflowId=run_id)
        assert failed.json()["workflowStatus"] == "FAILED", failed.text
        await page.goto(f"{base_url}/console/runs/{run_id}")
        await expect(page.locator("#run-status")).to_have_text("FAILED")
        await expect(page.locator("#run-error")).to_be_visible()
        await accessible(page)
        await page.screenshot(path=str(folder / "console-failed.png"), full_page=True)
        backend.broken = False
        await page.get_by_label("Yes, run the failed state again").check()
        await page.get_by_role("button", name="Redrive the run").click()
        await expect(page.locator("#run-status")).to_have_text("COMPLETED")
        await expect(page.get_by_role("status")).to_contain_text("redriven")
        await expect(page.locator("#redrive-form")).to_have_count(0)
        await expect(page.locator("#timeline")).to_contain_text("REDRIVEN")
        await accessible(page)
        await page.screenshot(path=str(folder / "console-redriven.png"), full_page=True)
        assert backend.hits == {"profile": 1, "charge": CHARGE_ATTEMPTS + 1}
    finally:
        await backend.stop()


async def forge_a_post(page: Page, api: Api, base_url: str) -> str:
    """A page of another origin posts an answer: the cookie goes (same site), no token."""
    waiting = new_run_id()
    await api.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=waiting)
    evil = f"http://127.0.0.1:{free_port()}/prize"
    forged_form = (
        f'<form id="f" method="post" action="{base_url}/console/runs/{waiting}/resume">'
        '<input name="opt:decision" value="approve"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )

    async def serve_evil(route: Route) -> None:
        await route.fulfill(body=forged_form, content_type="text/html")

    await page.route(evil, serve_evil)
    await page.goto(evil)
    await expect(page.get_by_role("heading", name="Refused")).to_be_visible()
    assert (await api.get(f"/v3/workflow/{waiting}")).json()["workflowStatus"] == "WAITING"
    return waiting


async def look_as_a_stranger(browser: Browser, base_url: str, run_ids: list[str]) -> None:
    """Another tenant's session lists none of the runs and cannot open one."""
    stranger = await browser.new_context()
    other = await stranger.new_page()
    await sign_in(other, base_url, tenant_key("other")[0])
    await other.goto(f"{base_url}/console/runs")
    for run_id in run_ids:
        await expect(other.get_by_text(run_id)).to_have_count(0)
    answer = await other.goto(f"{base_url}/console/runs/{run_ids[0]}")
    assert answer is not None
    assert answer.status == 404
    await stranger.close()


PICK_NODE = {
    "id": "pick-city",
    "name": "Pick a city",
    "type": "INSTRUCTION",
    "parameters": ["shops"],
    "config": {
        "layoutId": "city-picker",
        "inputOptions": [
            {
                "id": "shop",
                "description": "Shop",
                "tags": [{"name": "widget", "value": "dropdown"}],
                "possibleDynamicValues": {
                    "source": "{{ shops }}",
                    "displayField": "name",
                    "valueField": "code",
                },
            },
            {
                "id": "country",
                "description": "Country",
                "tags": [{"name": "widget", "value": "dropdown"}],
                "possibleValues": [
                    {"displayValue": "France", "value": "fr"},
                    {"displayValue": "Peru", "value": "pe"},
                ],
            },
            {
                "id": "city",
                "description": "City",
                "parentId": "country",
                "possibleDependentValues": {
                    "fr": [{"displayValue": "Paris", "value": "paris"}],
                    "pe": [{"displayValue": "Lima", "value": "lima"}],
                },
            },
        ],
        "rules": {"required": ["country", "city"], "single": ["country", "city"]},
    },
}
PICK_WORKFLOW = {
    "id": "pick-city",
    "name": "Pick a city",
    "parameters": ["shops"],
    "startNode": "ask",
    "states": {
        "ask": {
            "resourceId": "pick-city",
            "resourceVersion": "LATEST",
            "parameters": {"shops": "$.params.shops"},
            "nextNode": "done",
        },
        "done": {
            "resourceId": "refund-outcome",
            "resourceVersion": "LATEST",
            "parameters": {"outcome": "PICKED", "refund": "$.ask:viewResponse"},
        },
    },
}


async def pick_a_dependent_value(page: Page, api: Api, base_url: str) -> None:
    """Choices from the run's data, and a dropdown following its parent, answered."""
    for kind, body in (("nodeDefinition", PICK_NODE), ("workflowDefinition", PICK_WORKFLOW)):
        created = await api.post(f"/{kind}", json=body)
        assert created.status_code == 201, created.text
        published = await api.post(f"/{kind}/pick-city/publish")
        assert published.status_code == 200, published.text
    run_id = new_run_id()
    shops = [{"name": "Left Bank", "code": "lb"}, {"name": "Miraflores", "code": "mf"}]
    started = await api.start("pick-city", {"shops": shops}, workflowId=run_id, version="LATEST")
    assert started.json()["workflowStatus"] == "WAITING", started.text
    await page.goto(f"{base_url}/console/runs/{run_id}")
    await expect(page.locator("#f-shop option")).to_have_text(
        ["— choose —", "Left Bank", "Miraflores"]
    )
    await page.get_by_label("Shop").select_option(label="Miraflores")
    await page.locator("#f-country").select_option("pe")
    paris = page.locator("#f-city option[value=paris]")
    assert await paris.evaluate("option => option.disabled")
    await page.locator("#f-city").select_option("lima")
    await page.get_by_role("button", name="Send answer").click()
    await expect(page.locator("#run-status")).to_have_text("COMPLETED")
    final = (await api.get(f"/v3/workflow/{run_id}")).json()
    assert final["output"]["refund"]["selectedOptions"] == {
        "shop": ["mf"],
        "country": ["pe"],
        "city": ["lima"],
    }


async def test_a_person_finds_answers_and_ends_runs_in_chromium(
    base_url: str, browser: Browser, tenant: str, tmp_path: Path
) -> None:
    folder = shots(tmp_path)
    key = tenant_key(tenant)[0]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        api = Api(http=http, tenant=tenant, key=key)
        await publish_examples(api)
        refund, doomed = new_run_id(), new_run_id()
        for run_id in (refund, doomed):
            started = await api.start(
                "refund", {"orderId": "A-100", "reason": "dented"}, workflowId=run_id
            )
            assert started.json()["workflowStatus"] == "WAITING", started.text

        context = await browser.new_context(viewport={"width": 1366, "height": 900})
        asked: list[str] = []
        context.on("request", lambda request: asked.append(request.url))
        page = await context.new_page()
        await sign_in(page, base_url, key, folder)
        await expect(page.get_by_role("link", name=refund)).to_be_visible()
        await expect(page.get_by_text("refund-confirmation")).to_be_visible()
        await accessible(page)
        await page.screenshot(path=str(folder / "console-inbox.png"))

        await find_and_answer(page, api, refund, folder)
        await terminate(page, base_url, doomed)
        await redrive_a_failed_run(page, api, base_url, folder)
        await pick_a_dependent_value(page, api, base_url)
        await page.get_by_role("link", name="Definitions").click()
        await expect(page.get_by_role("heading", name="Definitions")).to_be_visible()
        await accessible(page)
        await page.screenshot(path=str(folder / "console-definitions.png"), full_page=True)
        await page.get_by_role("link", name="refund", exact=True).click()
        await expect(page.get_by_text("ACTIVE", exact=True)).to_be_visible()
        await expect(page.locator("img.graph")).to_be_visible()
        await accessible(page)
        await page.screenshot(path=str(folder / "console-definition.png"), full_page=True)
        # Offline: everything the pages loaded came from the console itself.
        assert [url for url in asked if not url.startswith((base_url, "data:"))] == []
        assert f"{base_url}/console/static/console.js" in asked
        waiting = await forge_a_post(page, api, base_url)
        await look_as_a_stranger(browser, base_url, [refund, doomed, waiting])

        # Signing out ends the session.
        await page.goto(f"{base_url}/console/inbox")
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.goto(f"{base_url}/console/runs")
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await context.close()


async def test_an_open_run_page_follows_its_run_without_a_reload(
    base_url: str, browser: Browser, tenant: str
) -> None:
    key = tenant_key(tenant)[0]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        api = Api(http=http, tenant=tenant, key=key)
        await publish_examples(api)
        untouched, typed_in = new_run_id(), new_run_id()
        for run_id in (untouched, typed_in):
            started = await api.start(
                "refund", {"orderId": "A-100", "reason": "dented"}, workflowId=run_id
            )
            assert started.json()["workflowStatus"] == "WAITING", started.text
        context = await browser.new_context(viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        await sign_in(page, base_url, key)

        # Someone else answers the view (here the REST API): the open page shows the end.
        await page.goto(f"{base_url}/console/runs/{untouched}")
        await expect(page.locator("#run-status")).to_have_text("WAITING")
        answered = await api.resume(untouched, {"decision": ["approve"]})
        assert answered.json()["workflowStatus"] == "COMPLETED", answered.text
        await expect(page.locator("#run-status")).to_have_text("COMPLETED", timeout=15_000)
        await expect(page.locator("#view-form")).to_have_count(0)

        # A person halfway through an answer keeps what they typed and is told instead.
        second = await context.new_page()
        await second.goto(f"{base_url}/console/runs/{typed_in}")
        await second.locator("#f-note").fill("half a sentence")
        answered = await api.resume(typed_in, {"decision": ["decline"]})
        assert answered.json()["workflowStatus"] == "COMPLETED", answered.text
        moved = second.locator("#run-moved")
        await expect(moved).to_be_visible(timeout=15_000)
        await expect(moved).to_contain_text("COMPLETED")
        await expect(second.locator("#f-note")).to_have_value("half a sentence")
        await expect(second.locator("#run-status")).to_have_text("WAITING")
        await second.get_by_role("button", name="Show the run as it is now").click()
        await expect(second.locator("#run-status")).to_have_text("COMPLETED")
        await context.close()
