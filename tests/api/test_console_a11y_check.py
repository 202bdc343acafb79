"""The axe-like check finds what it must find (it would otherwise prove nothing)."""

from __future__ import annotations

from playwright.async_api import async_playwright

from tests.api.console_a11y import unnamed_elements, unnamed_on
from tests.api.test_console_browser import chromium_path

SNAPSHOT = """\
- banner:
  - link "Drift console":
    - /url: /console/
  - navigation "Main":
    - link "Inbox":
      - /url: /console/inbox
- main:
  - textbox "Reason"
  - textbox
  - textbox: typed but unlabelled
  - combobox "Status":
    - option "any" [selected]
  - checkbox "Yes, stop this run for good"
  - checkbox [checked]
  - button "Sign out"
  - button
  - img "The workflow refund"
  - img
  - link:
    - /url: /console/runs/x
  - heading "Runs" [level=1]
  - text: a status word
"""


def test_unnamed_controls_links_and_images_are_found() -> None:
    assert unnamed_elements(SNAPSHOT) == [
        "- textbox",
        "- textbox: typed but unlabelled",
        "- checkbox [checked]",
        "- button",
        "- img",
        "- link:",
    ]


def test_a_fully_named_page_passes() -> None:
    named = [line for line in SNAPSHOT.splitlines() if '"' in line or "/url" in line]
    assert unnamed_elements("\n".join(named)) == []


async def test_chromium_reports_what_the_check_reads() -> None:
    """In the real browser: an unlabelled input, icon button and image are found."""
    page_html = """<main>
      <label for="a">Reason</label><input id="a">
      <input id="b">
      <label><input type="checkbox"> Yes</label>
      <select id="s"><option>x</option></select>
      <button type="button">Send</button><button type="button"></button>
      <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="a graph">
      <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
      <a href="/x">A run</a>
    </main>"""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox"]
        )
        page = await browser.new_page()
        await page.set_content(page_html)
        found = await unnamed_on(page)
        await browser.close()
    assert [line.split()[1].rstrip(":") for line in found] == [
        "textbox",
        "combobox",
        "button",
        "img",
    ], found
