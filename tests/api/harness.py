"""The API under test: a real app over a real store, Temporal and worker, driven over HTTP.

:class:`Api` wraps an HTTP client of the app with the caller's headers; the examples are
published through the API itself; :class:`CallbackReceiver` is a local HTTP server
that records what the worker POSTs and checks each signature.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from drift_api import hash_api_key
from drift_models import SignatureError, verify_callback

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FOLDERS = ("refund", "account-verification", "appointment")
PEPPER = "test-pepper"
BOOTSTRAP_KEY = "bootstrap-key-for-tests"
CALLBACK_SECRET = "callback-secret-for-tests"


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


@dataclass
class CallbackReceiver:
    """A local HTTP server that records callbacks and checks their signatures."""

    secret: str = CALLBACK_SECRET
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    runner: web.AppRunner | None = None
    port: int = 0
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verify_callback(self.secret, body, request.headers.get("X-Drift-Signature"))
        except SignatureError as error:
            self.rejected.append(str(error))
            return web.Response(status=401)
        self.received.append(
            {
                "body": await request.json(),
                "sequence": request.headers.get("X-Drift-Sequence"),
                "runId": request.headers.get("X-Drift-Run-Id"),
            }
        )
        self._arrived.set()
        return web.Response(status=204)

    async def wait_for(self, run_id: str, status: str, seconds: float = 20.0) -> dict[str, Any]:
        async with asyncio.timeout(seconds):
            while True:
                for item in self.received:
                    body = item["body"]
                    if body["workflowId"] == run_id and body["workflowStatus"] == status:
                        return item
                self._arrived.clear()
                await self._arrived.wait()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/callback", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        assert sockets
        self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
