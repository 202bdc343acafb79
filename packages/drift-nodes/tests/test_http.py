"""The HTTP node against a real local server: statuses, retries, timeouts, redirects, bodies."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from aiohttp import web

from drift_models import HttpNode, NodeTypes, RetryPolicy, RunContext, ThreadContext
from drift_nodes import (
    NodeError,
    NodeResources,
    OutboundBlockedError,
    PermanentNodeError,
    ResponseTooLargeError,
    RetryableNodeError,
    ScriptError,
    TokenRequest,
)
from drift_nodes.builtins import HttpNodeType
from drift_nodes.testing import LocalHttpServer, execute_with_retries, make_call, run_node

HTTP = HttpNodeType()
TYPES = NodeTypes()


def node(config: dict[str, Any], **envelope: Any) -> HttpNode:
    document = {"type": "HTTP", "id": "call", "name": "Call", "config": config, **envelope}
    decoded = TYPES.convert_node(document)
    assert isinstance(decoded, HttpNode)
    return decoded


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": dict(request.headers),
            "body": body.decode(),
        }
    )


async def test_get_json_with_templates_query_and_headers(
    server: LocalHttpServer, resources: NodeResources
) -> None:
    server.route("GET", "/orders/{id}", echo)
    await server.start()
    definition = node(
        {
            "url": "{{ _enum_store.base }}/orders/{{ orderId }}",
            "query": {"expand": "items", "ids": ["{{ orderId }}", "2"]},
            "headers": {"X-Order": "{{ orderId }}"},
        },
        parameters=["orderId"],
    )
    context = RunContext.start({}, enum_store={"base": server.url("")})
    result = await run_node(HTTP, definition, resources, parameters={"orderId": 7}, context=context)
    output = result.output
    assert output["status"] == 200
    assert output["headers"]["Content-Type"].startswith("application/json")
    assert output["body"]["path"] == "/orders/7"
    assert output["body"]["query"] == {"expand": "items", "ids": "7"}
    assert output["body"]["headers"]["X-Order"] == "7"


@pytest.mark.parametrize(
    ("body_format", "body", "content_type", "sent"),
    [
        ("JSON", {"code": "{{ code }}"}, "application/json", '{"code":"1234"}'),
        (
            "FORM",
            {"code": "{{ code }}", "n": 2},
            "application/x-www-form-urlencoded",
            "code=1234&n=2",
        ),
        ("TEXT", "code {{ code }}", "text/plain; charset=utf-8", "code 1234"),
    ],
)
async def test_bodies(  # noqa: PLR0917 - fixtures and parameters
    server: LocalHttpServer,
    resources: NodeResources,
    body_format: str,
    body: Any,
    content_type: str,
    sent: str,
) -> None:
    server.route("POST", "/echo", echo)
    await server.start()
    definition = node(
        {"method": "POST", "url": server.url("/echo"), "body": body, "bodyFormat": body_format},
        parameters=["code"],
    )
    result = await run_node(HTTP, definition, resources, parameters={"code": "1234"})
    assert result.output["body"]["body"] == sent
    assert result.output["body"]["headers"]["Content-Type"] == content_type


async def test_non_json_bodies_come_back_as_text(
    server: LocalHttpServer, resources: NodeResources
) -> None:
    async def html(_: web.Request) -> web.Response:
        return web.Response(text="<p>hello</p>", content_type="text/html")

    async def broken_json(_: web.Request) -> web.Response:
        return web.Response(text="{not json", content_type="application/json")

    async def empty(_: web.Request) -> web.Response:
        return web.Response(status=204)

    server.route("GET", "/html", html)
    server.route("GET", "/broken", broken_json)
    server.route("GET", "/empty", empty)
    await server.start()
    html_result = await run_node(HTTP, node({"url": server.url("/html")}), resources)
    assert html_result.output["body"] == "<p>hello</p>"
    broken = await run_node(HTTP, node({"url": server.url("/broken")}), resources)
    assert broken.output["body"] == "{not json"
    nothing = await run_node(HTTP, node({"url": server.url("/empty")}), resources)
    assert nothing.output == {"status": 204, "headers": nothing.output["headers"], "body": None}


@pytest.mark.parametrize(
    ("status", "error", "attempts"),
    [
        (404, PermanentNodeError, 1),
        (400, PermanentNodeError, 1),
        (500, RetryableNodeError, 3),
        (503, RetryableNodeError, 3),
        (429, RetryableNodeError, 3),
    ],
)
async def test_failing_statuses_retry_only_when_retryable(
    server: LocalHttpServer,
    resources: NodeResources,
    status: int,
    error: type[NodeError],
    attempts: int,
) -> None:
    async def failing(_: web.Request) -> web.Response:
        return web.json_response({"error": "nope"}, status=status)

    server.route("GET", "/fail", failing)
    await server.start()
    definition = node({"url": server.url("/fail")})
    with pytest.raises(error) as caught:
        await execute_with_retries(
            HTTP, definition, resources, policy=RetryPolicy(maximum_attempts=3)
        )
    assert server.hits["/fail"] == attempts
    assert f"answered {status}" in str(caught.value)
    assert '"error":"nope"' in str(caught.value)
    assert caught.value.code == "http-status"
    assert caught.value.details["status"] == status


async def test_a_flaky_service_succeeds_on_a_later_attempt(
    server: LocalHttpServer, resources: NodeResources
) -> None:
    async def flaky(_: web.Request) -> web.Response:
        if server.hits["/flaky"] < 3:
            return web.Response(status=503, text="busy")
        return web.json_response({"ok": True})

    server.route("GET", "/flaky", flaky)
    await server.start()
    definition = node({"url": server.url("/flaky")})
    result, attempts = await execute_with_retries(HTTP, definition, resources)
    assert attempts == 3
    assert result.output["body"] == {"ok": True}


async def test_declared_success_statuses_are_successes(
    server: LocalHttpServer, resources: NodeResources
) -> None:
    async def wrong_code(_: web.Request) -> web.Response:
        return web.json_response({"valid": False, "attemptsLeft": 2}, status=422)

    server.route("POST", "/verify", wrong_code)
    await server.start()
    definition = node(
        {
            "method": "POST",
            "url": server.url("/verify"),
            "successStatuses": ["2xx", 422],
            "responseTransformer": (
                '{"valid": _response["status"] == 200 and _response["body"]["valid"], '
                '"attemptsLeft": _response["body"].get("attemptsLeft", 0)}'
            ),
        }
    )
    result = await run_node(HTTP, definition, resources)
    assert result.output == {"valid": False, "attemptsLeft": 2}


async def test_a_failing_transformer_names_its_field_and_line(
    server: LocalHttpServer, resources: NodeResources
) -> None:
    server.route("GET", "/echo", echo)
    await server.start()
    definition = node({"url": server.url("/echo"), "responseTransformer": 'b = 1\n_response["x"]'})
    with pytest.raises(ScriptError, match=r"config\.responseTransformer: .* line 2") as caught:
        await run_node(HTTP, definition, resources)
    assert caught.value.line == 2


async def test_slow_answers_time_out_as_retryable(
    server: LocalHttpServer, resources: NodeResources
) -> None:
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    server.route("GET", "/slow", slow)
    await server.start()
    definition = node({"url": server.url("/slow")}, timeoutSeconds=0.3)
    with pytest.raises(RetryableNodeError, match=r"within 0\.3 s") as caught:
        await run_node(HTTP, definition, resources)
    assert caught.value.code == "http-timeout"
    # A state's override, passed by the worker in the call, wins over the definition's.
    call = make_call(resources, timeout_seconds=0.2)
    with pytest.raises(RetryableNodeError, match=r"within 0\.2 s"):
        await HTTP.execute(definition, call)


async def test_connection_refused_is_retryable(resources: NodeResources) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    definition = node({"url": f"http://127.0.0.1:{port}/"})
    with pytest.raises(RetryableNodeError, match="cannot connect") as caught:
        await run_node(HTTP, definition, resources)
    assert caught.value.code == "http-connect"


async def test_redirects_are_followed_and_303_turns_a_post_into_a_get(
    server: LocalHttpServer, resources: NodeResources
) -> None:
    async def moved(_: web.Request) -> web.Response:
        raise web.HTTPFound(server.url("/echo?from=moved"))

    async def see_other(_: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/echo")

    server.route("GET", "/moved", moved)
    server.route("POST", "/submit", see_other)
    server.route("*", "/echo", echo)
    await server.start()
    followed = await run_node(HTTP, node({"url": server.url("/moved")}), resources)
    assert followed.output["body"]["query"] == {"from": "moved"}
    posted = await run_node(
        HTTP, node({"method": "POST", "url": server.url("/submit"), "body": {"a": 1}}), resources
    )
    assert posted.output["body"]["method"] == "GET"
    assert posted.output["body"]["body"] == ""


async def test_redirect_loops_stop(server: LocalHttpServer, resources: NodeResources) -> None:
    async def loop(_: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/loop")

    server.route("GET", "/loop", loop)
    await server.start()
    with pytest.raises(PermanentNodeError, match="more than 3 redirects"):
        await run_node(HTTP, node({"url": server.url("/loop")}), resources)
    assert server.hits["/loop"] == 4


async def test_a_redirect_to_a_metadata_address_is_refused(
    server: LocalHttpServer, resources: NodeResources
) -> None:
    async def to_metadata(_: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    server.route("GET", "/sneaky", to_metadata)
    await server.start()
    with pytest.raises(OutboundBlockedError, match=r"169\.254\.169\.254 is a link-local"):
        await run_node(HTTP, node({"url": server.url("/sneaky")}), resources)


@pytest.mark.parametrize("chunked", [False, True])
async def test_large_bodies_are_capped(
    server: LocalHttpServer, resources: NodeResources, chunked: bool
) -> None:
    async def large(request: web.Request) -> web.StreamResponse:
        if not chunked:
            return web.Response(body=b"x" * 300_000, content_type="text/plain")
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(30):
            await response.write(b"y" * 10_000)
        await response.write_eof()
        return response

    server.route("GET", "/large", large)
    await server.start()
    capped = node({"url": server.url("/large"), "maxResponseBytes": 100_000})
    with pytest.raises(ResponseTooLargeError, match="limit of 100000 bytes"):
        await run_node(HTTP, capped, resources)
    roomy = node({"url": server.url("/large"), "maxResponseBytes": 1_000_000})
    result = await run_node(HTTP, roomy, resources)
    assert len(result.output["body"]) == 300_000


async def test_auth_provider_token_is_sent(
    server: LocalHttpServer, resources: NodeResources
) -> None:
    seen: list[TokenRequest] = []

    class Provider:
        async def get_token(self, request: TokenRequest) -> str:
            seen.append(request)
            return f"token-for-{request.tenant_id}"

    resources.auth_providers["vault"] = Provider()
    server.route("GET", "/secure", echo)
    await server.start()
    definition = node({"url": server.url("/secure"), "authProvider": "vault"})
    thread = ThreadContext(tenant_id="acme", client_id="ui")
    context = RunContext.start({}, thread_context=thread, enum_store={"k": "v"})
    result = await run_node(HTTP, definition, resources, context=context)
    assert result.output["body"]["headers"]["Authorization"] == "Bearer token-for-acme"
    assert seen[0].provider == "vault"
    assert seen[0].enum_store == {"k": "v"}
    unknown = node({"url": server.url("/secure"), "authProvider": "nobody"})
    with pytest.raises(
        PermanentNodeError, match="no auth provider 'nobody' \\(providers: vault\\)"
    ):
        await run_node(HTTP, unknown, resources)
