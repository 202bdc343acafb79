"""A ``callbackUrl`` is judged when it is given, by the rules the worker sends with.

The worker POSTs callbacks through the outbound guard of drift-nodes (loopback,
private, link-local and metadata addresses are refused unless allow-listed with
``DRIFT_HTTP_ALLOW_HOSTS``) and gives up for good on a refused address. Accepting such
an address with a ``202`` would drop every callback silently, so the API applies the
same guard, with the same allow-list, before anything starts: a URL that is not
``http(s)``, or whose host the guard refuses (by its literal or by every address it
resolves to now), is ``422`` at ``$.callbackUrl``. A name that does not resolve now is
accepted: the worker retries delivery while DNS catches up.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Final
from urllib.parse import SplitResult, urlsplit

from drift_api.problems import ApiError
from drift_models import Problem
from drift_nodes import OutboundGuard

__all__ = ["CallbackCheck"]

_MAX_URL: Final = 2048
_RESOLVE_SECONDS: Final = 2.0


class CallbackCheck:
    """Checks callback addresses as the worker's guard will.

    Args:
        guard: the outbound guard, built from the allow-list the workers use.
    """

    def __init__(self, guard: OutboundGuard) -> None:
        self._guard = guard

    async def check(self, url: str | None, *, path: str = "$.callbackUrl") -> None:
        """Refuse ``url`` if callbacks to it could never be delivered.

        Raises:
            ApiError: ``422`` at ``path`` saying why and what would be accepted.
        """
        if url is None:
            return
        parts = _parse(url)
        if parts is None:
            raise _refused(
                path,
                f"callbackUrl {url[:200]!r} is not an absolute http(s) URL with a host "
                f"(at most {_MAX_URL} characters), such as https://example.com/drift",
            )
        host = parts.hostname or ""
        refusal = self._guard.refusal(host)
        if refusal is None:
            refusal = await self._resolved_refusal(host)
        if refusal is not None:
            raise _refused(
                path,
                f"callbacks to {url[:200]!r} would be refused by the outbound guard: {refusal}; "
                "use a public address, or have the operator allow-list the host "
                "(DRIFT_HTTP_ALLOW_HOSTS)",
            )

    async def _resolved_refusal(self, host: str) -> str | None:
        """Why every address ``host`` resolves to is refused, if all are."""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return None  # an address literal was judged already
        if self._guard.host_allowed(host):
            return None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(_RESOLVE_SECONDS):
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError, UnicodeError):
            return None
        refusals = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            refusal = self._guard.address_refusal(address, host)
            if refusal is None:
                return None
            refusals.append(refusal)
        return refusals[0] if refusals else None


def _parse(url: str) -> SplitResult | None:
    if len(url) > _MAX_URL or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number in range
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return parts


def _refused(path: str, message: str) -> ApiError:
    return ApiError(
        422,
        "Callback Refused",
        message,
        [Problem(path=path, message=message, code="callback-url")],
    )
