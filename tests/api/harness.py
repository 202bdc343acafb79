"""The API under test: a real app over a real store, Temporal and worker, driven over HTTP.

:class:`Api` wraps an HTTP client of the app with the caller's headers; the examples are
published through the API itself; :class:`CallbackReceiver` is a local HTTP server
that records what the worker POSTs and checks each signature.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec

from drift_api import ApiSettings, hash_api_key
from drift_api.main import serving
from drift_worker.devserver import DevServer, free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FOLDERS = ("refund", "account-verification", "appointment", "order-checks")
PEPPER = "test-pepper"
BOOTSTRAP_KEY = "bootstrap-key-for-tests"


def tenant_key(tenant: str) -> tuple[str, str]:
    """A key for ``tenant`` and its ``DRIFT_API_KEYS`` entry."""
    key = f"key-{tenant}"
    return key, f"{tenant}:k1:{hash_api_key(key, PEPPER)}"


@dataclass
class Api:
    """One tenant's view of the API over HTTP."""

    http: httpx.AsyncClient
    tenant: str
    key: str | None = None
    client_id: str = "tests"

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"X-Tenant-Id": self.tenant, "X-Client-Id": self.client_id}
        if self.key is not None:
            headers["X-Api-Key"] = self.key
        headers.update(extra)
        return headers

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(), **kwargs.pop("headers", {})}
        return await self.http.request(method, url, headers=headers, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)

    def as_tenant(self, tenant: str, key: str | None = None) -> Api:
        return Api(http=self.http, tenant=tenant, key=key)

    async def start(
        self,
        workflow: str,
        params: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        body = {"workflowDefinitionId": workflow, "params": params, **extra}
        return await self.post("/v3/workflow/start", json=body, headers=headers or {})

    async def resume(
        self, run_id: str, selected: dict[str, list[str]], **extra: Any
    ) -> httpx.Response:
        body = {"viewResponse": {"selectedOptions": selected}, **extra}
        return await self.put(f"/v3/workflow/resume/{run_id}", json=body)


async def publish_examples(api: Api) -> None:
    """Create, publish and (workflows) activate every example over HTTP."""
    for folder in EXAMPLE_FOLDERS:
        for path in sorted((EXAMPLES / folder / "nodes").glob("*.json")):
            created = await api.post("/nodeDefinition", content=path.read_bytes())
            assert created.status_code == 201, created.text
            node_id = created.json()["definition"]["id"]
            published = await api.post(f"/nodeDefinition/{node_id}/publish")
            assert published.status_code == 200, published.text
    for folder in EXAMPLE_FOLDERS:
        for path in sorted((EXAMPLES / folder / "workflows").glob("*.json")):
            created = await api.post("/workflowDefinition", content=path.read_bytes())
            assert created.status_code == 201, created.text
            workflow_id = created.json()["definition"]["id"]
            published = await api.post(f"/workflowDefinition/{workflow_id}/publish")
            assert published.status_code == 200, published.text
            number = published.json()["version"]
            activated = await api.post(
                f"/workflowDefinition/{workflow_id}/activate", json={"version": number}
            )
            assert activated.status_code == 200, activated.text


def new_run_id() -> str:
    return f"run-{uuid.uuid4().hex[:12]}"


@contextlib.asynccontextmanager
async def served_for_real(
    settings: ApiSettings, store_url: str, **changes: Any
) -> AsyncIterator[ApiSettings]:
    """The API served by granian on free loopback ports over ``store_url``, once it answers.

    ``changes`` are further settings (e.g. ``metrics_port=0``, a shorter sync timeout).
    """
    fields: dict[str, Any] = {
        "store_url": store_url,
        "host": "127.0.0.1",
        "app_port": free_port(),
        "admin_port": free_port(),
        "metrics_port": free_port(),
    }
    real = msgspec.structs.replace(settings, **(fields | changes))
    async with serving(real):
        async with httpx.AsyncClient() as probe:
            for _ in range(200):
                try:
                    await probe.get(f"http://127.0.0.1:{real.admin_port}/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        yield real


@contextlib.contextmanager
def frozen(server: DevServer) -> Iterator[None]:
    """Freeze a dev server for the block (SIGSTOP: every call to it hangs), then thaw it."""
    assert server.pid is not None
    os.killpg(server.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(server.pid, signal.SIGCONT)
