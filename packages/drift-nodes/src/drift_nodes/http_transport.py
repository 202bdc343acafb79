"""The HTTP node's transport seam: who answers its requests instead of the network.

By default the HTTP node sends its request with the worker's shared session, through
the outbound guard. A :class:`NodeResources` given an :data:`HttpTransport` hands each
request to it instead and reads the :class:`HttpReply` it answers as the service's
response: the node's ``successStatuses``, ``retryableStatuses`` and response
transformer then run as they would on a real answer. The scenario runner uses it for
mocks at the response level (see docs/scenarios.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HttpReply", "HttpRequest", "HttpTransport"]


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request the HTTP node would send.

    Attributes:
        method: the method (``GET``, ``POST`` …).
        url: the absolute address, query included.
        headers: the request headers (credentials included: keep them to yourself).
        body: the encoded body, if any.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None


@dataclass(frozen=True, slots=True)
class HttpReply:
    """The answer a transport gives in place of the service.

    Attributes:
        status: the HTTP status.
        headers: the response headers.
        body: the decoded body (JSON-like data, or text).
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


HttpTransport = Callable[[HttpRequest], Awaitable[HttpReply]]
"""Answers the HTTP node's request in place of the network."""
