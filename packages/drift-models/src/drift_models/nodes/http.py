"""The HTTP node: one request to a service, its response as the node's output."""

from __future__ import annotations

import enum
from typing import Annotated, Final, Literal

import msgspec

from drift_models._base import DslStruct
from drift_models.nodes.base import NodeDefinition
from drift_models.values import ScriptSource, Value

__all__ = ["HttpConfig", "HttpMethod", "HttpNode", "StatusSpec", "status_matches"]

STATUS_SPEC_PATTERN: Final = r"^(?:[1-5]xx|[1-5]\d\d-[1-5]\d\d)(?!\n)$"

StatusSpec = (
    Annotated[int, msgspec.Meta(ge=100, le=599)]
    | Annotated[str, msgspec.Meta(pattern=STATUS_SPEC_PATTERN)]
)
"""One status (``404``), a class (``"2xx"``) or an inclusive range (``"200-299"``)."""

DEFAULT_MAX_RESPONSE_BYTES: Final = 10 * 1024 * 1024


class HttpMethod(enum.StrEnum):
    """The request methods the HTTP node sends."""

    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    HEAD = "HEAD"
    OPTIONS = "OPTIONS"


class HttpConfig(DslStruct, frozen=True, kw_only=True):
    """What the HTTP node sends and how it reads the answer.

    The node's output is ``{"status", "headers", "body"}`` (the body decoded as JSON when
    the response says so), or the result of ``response_transformer``, a script that sees
    that object as ``_response``.

    Attributes:
        method: the request method.
        url: the address; usually a template over parameters and ``_enum_store``.
        headers: request headers; values may be templates or scripts.
        query: query parameters added to the URL.
        body: the request body; ``None`` sends none.
        body_format: ``JSON`` (default), ``FORM`` (url-encoded) or ``TEXT``.
        success_statuses: which statuses count as success; others fail the node.
        retryable_statuses: failing statuses that are tried again (connection errors
            and timeouts always are); any other failure is permanent.
        response_transformer: a script turning ``_response`` into the node's output.
        auth_provider: the name of a token provider whose token goes into
            ``auth_header``.
        auth_header: the header that carries the provider's token.
        auth_scheme: the word before the token (``Bearer``); empty for none.
        max_response_bytes: responses larger than this fail the node.
    """

    url: Value
    method: HttpMethod = HttpMethod.GET
    headers: dict[str, Value] = {}
    query: dict[str, Value] = {}
    body: Value = None
    body_format: Literal["JSON", "FORM", "TEXT"] = "JSON"
    success_statuses: tuple[StatusSpec, ...] = ("2xx",)
    retryable_statuses: tuple[StatusSpec, ...] = ("5xx", 408, 429)
    response_transformer: ScriptSource | None = None
    auth_provider: str | None = None
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    max_response_bytes: Annotated[int, msgspec.Meta(ge=1)] = DEFAULT_MAX_RESPONSE_BYTES


class HttpNode(NodeDefinition, tag="HTTP", frozen=True, kw_only=True):
    """A node that calls an HTTP service."""

    config: HttpConfig


def status_matches(status: int, specs: tuple[StatusSpec, ...]) -> bool:
    """Whether ``status`` is one of ``specs`` (numbers, ``"4xx"`` classes, ranges)."""
    for spec in specs:
        if isinstance(spec, int):
            if spec == status:
                return True
        elif spec.endswith("xx"):
            if status // 100 == int(spec[0]):
                return True
        else:
            low, high = spec.split("-")
            if int(low) <= status <= int(high):
                return True
    return False
