"""What a worker shares between node executions: the HTTP session, the script engine, settings.

Open one :class:`NodeResources` per worker process (inside its event loop) and pass it
in every :class:`~drift_nodes.NodeCall`. It is not serialisable and never crosses an
activity boundary: the activity builds the call on its side.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Self

from drift_nodes.auth import TokenProvider
from drift_nodes.guard import OutboundGuard
from drift_nodes.http_transport import HttpTransport
from drift_nodes.scripting import ScriptEngine
from drift_nodes.settings import NodeSettings

if TYPE_CHECKING:
    import aiohttp

__all__ = ["NodeResources"]


class NodeResources:
    """The worker's shared resources.

    Args:
        settings: the operator's settings.
        auth_providers: token providers by name (see
            :func:`~drift_nodes.discover_auth_providers`).
        http_transport: answers the HTTP node's requests instead of the network (see
            :mod:`drift_nodes.http_transport`); ``None`` (the default) sends them.

    Example:
        >>> async def main() -> None:
        ...     async with NodeResources(NodeSettings()) as resources:
        ...         ...  # pass resources in every NodeCall
    """

    def __init__(
        self,
        settings: NodeSettings | None = None,
        *,
        auth_providers: Mapping[str, TokenProvider] | None = None,
        http_transport: HttpTransport | None = None,
    ) -> None:
        self.settings = settings or NodeSettings()
        self.http_transport = http_transport
        self.scripts = ScriptEngine(self.settings.scripts)
        self.guard = OutboundGuard(self.settings.http.allow_hosts)
        self.auth_providers: dict[str, TokenProvider] = dict(auth_providers or {})
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def with_http_transport(self, transport: HttpTransport) -> NodeResources:
        """These resources with ``transport`` answering the HTTP node.

        The copy shares the script engine and the session: close the original only.
        """
        answered = copy.copy(self)
        answered.http_transport = transport
        return answered

    @property
    def http(self) -> aiohttp.ClientSession:
        """The one HTTP session of the worker, created on first use, guarded by its resolver."""
        if self._session is None or self._session.closed:
            # Imported here: a process that never sends HTTP (the API) never loads aiohttp.
            import aiohttp  # noqa: PLC0415

            from drift_nodes._guarded_resolver import GuardedResolver  # noqa: PLC0415

            http = self.settings.http
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self.guard),
                limit=http.connection_limit,
                # The cache holds only addresses the guard allowed, so caching is safe.
                use_dns_cache=True,
                ttl_dns_cache=10,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,
                auto_decompress=True,
                headers={"User-Agent": http.user_agent},
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP session and stop the script sandboxes."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        await self.scripts.close()
