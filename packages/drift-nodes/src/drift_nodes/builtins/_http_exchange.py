"""One HTTP exchange of the HTTP node: redirects through the guard, capped reading, decoding."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import msgspec
from yarl import URL

from drift_nodes.errors import (
    OutboundBlockedError,
    PermanentNodeError,
    ResponseTooLargeError,
    RetryableNodeError,
)
from drift_nodes.guard import BlockedAddressError, OutboundGuard

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Exchange", "Response", "check_target", "send"]

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_CHUNK: Final = 64 * 1024
_BODILESS: Final = frozenset({"GET", "HEAD"})


@dataclass(frozen=True, slots=True)
class Exchange:
    """A request ready to send.

    Attributes:
        method: the request method.
        url: the absolute address (query included).
        headers: the request headers.
        body: the encoded body, if any.
        sensitive: header names dropped when a redirect leaves the origin.
    """

    method: str
    url: URL
    headers: Mapping[str, str]
    body: bytes | None
    sensitive: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Response:
    """What came back: status, headers (duplicates joined) and the decoded body."""

    status: int
    headers: dict[str, str]
    body: Any
    url: str

    def as_output(self) -> dict[str, Any]:
        """The node's raw output ``{"status", "headers", "body"}``."""
        return {"status": self.status, "headers": self.headers, "body": self.body}


def check_target(url: URL, guard: OutboundGuard) -> None:
    """Refuse a URL that is not http(s) or whose host the guard refuses outright.

    Raises:
        PermanentNodeError: not an absolute http(s) URL.
        OutboundBlockedError: the guard refuses the host.
    """
    if url.scheme not in {"http", "https"} or not url.host:
        msg = f"{str(url)!r} is not an absolute http:// or https:// URL"
        raise PermanentNodeError(msg, code="http-url")
    refusal = guard.refusal(url.host)
    if refusal is not None:
        msg = (
            f"the outbound guard refused {refusal}; an operator may allow-list it "
            "(DRIFT_HTTP_ALLOW_HOSTS)"
        )
        raise OutboundBlockedError(msg, details={"host": url.host})


async def send(
    session: aiohttp.ClientSession,
    exchange: Exchange,
    *,
    guard: OutboundGuard,
    timeout_seconds: float,
    max_redirects: int,
    max_bytes: int,
) -> Response:
    """Send ``exchange``, following redirects (each hop checked), within ``timeout_seconds``.

    Raises:
        RetryableNodeError: connection failures and timeouts.
        PermanentNodeError: bad URLs, too many redirects, refused addresses, too large bodies.
    """
    # Imported here, as the session was made: a process that only validates HTTP nodes
    # (the API) never loads aiohttp.
    import aiohttp  # noqa: PLC0415

    try:
        async with asyncio.timeout(timeout_seconds):
            return await _follow(session, exchange, guard, max_redirects, max_bytes)
    except TimeoutError:
        msg = f"no complete answer from {exchange.url.host} within {timeout_seconds:g} s"
        raise RetryableNodeError(msg, code="http-timeout") from None
    except aiohttp.ClientConnectorError as error:
        if isinstance(error.os_error, BlockedAddressError):
            msg = f"{error.os_error}; an operator may allow-list it (DRIFT_HTTP_ALLOW_HOSTS)"
            raise OutboundBlockedError(msg, details={"host": exchange.url.host}) from None
        msg = f"cannot connect to {error.host}:{error.port}: {error.os_error}"
        raise RetryableNodeError(msg, code="http-connect") from None
    except aiohttp.InvalidURL as error:
        msg_0 = f"invalid URL: {error}"
        raise PermanentNodeError(msg_0, code="http-url") from None
    except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as error:
        msg = f"the connection to {exchange.url.host} failed: {str(error) or type(error).__name__}"
        raise RetryableNodeError(msg, code="http-connection") from None


async def _follow(
    session: aiohttp.ClientSession,
    exchange: Exchange,
    guard: OutboundGuard,
    max_redirects: int,
    max_bytes: int,
) -> Response:
    current = exchange
    for _ in range(max_redirects + 1):
        check_target(current.url, guard)
        async with session.request(
            current.method,
            current.url,
            headers=dict(current.headers),
            data=current.body,
            allow_redirects=False,
        ) as response:
            location = response.headers.get("Location")
            if response.status in _REDIRECTS and location:
                current = _redirected(current, response.status, response.url.join(URL(location)))
                continue
            body = await _read(response, max_bytes)
            return Response(
                status=response.status,
                headers=_headers(response),
                body=_decode(body, response),
                url=str(response.url),
            )
    msg = f"more than {max_redirects} redirects, starting at {exchange.url}"
    raise PermanentNodeError(msg, code="http-redirects")


def _redirected(exchange: Exchange, status: int, target: URL) -> Exchange:
    method, body = exchange.method, exchange.body
    if status == 303 or (status in {301, 302} and method not in _BODILESS):  # noqa: PLR2004
        method, body = ("HEAD" if method == "HEAD" else "GET"), None
    headers = dict(exchange.headers)
    if body is None:
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    if target.origin() != exchange.url.origin():
        headers = {k: v for k, v in headers.items() if k.lower() not in exchange.sensitive}
    return Exchange(method, target, headers, body, exchange.sensitive)


async def _read(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise _too_large(declared, max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(None, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(declared: int | None, max_bytes: int) -> ResponseTooLargeError:
    size = f"{declared} bytes" if declared is not None else "more bytes"
    return ResponseTooLargeError(
        f"the response body has {size} than the limit of {max_bytes} bytes (maxResponseBytes)",
        details={"limit": max_bytes},
    )


def _headers(response: aiohttp.ClientResponse) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in response.headers.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _decode(body: bytes, response: aiohttp.ClientResponse) -> Any:
    if not body:
        return None
    content_type = response.content_type.lower()
    if content_type.endswith(("/json", "+json")):
        try:
            return msgspec.json.decode(body)
        except msgspec.DecodeError:
            pass
    return body.decode(response.charset or "utf-8", errors="replace")
