"""Local HTTP services the examples call: orders and accounts, on a free loopback port."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ORDERS: dict[str, dict[str, Any]] = {
    "A-100": {
        "id": "A-100",
        "status": "DELIVERED",
        "total": 80.0,
        "currency": "EUR",
        "daysSinceDelivery": 10,
    },
    "A-200": {
        "id": "A-200",
        "status": "DELIVERED",
        "total": 50.0,
        "currency": "EUR",
        "daysSinceDelivery": 200,
    },
    "A-300": {
        "id": "A-300",
        "status": "DELIVERED",
        "total": 99.0,
        "currency": "EUR",
        "daysSinceDelivery": 45,
    },
}
VALID_CODE = "424242"


@dataclass
class Services:
    """The fake back ends, with what they received."""

    calls: list[str] = field(default_factory=list)
    delay_seconds: float = 0.0
    failures_before_success: int = 0
    runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/orders/{order_id}", self.order)
        app.router.add_get("/accounts/{account_id}", self.account)
        app.router.add_post("/accounts/{account_id}/codes", self.send_code)
        app.router.add_post("/accounts/{account_id}/verifications", self.verify)
        return app

    async def order(self, request: web.Request) -> web.Response:
        order_id = request.match_info["order_id"]
        self.calls.append(f"GET /orders/{order_id}")
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self.failures_before_success > 0:
            self.failures_before_success -= 1
            return web.json_response({"error": "busy"}, status=503)
        order = ORDERS.get(order_id)
        if order is None:
            return web.json_response({"error": "no such order"}, status=404)
        return web.json_response(order)

    async def account(self, request: web.Request) -> web.Response:
        account_id = request.match_info["account_id"]
        self.calls.append(f"GET /accounts/{account_id}")
        return web.json_response(
            {"id": account_id, "holder": "Ada Lovelace", "phone": "+44 20 7946 0018"}
        )

    async def send_code(self, request: web.Request) -> web.Response:
        self.calls.append(f"POST /accounts/{request.match_info['account_id']}/codes")
        return web.json_response({"sent": True}, status=201)

    async def verify(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(f"POST verify {body.get('code')}")
        if body.get("code") == VALID_CODE:
            return web.json_response({"valid": True, "attemptsLeft": 3})
        return web.json_response({"valid": False, "attemptsLeft": 2}, status=422)

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app())
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        assert sockets
        self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


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
