"""An axe-like check of a console page in Chromium: what a screen reader and a keyboard meet.

:func:`unnamed_elements` reads Playwright's ARIA snapshot of a page (the accessibility
tree Chromium computes, as YAML lines such as ``- textbox "Reason"``) and names every
form control, link or image that has no accessible name: an input without a label, an
icon button, an image without ``alt``. :func:`tab_to` proves an element is reachable
with the Tab key alone.
"""

from __future__ import annotations

import re
from typing import Final

from playwright.async_api import Locator, Page

NAMED_ROLES: Final = frozenset({
    "button", "checkbox", "combobox", "img", "link", "listbox", "radio", "searchbox",
    "slider", "spinbutton", "switch", "textbox",
})  # fmt: skip
"""Roles an element must carry a name in."""

_NODE: Final = re.compile(r"^\s*- (?P<role>[a-z]+)(?P<rest>.*)$")


def unnamed_elements(snapshot: str) -> list[str]:
    """The snapshot's lines of controls, links and images that have no accessible name."""
    found = []
    for line in snapshot.splitlines():
        node = _NODE.match(line)
        if node is None or node.group("role") not in NAMED_ROLES:
            continue
        rest = node.group("rest").lstrip()
        if not rest.startswith(('"', "/")) or rest.startswith(('""', "/url")):
            found.append(line.strip())
    return found


async def unnamed_on(page: Page) -> list[str]:
    """The unnamed controls, links and images of the whole page now shown."""
    return unnamed_elements(await page.locator("body").aria_snapshot())


async def tab_to(page: Page, target: Locator, limit: int = 80) -> int:
    """Press Tab until ``target`` has the focus; how many presses it took.

    Raises:
        AssertionError: when ``limit`` presses never reach it.
    """
    for presses in range(1, limit + 1):
        await page.keyboard.press("Tab")
        if await target.evaluate("element => element === document.activeElement"):
            return presses
    msg = f"Tab never reached {target} in {limit} presses"
    raise AssertionError(msg)
