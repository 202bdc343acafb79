"""A stub back end for fan-out tests: known delays, and a record of how requests overlapped.

``GET /work/{key}?ms=N&status=S`` waits ``N`` ms, then answers ``S`` (200 by default)
with ``{"key": key}``. The stub counts the requests in flight (and the most at once),
keeps each request's start and end on its own clock, and notes the requests whose
client went away before the answer (a cancelled activity closes its connection).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

__all__ = ["FanoutStub", "Visit"]


@dataclass(frozen=True)
class Visit:
    """One answered request: its key and when it started and ended (stub's clock)."""

    key: str
    started: float
    ended: float


@dataclass
class FanoutStub:
    """The stub server; ``start()`` it, read ``url``, ``stop()`` it."""

    in_flight: int = 0
    most_in_flight: int = 0
    visits: list[Visit] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _port: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def visit(self, key: str) -> Visit:
        """The answered request with ``key`` (exactly one must exist)."""
        found = [v for v in self.visits if v.key == key]
        assert len(found) == 1, (key, found)
        return found[0]

    async def until(self, check: Callable[[], bool], seconds: float = 20.0) -> None:
        """Return once ``check()`` holds; it is tried again whenever a request starts,
        ends or is cancelled (a wait on the stub's events, not a poll)."""
        async with asyncio.timeout(seconds):
            while not check():
                self._changed.clear()
                await self._changed.wait()

    async def _work(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        delay = int(request.query.get("ms", "0")) / 1000
        status = int(request.query.get("status", "200"))
        started = time.monotonic()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self._changed.set()
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self.cancelled.append(key)
            raise
        finally:
            self.in_flight -= 1
            self._changed.set()
        self.visits.append(Visit(key, started, time.monotonic()))
        self._changed.set()
        return web.json_response({"key": key}, status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/work/{key}", self._work)
        # Cancel a handler whose client went away, so the stub sees cancelled activities.
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        assert sockets
        self._port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
