"""A back end that fails until fixed, and a workflow that charges through it (redrive tests)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from tests.api.harness import Api

CHARGE_ATTEMPTS = 2


class Backend:
    """A local HTTP stub that counts its hits: ``/profile`` always answers; ``/charge`` answers 500 while ``broken``."""

    def __init__(self) -> None:
        self.broken = True
        self.delay_seconds = 0.0
        self.hits: dict[str, int] = {"profile": 0, "charge": 0}
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _profile(self, request: web.Request) -> web.Response:
        del request
        self.hits["profile"] += 1
        return web.json_response({"customer": "c-1"})

    async def _charge(self, request: web.Request) -> web.Response:
        del request
        self.hits["charge"] += 1
        if self.broken:
            return web.json_response({"error": "down"}, status=500)
        await asyncio.sleep(self.delay_seconds)
        return web.json_response({"charged": True})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/profile", self._profile)
        app.router.add_post("/charge", self._charge)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def node(kind: str, name: str, config: dict[str, Any]) -> dict[str, Any]:
    """An inline node definition."""
    return {"type": kind, "id": name, "name": name, "config": config}


def charge_workflow(base: str, workflow_id: str = "charge") -> dict[str, Any]:
    """profile (HTTP) → prepare (SCRIPT) → charge (HTTP) → done; charge's failure is routed."""
    return {
        "id": workflow_id,
        "startNode": "profile",
        "defaultFailureNode": "failed",
        "states": {
            "profile": {
                "nodeDefinition": node("HTTP", "profile", {"url": f"{base}/profile"}),
                "nextNode": "prepare",
            },
            "prepare": {
                "nodeDefinition": node("SCRIPT", "prepare", {"script": "{'amount': 42}"}),
                "nextNode": "charge",
            },
            "charge": {
                "nodeDefinition": {
                    **node("HTTP", "charge", {"method": "POST", "url": f"{base}/charge"}),
                    "retry": {"maximumAttempts": CHARGE_ATTEMPTS, "initialIntervalSeconds": 0.1},
                },
                "nextNode": "done",
                "onError": "noteFailure",
            },
            "noteFailure": {
                "nodeDefinition": node("SCRIPT", "noteFailure", {"script": "{'noted': True}"}),
                "nextNode": "failed",
            },
            "failed": {"nodeDefinition": node("FAILURE", "failed", {"disposition": "NOT_PAID"})},
            "done": {"nodeDefinition": node("SUCCESS", "done", {"disposition": "PAID"})},
        },
    }


async def publish_workflow(api: Api, body: dict[str, Any]) -> None:
    """Create, publish and activate a workflow over HTTP."""
    created = await api.post("/workflowDefinition", json=body)
    assert created.status_code == 201, created.text
    published = await api.post(f"/workflowDefinition/{body['id']}/publish")
    assert published.status_code == 200, published.text
    activated = await api.post(
        f"/workflowDefinition/{body['id']}/activate", json={"version": published.json()["version"]}
    )
    assert activated.status_code == 200, activated.text
