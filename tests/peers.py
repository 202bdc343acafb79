"""The peers end-to-end tests talk to: the examples' services and a callback receiver."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from drift_cli.demo import VALID_CODE, DemoServices
from drift_models import SignatureError, verify_callback

__all__ = ["CALLBACK_SECRET", "VALID_CODE", "CallbackReceiver", "Services"]

CALLBACK_SECRET = "callback-secret-for-tests"

Services = DemoServices
"""The examples' HTTP peers (the same demo services ``drift dev`` runs)."""


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
