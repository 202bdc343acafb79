"""The HTTP client's resolver that keeps only the addresses the outbound guard allows.

Apart from :mod:`drift_nodes.guard` because it subclasses aiohttp's resolver, and only
processes that send HTTP need aiohttp loaded.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from drift_nodes.guard import BlockedAddressError, OutboundGuard

__all__ = ["GuardedResolver"]


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that drops the addresses the guard refuses.

    When every address of a name is refused it raises :class:`BlockedAddressError`
    (an ``OSError``), which aiohttp reports as a connection error carrying it.
    """

    def __init__(self, guard: OutboundGuard, resolver: AbstractResolver | None = None) -> None:
        self._guard = guard
        self._resolver = resolver or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host`` and keep only the addresses the guard allows."""
        refusal = self._guard.refusal(host)
        if refusal is not None:
            msg = f"the outbound guard refused {refusal}"
            raise BlockedAddressError(msg)
        results = await self._resolver.resolve(host, port, family)
        allowed: list[ResolveResult] = []
        reasons: list[str] = []
        for result in results:
            reason = self._guard.address_refusal(ipaddress.ip_address(result["host"]), host)
            if reason is None:
                allowed.append(result)
            else:
                reasons.append(reason)
        if not allowed:
            msg = f"the outbound guard refused {'; '.join(reasons)}"
            raise BlockedAddressError(msg)
        return allowed

    async def close(self) -> None:
        """Close the wrapped resolver."""
        await self._resolver.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resolver, name)
