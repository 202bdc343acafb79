"""HTTP: one request to a service; the response (or its transformation) is the output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

import msgspec
from yarl import URL

from drift_models import HttpNode, NodeDefinition, RetryPolicy, status_matches
from drift_nodes.api import NodeCall, NodeType
from drift_nodes.auth import TokenRequest
from drift_nodes.builtins._http_exchange import Exchange, Response, check_target, send
from drift_nodes.errors import PermanentNodeError, RetryableNodeError, ScriptError, ValueRenderError
from drift_nodes.http_transport import HttpRequest
from drift_nodes.results import NodeResult

__all__ = ["HttpNodeType"]

_SNIPPET = 300


class HttpNodeType(NodeType[HttpNode]):
    """Calls a service with the worker's shared aiohttp session (an ordinary activity).

    Connection errors, timeouts and the ``retryableStatuses`` (5xx, 408, 429 by default)
    raise :class:`~drift_nodes.RetryableNodeError`; any other status outside
    ``successStatuses`` raises :class:`~drift_nodes.PermanentNodeError`. Every address
    passes the outbound guard, redirects included.
    """

    definition: ClassVar[type[NodeDefinition]] = HttpNode
    pure: ClassVar[bool] = False
    default_timeout_seconds: ClassVar[float] = 30.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(
        maximum_attempts=4, initial_interval_seconds=0.5, backoff_coefficient=2.0
    )

    async def execute(self, definition: HttpNode, call: NodeCall) -> NodeResult:
        """Send the request and read the answer."""
        config = definition.config
        settings = call.resources.settings.http
        url = await self._url(definition, call)
        headers = {
            name: _text(await call.render(raw, where=f"config.headers.{name}"))
            for name, raw in config.headers.items()
        }
        body = await call.render(config.body, where="config.body")
        sensitive = {config.auth_header.lower(), "authorization", "cookie"}
        if config.auth_provider is not None:
            headers[config.auth_header] = await self._token(definition, call, str(url))
        payload = _encode_body(body, config.body_format, headers)
        exchange = Exchange(config.method.value, url, headers, payload, frozenset(sensitive))
        transport = call.resources.http_transport
        if transport is not None:
            check_target(url, call.resources.guard)
            reply = await transport(HttpRequest(exchange.method, str(url), headers, payload))
            response = Response(reply.status, dict(reply.headers), reply.body, str(url))
        else:
            response = await send(
                call.resources.http,
                exchange,
                guard=call.resources.guard,
                timeout_seconds=(
                    call.timeout_seconds
                    or definition.timeout_seconds
                    or settings.default_timeout_seconds
                ),
                max_redirects=settings.max_redirects,
                max_bytes=min(config.max_response_bytes, settings.max_response_bytes),
            )
        output = response.as_output()
        if not status_matches(response.status, config.success_statuses):
            _fail(response.status, response.body, config.retryable_statuses, response.url)
        if config.response_transformer is not None:
            try:
                output = await call.evaluate(
                    config.response_transformer, extra={"_response": output}
                )
            except ScriptError as error:
                error.message = f"config.responseTransformer: {error.message}"
                error.args = (error.message,)
                raise
        return NodeResult(output=output)

    async def _url(self, definition: HttpNode, call: NodeCall) -> URL:
        config = definition.config
        rendered = await call.render(config.url, where="config.url")
        if not isinstance(rendered, str):
            msg = f"config.url: expected text, got {type(rendered).__name__}"
            raise ValueRenderError(msg)
        try:
            url = URL(rendered)
        except ValueError as error:
            msg_0 = f"config.url: {rendered!r}: {error}"
            raise PermanentNodeError(msg_0, code="http-url") from None
        query: list[tuple[str, str]] = []
        for name, raw in config.query.items():
            value = await call.render(raw, where=f"config.query.{name}")
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            query.extend((name, _text(item)) for item in items)
        return url.extend_query(query) if query else url

    async def _token(self, definition: HttpNode, call: NodeCall, url: str) -> str:
        config = definition.config
        name = config.auth_provider or ""
        provider = call.resources.auth_providers.get(name)
        if provider is None:
            known = ", ".join(sorted(call.resources.auth_providers)) or "none installed"
            msg = f"config.authProvider: no auth provider {name!r} (providers: {known})"
            raise PermanentNodeError(msg, code="auth-provider")
        tenant = call.thread_context.tenant_id if call.thread_context else None
        if tenant is None:
            thread = call.context.global_.get("threadContext")
            tenant = thread.get("tenantId") if isinstance(thread, dict) else None
        request = TokenRequest(
            provider=name,
            node_id=definition.id,
            url=url,
            tenant_id=tenant,
            enum_store=call.context.enum_store,
        )
        try:
            token = await provider.get_token(request)
        except Exception as error:
            msg = f"auth provider {name!r} gave no token: {error}"
            raise RetryableNodeError(msg, code="auth-token") from error
        return f"{config.auth_scheme} {token}" if config.auth_scheme else token


def _encode_body(body: Any, body_format: str, headers: dict[str, str]) -> bytes | None:
    if body is None:
        return None
    names = {name.lower() for name in headers}
    if body_format == "FORM":
        if not isinstance(body, Mapping):
            msg = f"config.body: a FORM body is an object, got {type(body).__name__}"
            raise ValueRenderError(msg)
        content_type = "application/x-www-form-urlencoded"
        data = urlencode([(str(k), _text(v)) for k, v in body.items()]).encode()
    elif body_format == "TEXT":
        content_type = "text/plain; charset=utf-8"
        data = _text(body).encode()
    else:
        content_type = "application/json"
        data = msgspec.json.encode(body)
    if "content-type" not in names:
        headers["Content-Type"] = content_type
    return data


def _fail(status: int, body: Any, retryable: tuple[Any, ...], url: str) -> None:
    text = body if isinstance(body, str) else msgspec.json.encode(body).decode()
    snippet = text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else "")
    details = {"status": status, "url": url}
    if status_matches(status, retryable):
        msg = f"{url} answered {status} (will be retried): {snippet}"
        raise RetryableNodeError(msg, code="http-status", details=details)
    msg = f"{url} answered {status}, which is not a success status: {snippet}"
    raise PermanentNodeError(msg, code="http-status", details=details)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()
