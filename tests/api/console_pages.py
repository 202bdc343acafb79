"""Helpers of the console tests: a signed-in browser-like HTTP client of the console."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF.search(html)
    assert found is not None, html[:2000]
    return found.group(1)


@dataclass
class ConsoleUser:
    """One person's browser session on the console (cookies kept by the client)."""

    http: httpx.AsyncClient

    async def sign_in(self, key: str, tenant: str = "") -> httpx.Response:
        form = await self.http.get("/console/sign-in")
        assert form.status_code == 200, form.text
        return await self.http.post(
            "/console/sign-in",
            data={
                "csrf": csrf_of(form.text),
                "key": key,
                "tenant": tenant,
                "next": "/console/inbox",
            },
        )

    async def page(self, path: str) -> httpx.Response:
        return await self.http.get(path)

    async def post_form(self, page: str, action: str, fields: dict[str, str]) -> httpx.Response:
        shown = await self.http.get(page)
        assert shown.status_code == 200, shown.text
        return await self.http.post(action, data={"csrf": csrf_of(shown.text), **fields})
