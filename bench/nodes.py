"""Per-node overhead of the drift-nodes engine, and the HTTP node against a bare request.

Prints microseconds per call (median of several rounds) and ratios against baselines
measured in the same run:

* script evaluation, branch rule: against ``starlark.eval`` of a pre-parsed module in
  this process (no limits, no sandbox) — the floor of any Starlark engine;
* template and processor mapping: against a plain dict lookup in Python;
* the HTTP node against a local aiohttp server: against a bare ``session.get`` + JSON
  decode on the same server and session.

Usage: uv run python bench/nodes.py [--rounds R] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import starlark
from aiohttp import web

from drift_models import (
    BranchNode,
    HttpNode,
    NodeDefinition,
    NodeTypes,
    ProcessorNode,
    RunContext,
    ScriptNode,
)
from drift_nodes import HttpSettings, NodeResources, NodeSettings, render_value
from drift_nodes._sandbox_child import dialect, script_globals
from drift_nodes.builtins import BranchNodeType, HttpNodeType, ProcessorNodeType, ScriptNodeType
from drift_nodes.testing import LocalHttpServer, make_call

TRANSFORM = (
    'days = order["daysSinceDelivery"]\n'
    "share = 1.0 if days <= 30 else 0.5\n"
    '{"orderId": order["id"], "amount": order["total"] * share}'
)
RULE = 'refund["eligible"] and refund["amount"] > 10'
ORDER = {"id": "o-1", "total": 80.0, "daysSinceDelivery": 12, "status": "DELIVERED"}
SCOPE: dict[str, Any] = {"order": ORDER, "refund": {"eligible": True, "amount": 40.0}}
TYPES = NodeTypes()

Measured = Callable[[], Awaitable[object]]
N = TypeVar("N", bound=NodeDefinition)


def node(kind: type[N], document: dict[str, Any]) -> N:
    """Decode an inline node definition of type ``kind``."""
    decoded = TYPES.convert_node({"id": "n", "name": "N", **document})
    if not isinstance(decoded, kind):
        raise TypeError(type(decoded))
    return decoded


async def measure(call: Measured, *, calls: int, rounds: int) -> float:
    """Median microseconds per call over ``rounds`` rounds of ``calls`` calls."""
    await call()  # warm caches, start sandboxes
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            await call()
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples)


def raw_starlark(source: str) -> Measured:
    """Evaluate a pre-parsed ``source`` over the whole scope, in this process, no limits."""
    ast = starlark.parse("script", source, dialect())
    globals_ = script_globals()

    async def run() -> object:
        module = starlark.Module()
        for name, value in SCOPE.items():
            module[name] = value
        return starlark.eval(module, ast, globals_)

    return run


async def bench_engine(
    resources: NodeResources, calls: int, rounds: int
) -> list[tuple[str, float, float]]:
    """Script, rule, template and mapping costs against in-process baselines."""
    engine = resources.scripts
    ctx = RunContext.start({})
    rows: list[tuple[str, float, float]] = []

    base_transform = await measure(raw_starlark(TRANSFORM), calls=calls, rounds=rounds)
    rows.append(("starlark.eval in-process, transform (baseline)", base_transform, 1.0))
    sandboxed = await measure(lambda: engine.evaluate(TRANSFORM, SCOPE), calls=calls, rounds=rounds)
    rows.append(("engine.evaluate, transform (sandbox)", sandboxed, sandboxed / base_transform))
    script = node(
        ScriptNode, {"type": "SCRIPT", "parameters": ["order"], "config": {"script": TRANSFORM}}
    )
    call = make_call(resources, parameters={"order": ORDER}, context=ctx)
    whole = await measure(
        lambda: ScriptNodeType().execute(script, call), calls=calls, rounds=rounds
    )
    rows.append(("SCRIPT node, transform (sandbox)", whole, whole / base_transform))

    base_rule = await measure(raw_starlark(RULE), calls=calls, rounds=rounds)
    rows.append(("starlark.eval in-process, rule (baseline)", base_rule, 1.0))
    fast = await measure(lambda: engine.evaluate(RULE, SCOPE), calls=calls, rounds=rounds)
    rows.append(("engine.evaluate, rule (bounded: in-process)", fast, fast / base_rule))
    branch = node(BranchNode, {"type": "BRANCH", "parameters": ["refund"], "config": {
        "choices": [{"rule": RULE, "nextNode": "a"}], "defaultNode": "b"}})  # fmt: skip
    branch_call = make_call(resources, parameters={"refund": SCOPE["refund"]}, context=ctx)
    routed = await measure(
        lambda: BranchNodeType().execute(branch, branch_call), calls=calls, rounds=rounds
    )
    rows.append(("BRANCH node, one rule (in-process)", routed, routed / base_rule))
    statement = "r = refund\nr['eligible']"
    slow_branch = node(BranchNode, {"type": "BRANCH", "parameters": ["refund"], "config": {
        "choices": [{"rule": statement, "nextNode": "a"}], "defaultNode": "b"}})  # fmt: skip
    slow = await measure(
        lambda: BranchNodeType().execute(slow_branch, branch_call), calls=calls, rounds=rounds
    )
    rows.append(("BRANCH node, one rule with a statement (sandbox)", slow, slow / base_rule))

    async def plain_lookup() -> object:
        return f"Total {SCOPE['order']['total']} for {SCOPE['order']['id']}"

    many = calls * 10
    base_template = await measure(plain_lookup, calls=many, rounds=rounds)
    rows.append(("Python f-string lookup (baseline)", base_template, 1.0))
    template = "Total {{ order.total }} for {{ order.id }}"
    rendered = await measure(
        lambda: render_value(template, SCOPE, engine), calls=many, rounds=rounds
    )
    rows.append(("template, two placeholders", rendered, rendered / base_template))
    mappings = {"status": "PAID", "amount": "{{ order.total }}", "receipt": "R-{{ order.id }}"}
    processor = node(
        ProcessorNode,
        {"type": "PROCESSOR", "parameters": ["order"], "config": {"mappings": mappings}},
    )
    mapped = await measure(
        lambda: ProcessorNodeType().execute(processor, call), calls=many, rounds=rounds
    )
    rows.append(("PROCESSOR node, three mappings", mapped, mapped / base_template))
    return rows


async def bench_http(
    resources: NodeResources, calls: int, rounds: int
) -> list[tuple[str, float, float]]:
    """The HTTP node against a bare aiohttp request to the same local server."""

    async def order(_: web.Request) -> web.Response:
        return web.json_response(ORDER)

    async with LocalHttpServer() as server:
        server.route("GET", "/orders/{id}", order)
        await server.start()
        url = server.url("/orders/o-1")
        session = resources.http

        async def bare() -> object:
            async with session.get(url) as response:
                return await response.json()

        baseline = await measure(bare, calls=calls, rounds=rounds)
        definition = node(HttpNode, {"type": "HTTP", "parameters": ["orderId"], "config": {
            "url": "{{ _enum_store.base }}/orders/{{ orderId }}"}})  # fmt: skip
        ctx = RunContext.start({}, enum_store={"base": server.url("")})
        call = make_call(resources, parameters={"orderId": "o-1"}, context=ctx)
        timed = await measure(
            lambda: HttpNodeType().execute(definition, call), calls=calls, rounds=rounds
        )
    return [
        ("bare aiohttp GET + JSON, local server (baseline)", baseline, 1.0),
        ("HTTP node, same server", timed, timed / baseline),
    ]


async def main(rounds: int, calls: int) -> None:
    """Run every measurement and print the table."""
    settings = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    async with NodeResources(settings) as resources:
        rows = await bench_engine(resources, calls, rounds)
        rows += await bench_http(resources, calls, rounds)
    print(f"drift-nodes overhead: median of {rounds} rounds, {calls}+ calls each")
    print(f"{'operation':52}{'µs/call':>10}{'ratio':>9}")
    for label, micros, ratio in rows:
        print(f"{label:52}{micros:10.1f}{ratio:9.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="a few calls, for smoke tests")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.rounds, arguments.calls = 2, 5
    asyncio.run(main(arguments.rounds, arguments.calls))
