"""Demo back ends for the examples: an orders and an accounts service on loopback.

``drift dev`` runs them so the examples work on a machine with nothing else installed;
the tests use them as the examples' real HTTP peers. Knobs let tests slow a service down
or make it fail a few times first.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

__all__ = ["ORDERS", "VALID_CODE", "DemoServices"]

ORDERS: Final[dict[str, dict[str, Any]]] = {
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
"""The orders the demo orders service knows."""

VALID_CODE: Final = "424242"
"""The one-time code the demo accounts service accepts."""


@dataclass
class DemoServices:
    """The demo orders and accounts services, and what they were asked.

    Attributes:
        calls: one line per request received, in order.
        delay_seconds: how long the orders service takes to answer.
        failures_before_success: how many order requests answer 503 first.
        port: the port they listen on (0 until started; or fixed before starting).
    """

    calls: list[str] = field(default_factory=list)
    delay_seconds: float = 0.0
    failures_before_success: int = 0
    port: int = 0
    _runner: web.AppRunner | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The services' base address."""
        return f"http://127.0.0.1:{self.port}"

    def application(self) -> web.Application:
        """The aiohttp application serving both services."""
        app = web.Application()
        app.router.add_get("/orders/{order_id}", self._order)
        app.router.add_get("/accounts/{account_id}", self._account)
        app.router.add_post("/accounts/{account_id}/codes", self._send_code)
        app.router.add_post("/accounts/{account_id}/verifications", self._verify)
        return app

    async def start(self) -> None:
        """Listen on 127.0.0.1 (on ``port``, or a free one)."""
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)  # noqa: SLF001 - the bound port
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _order(self, request: web.Request) -> web.Response:
        order_id = request.match_info["order_id"]
        self.calls.append(f"GET /orders/{order_id}")
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self.failures_before_success > 0:
            self.failures_before_success -= 1
            return web.json_response({"error": "busy"}, status=503)
        order = ORDERS.get(order_id)
        if order is None:
            return web.json_response({"error": f"no order {order_id}"}, status=404)
        return web.json_response(order)

    async def _account(self, request: web.Request) -> web.Response:
        account_id = request.match_info["account_id"]
        self.calls.append(f"GET /accounts/{account_id}")
        account = {"id": account_id, "holder": "Ada Lovelace", "phone": "+44 20 7946 0018"}
        return web.json_response(account)

    async def _send_code(self, request: web.Request) -> web.Response:
        self.calls.append(f"POST /accounts/{request.match_info['account_id']}/codes")
        return web.json_response({"sent": True}, status=201)

    async def _verify(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(f"POST verify {body.get('code')}")
        if body.get("code") == VALID_CODE:
            return web.json_response({"valid": True, "attemptsLeft": 3})
        return web.json_response({"valid": False, "attemptsLeft": 2}, status=422)
