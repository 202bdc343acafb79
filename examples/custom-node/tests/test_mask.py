"""The example node passes the drift-nodes kit once installed (its entry points included)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from drift_example_mask import MaskNode, MaskNodeType

from drift_models import HttpNode, NodeTypes, RunContext
from drift_nodes import (
    HttpSettings,
    NodeResources,
    NodeResult,
    NodeSettings,
    PermanentNodeError,
    discover_auth_providers,
    discover_nodes,
)
from drift_nodes.testing import LocalHttpServer, NodeExample, check_node_type, run_node

REGISTRY = discover_nodes()


def decode(document: bytes) -> MaskNode:
    node = REGISTRY.node_types.decode_node(document)
    assert isinstance(node, MaskNode)
    return node


@pytest.fixture
async def resources() -> AsyncIterator[NodeResources]:
    settings = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    async with NodeResources(settings, auth_providers=discover_auth_providers()) as opened:
        yield opened


def test_discovery_finds_the_installed_package() -> None:
    assert REGISTRY.source("example.MASK") == "drift-example-mask"
    assert isinstance(REGISTRY["example.MASK"], MaskNodeType)
    assert "SCRIPT" in REGISTRY  # the built-ins come the same way


async def test_the_kit_passes(resources: NodeResources) -> None:
    def masked(result: NodeResult) -> None:
        assert result.output == "************1111"

    card = decode(
        b'{"type": "example.MASK", "id": "mask-card", "name": "Mask the card",'
        b' "parameters": ["card"], "config": {"value": "{{ card }}"}}'
    )
    contact = decode(
        b'{"type": "example.MASK", "id": "mask-contact", "name": "Mask a contact",'
        b' "parameters": ["contact"],'
        b' "config": {"value": "{{ contact }}", "fields": ["phone"], "keepLast": 2}}'
    )
    number = decode(
        b'{"type": "example.MASK", "id": "mask-number", "name": "Mask a number",'
        b' "config": {"value": 42}}'
    )
    await check_node_type(
        MaskNodeType(),
        [
            NodeExample(definition=card, parameters={"card": "4111111111111111"}, check=masked),
            NodeExample(
                definition=contact,
                parameters={"contact": {"name": "Ada", "phone": "5550199"}},
                check=lambda r: _equal(r.output, {"name": "Ada", "phone": "*****99"}),
            ),
            NodeExample(definition=number, expect_error=PermanentNodeError),
        ],
        resources=resources,
    )


def _equal(found: object, wanted: object) -> None:
    assert found == wanted, f"{found!r} != {wanted!r}"


async def test_the_auth_provider_feeds_the_http_node(resources: NodeResources) -> None:
    async def whoami(request: web.Request) -> web.Response:
        return web.json_response({"authorization": request.headers["Authorization"]})

    async with LocalHttpServer() as server:
        server.route("GET", "/me", whoami)
        await server.start()
        definition = NodeTypes().convert_node(
            {"type": "HTTP", "id": "me", "name": "Me",
             "config": {"url": server.url("/me"), "authProvider": "example-static"}}
        )  # fmt: skip
        assert isinstance(definition, HttpNode)
        context = RunContext.start({}, enum_store={"example-static.token": "s3cret"})
        result = await run_node(REGISTRY["HTTP"], definition, resources, context=context)
    assert result.output["body"] == {"authorization": "Bearer s3cret"}
