"""A real local HTTP server for tests of nodes that call out (never a mock)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

from aiohttp import web

__all__ = ["Handler", "LocalHttpServer"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An aiohttp request handler."""


class LocalHttpServer:
    """An aiohttp server on 127.0.0.1 and a free port, counting hits per path.

    Remember that the outbound guard refuses loopback: allow-list ``127.0.0.1`` in the
    resources of the test (``HttpSettings(allow_hosts=("127.0.0.1",))``).

    Example:
        >>> async def test_it() -> None:  # doctest: +SKIP
        ...     async with LocalHttpServer() as server:
        ...         server.route("GET", "/ping", ping)
        ...         await server.start()
        ...         url = server.url("/ping")
    """

    def __init__(self) -> None:
        self.app = web.Application()
        self.port = 0
        self.hits: dict[str, int] = {}
        """Requests received per route path."""
        self._runner: web.AppRunner | None = None

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Serve ``handler`` at ``method path`` (before :meth:`start`)."""

        async def counted(request: web.Request) -> web.StreamResponse:
            self.hits[path] = self.hits.get(path, 0) + 1
            return await handler(request)

        self.app.router.add_route(method, path, counted)

    async def start(self) -> None:
        """Start listening on 127.0.0.1 and a free port."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # noqa: SLF001 - the only way to learn the port chosen
        if not isinstance(server, asyncio.Server):
            msg = "the server did not start"
            raise TypeError(msg)
        self.port = server.sockets[0].getsockname()[1]

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    async def close(self) -> None:
        """Stop the server."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
