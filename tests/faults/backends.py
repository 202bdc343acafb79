"""The examples' demo back ends as a process of their own, counting every call.

``python -m tests.faults.backends --port P`` serves ``drift dev``'s demo orders and
accounts services and records each request (time, method, path). Order ids may carry
a suffix (``A-100-<run id>``): the order is the demo order ``A-100``, and the path
names the run, so the drill can count the calls each run made — a call made twice is a
node executed twice. ``GET /_calls`` answers the record, ``GET /_in-flight`` the
requests being answered now (with the caller's port, to tell which process waits for
them); ``POST /_control`` sets how long the orders service takes (to catch a worker in
the middle of an HTTP node).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from drift_cli.demo import ORDERS, DemoServices

__all__ = ["CountingServices", "main"]


@dataclass
class CountingServices(DemoServices):
    """The demo services, recording every request with its time."""

    record: list[dict[str, Any]] = field(default_factory=list)
    in_flight: dict[int, str] = field(default_factory=dict)

    def application(self) -> web.Application:
        """The demo routes, a recording middleware and the drill's own two routes."""

        @web.middleware
        async def recording(request: web.Request, handler: Any) -> web.StreamResponse:
            if request.path.startswith("/_"):
                control: web.StreamResponse = await handler(request)
                return control
            self.record.append({"at": time.time(), "method": request.method, "path": request.path})
            peer = request.transport.get_extra_info("peername") if request.transport else None
            port = int(peer[1]) if peer else 0
            self.in_flight[port] = request.path
            try:
                response: web.StreamResponse = await handler(request)
            finally:
                self.in_flight.pop(port, None)
            return response

        app = super().application()
        app.middlewares.append(recording)
        app.router.add_get("/_calls", self._calls)
        app.router.add_get("/_in-flight", self._in_flight)
        app.router.add_post("/_control", self._control)
        return app

    async def _order(self, request: web.Request) -> web.Response:
        order_id = request.match_info["order_id"]
        base = order_id[:5]
        if order_id not in ORDERS and base in ORDERS:
            ORDERS[order_id] = {**ORDERS[base], "id": order_id}
        return await super()._order(request)

    async def _calls(self, _: web.Request) -> web.Response:
        return web.json_response(self.record)

    async def _in_flight(self, _: web.Request) -> web.Response:
        return web.json_response([{"port": p, "path": x} for p, x in self.in_flight.items()])

    async def _control(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.delay_seconds = float(body.get("delaySeconds", self.delay_seconds))
        return web.json_response({"delaySeconds": self.delay_seconds})


async def _serve(port: int) -> None:
    services = CountingServices(port=port)
    await services.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await services.stop()


def main() -> None:
    """Serve until SIGTERM."""
    parser = argparse.ArgumentParser(description="the demo back ends, counting calls")
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(_serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
