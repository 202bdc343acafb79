"""The outbound guard: internal addresses are refused by default, allow-listed ones pass."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from drift_models import HttpNode, NodeTypes
from drift_nodes import NodeResources, OutboundBlockedError, OutboundGuard
from drift_nodes.builtins import HttpNodeType
from drift_nodes.guard import BlockedAddressError, GuardedResolver
from drift_nodes.testing import LocalHttpServer, run_node

HTTP = HttpNodeType()


def node(url: str) -> HttpNode:
    decoded = NodeTypes().convert_node(
        {"type": "HTTP", "id": "call", "name": "Call", "config": {"url": url}}
    )
    assert isinstance(decoded, HttpNode)
    return decoded


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.9.9.9",
        "10.0.0.1",
        "10.255.1.2",
        "172.16.4.4",
        "192.168.0.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address refused, not one bound
        "[::1]",
        "[fe80::1]",
        "[fd00:ec2::254]",
        "[::ffff:127.0.0.1]",
        "[2002:7f00:1::]",
        "[64:ff9b::a9fe:a9fe]",
        "[2001:0:808:808::80ff:fffe]",
        "[fec0::1]",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "localhost",
        "metadata.google.internal",
    ],
)
async def test_internal_addresses_are_refused_by_default(guarded: NodeResources, host: str) -> None:
    with pytest.raises(OutboundBlockedError, match="outbound guard refused") as caught:
        await run_node(HTTP, node(f"http://{host}:9/x"), guarded)
    assert caught.value.code == "outbound-blocked"
    assert "DRIFT_HTTP_ALLOW_HOSTS" in caught.value.message


async def test_loopback_server_is_refused_by_default_and_allowed_when_listed(
    server: LocalHttpServer, guarded: NodeResources, resources: NodeResources
) -> None:
    async def hello(_: web.Request) -> web.Response:
        return web.json_response({"hello": "world"})

    server.route("GET", "/hello", hello)
    await server.start()
    with pytest.raises(OutboundBlockedError, match=r"127\.0\.0\.1 is a loopback address"):
        await run_node(HTTP, node(server.url("/hello")), guarded)
    assert server.hits.get("/hello", 0) == 0
    allowed = await run_node(HTTP, node(server.url("/hello")), resources)
    assert allowed.output["body"] == {"hello": "world"}
    assert server.hits["/hello"] == 1


def test_public_addresses_pass_and_networks_can_be_allow_listed() -> None:
    guard = OutboundGuard(["10.1.0.0/16", "svc.internal"])
    assert guard.refusal("93.184.216.34") is None
    assert guard.refusal("example.com") is None
    assert guard.refusal("10.1.2.3") is None
    assert guard.refusal("10.2.0.1") == "10.2.0.1 is a private address"


class _FixedResolver(AbstractResolver):
    """Resolves every name to one address: stands in for a hostile DNS answer."""

    def __init__(self, address: str) -> None:
        self.address = address

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": self.address,
                "port": port,
                "family": family,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


async def test_names_resolving_to_internal_addresses_are_refused_unless_listed() -> None:
    resolver = GuardedResolver(OutboundGuard(), _FixedResolver("10.0.0.5"))
    with pytest.raises(BlockedAddressError, match=r"orders\.example \(10\.0\.0\.5\) is a private"):
        await resolver.resolve("orders.example", 80)
    listed = GuardedResolver(OutboundGuard(["orders.example"]), _FixedResolver("10.0.0.5"))
    answers = await listed.resolve("orders.example", 80)
    assert answers[0]["host"] == "10.0.0.5"
    public = GuardedResolver(OutboundGuard(), _FixedResolver("93.184.216.34"))
    assert (await public.resolve("example.org", 443))[0]["host"] == "93.184.216.34"


@pytest.mark.parametrize(
    "answer",
    ["2002:7f00:1::", "64:ff9b::a9fe:a9fe", "2001:0:808:808::80ff:fffe", "fec0::1"],
)
async def test_the_http_node_refuses_a_name_resolving_to_an_ipv6_form_of_an_internal_address(
    monkeypatch: pytest.MonkeyPatch, guarded: NodeResources, answer: str
) -> None:
    # The worker's own resolver is replaced by a hostile DNS answer; everything from the
    # node down to the guarded connector is the real one.
    monkeypatch.setattr(
        "drift_nodes._guarded_resolver.DefaultResolver", lambda: _FixedResolver(answer)
    )
    with pytest.raises(OutboundBlockedError, match="outbound guard refused") as caught:
        await run_node(HTTP, node("http://orders.example:9/x"), guarded)
    assert f"orders.example ({answer}) is " in caught.value.message


async def test_an_allowed_network_reached_through_its_ipv4_mapped_form(
    monkeypatch: pytest.MonkeyPatch, server: LocalHttpServer, resources: NodeResources
) -> None:
    async def hello(_: web.Request) -> web.Response:
        return web.json_response({"hello": "mapped"})

    server.route("GET", "/hello", hello)
    await server.start()
    monkeypatch.setattr(
        "drift_nodes._guarded_resolver.DefaultResolver", lambda: _FixedResolver("::ffff:127.0.0.1")
    )
    answered = await run_node(HTTP, node(f"http://orders.example:{server.port}/hello"), resources)
    assert answered.output["body"] == {"hello": "mapped"}
