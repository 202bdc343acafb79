"""Local HTTP peers of the end-to-end tests: the examples' services and a callback receiver."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from drift_cli.demo import VALID_CODE, DemoServices

__all__ = ["VALID_CODE", "CallbackReceiver", "Services"]

Services = DemoServices
"""The examples' HTTP peers (the same demo services ``drift dev`` runs)."""


@dataclass
class CallbackReceiver:
    """A local endpoint that records the callbacks it receives."""

    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/drift"

    async def receive(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks/drift", self.receive)
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
