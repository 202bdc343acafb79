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
    """A local HTTP server that records callbacks and checks their signatures.

    ``answers`` scripts the receiver: each request takes the next status from it (and
    is not recorded as received unless that status is 2xx); once it is empty, requests
    are accepted with 204. ``attempts`` lists the sequence header of every request that
    came in, refused or not. While ``gate`` is set and not open, requests wait for it.
    """

    secret: str = CALLBACK_SECRET
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    attempts: list[str | None] = field(default_factory=list)
    gate: asyncio.Event | None = None
    runner: web.AppRunner | None = None
    port: int = 0
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _knocked: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.attempts.append(request.headers.get("X-Drift-Sequence"))
        self._knocked.set()
        if self.gate is not None:
            await self.gate.wait()
        try:
            verify_callback(self.secret, body, request.headers.get("X-Drift-Signature"))
        except SignatureError as error:
            self.rejected.append(str(error))
            return web.Response(status=401)
        status = self.answers.pop(0) if self.answers else 204
        if not 200 <= status < 300:
            return web.Response(status=status)
        self.received.append(
            {
                "body": await request.json(),
                "sequence": request.headers.get("X-Drift-Sequence"),
                "runId": request.headers.get("X-Drift-Run-Id"),
            }
        )
        self._arrived.set()
        return web.Response(status=status)

    async def wait_for_attempts(self, count: int, seconds: float = 20.0) -> None:
        """Return once ``count`` requests have come in (answered or still waiting)."""
        async with asyncio.timeout(seconds):
            while len(self.attempts) < count:
                self._knocked.clear()
                await self._knocked.wait()

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
