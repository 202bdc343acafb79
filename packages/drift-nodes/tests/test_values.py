"""Value rendering (literals, templates, scripts) and parameter mapping from the context."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from drift_models import NodeTypes, RunContext, ThreadContext
from drift_nodes import (
    NodeResources,
    ParameterError,
    ScriptError,
    ValueRenderError,
    render_value,
    resolve_parameters,
)
from drift_nodes.builtins import SuccessNodeType
from drift_nodes.rendering import copy_json
from drift_nodes.testing import run_node

SCOPE: dict[str, Any] = {
    "amount": 12.5,
    "order": {"id": "o-1", "items": [{"sku": "A"}], "paid": True, "note": None},
    "_enum_store": {"url": "https://orders.example"},
    "_global": {"params": {"x": 1}},
}


@pytest.mark.parametrize(
    ("raw", "rendered"),
    [
        (42, 42),
        ("plain text", "plain text"),
        ("{{ amount }}", 12.5),
        ("{{ order.items }}", [{"sku": "A"}]),
        ("{{ order.items[0].sku }}", "A"),
        ('{{ order["id"] }}', "o-1"),
        ("Total: {{ amount }} for {{ order.id }}", "Total: 12.5 for o-1"),
        ("{{ order.paid }}/{{ order.note }}/{{ order.items }}", 'true/null/[{"sku":"A"}]'),
        ("{{ _enum_store.url }}/orders", "https://orders.example/orders"),
        ({"$literal": "{{ not a template }}"}, "{{ not a template }}"),
        (
            {"a": ["{{ amount }}", {"b": "{{ order.id }}"}], "c": 1},
            {"a": [12.5, {"b": "o-1"}], "c": 1},
        ),
        ({"$script": "amount * 2"}, 25.0),
        (
            {"double": {"$script": "x = amount\nx * 2"}, "id": "{{ order.id }}"},
            {"double": 25.0, "id": "o-1"},
        ),
    ],
)
async def test_values_render(resources: NodeResources, raw: Any, rendered: Any) -> None:
    assert await render_value(raw, SCOPE, resources.scripts) == rendered


async def test_a_missing_placeholder_says_where_and_what_is_there(
    resources: NodeResources,
) -> None:
    with pytest.raises(ValueRenderError) as caught:
        await render_value("Hi {{ order.customer }}", SCOPE, resources.scripts, where="config.url")
    message = caught.value.message
    assert message.startswith("config.url: placeholder {{ order.customer }} at column 4:")
    assert "has no field 'customer' (fields: 'id', 'items', 'note', 'paid')" in message


async def test_malformed_templates_and_scripts_where_not_allowed(resources: NodeResources) -> None:
    with pytest.raises(ValueRenderError, match=r"config\.body\.a: .*never closed"):
        await render_value({"a": "{{ open"}, SCOPE, resources.scripts, where="config.body")
    with pytest.raises(ValueRenderError, match="a script is not allowed here"):
        await render_value({"$script": "1"}, SCOPE, resources.scripts, allow_scripts=False)


async def test_script_errors_name_the_field(resources: NodeResources) -> None:
    with pytest.raises(ScriptError, match=r"^config\.headers\.X: the script failed at line 1"):
        await render_value({"$script": "nope"}, SCOPE, resources.scripts, where="config.headers.X")


def _context() -> RunContext:
    context = RunContext.start(
        {"orderId": "o-1"},
        thread_context=ThreadContext(tenant_id="acme", client_id="ui"),
        enum_store={"ordersUrl": "https://orders.example"},
    )
    context.set_output("lookup", {"body": {"total": 80, "items": [{"sku": "A"}]}})
    context.global_["review:viewResponse"] = {"selectedOptions": {"decision": ["approve"]}}
    return context


def test_parameters_map_paths_and_literals() -> None:
    mapping = {
        "orderId": "$.params.orderId",
        "total": "$.lookup.body.total",
        "sku": "$.lookup.body.items[0].sku",
        "decision": "$.review:viewResponse.selectedOptions.decision[0]",
        "url": "$._enum_store.ordersUrl",
        "tenant": "$.threadContext.tenantId",
        "outcome": "REFUNDED",
        "limit": 3,
        "nothing": None,
    }
    assert resolve_parameters("step", mapping, _context()) == {
        "orderId": "o-1",
        "total": 80,
        "sku": "A",
        "decision": "approve",
        "url": "https://orders.example",
        "tenant": "acme",
        "outcome": "REFUNDED",
        "limit": 3,
        "nothing": None,
    }


def test_a_missing_path_names_state_parameter_and_path() -> None:
    with pytest.raises(ParameterError) as caught:
        resolve_parameters("computeRefund", {"total": "$.lookup.body.amount"}, _context())
    assert caught.value.message == (
        "state 'computeRefund', parameter 'total': $.lookup.body.amount cannot be read: "
        "$.lookup.body has no field 'amount' (fields: 'items', 'total')"
    )
    assert caught.value.details == {
        "state": "computeRefund",
        "parameter": "total",
        "path": "$.lookup.body.amount",
    }
    with pytest.raises(ParameterError, match=r"\$\.later\.x cannot be read: \$ has no field"):
        resolve_parameters("s", {"v": "$.later.x"}, _context())
    with pytest.raises(ParameterError, match="bad path"):
        resolve_parameters("s", {"v": "$.a..b"}, _context())


def test_overrides_win_and_declared_parameters_must_have_values() -> None:
    resolved = resolve_parameters(
        "verifyCode",
        {"accountId": "$.params.orderId", "code": None},
        _context(),
        declared=("accountId", "code"),
        overrides={"code": "1234"},
    )
    assert resolved == {"accountId": "o-1", "code": "1234"}
    with pytest.raises(ParameterError, match=r"no value for parameter\(s\) 'code'"):
        resolve_parameters("s", {"accountId": "x"}, _context(), declared=("accountId", "code"))


async def test_an_output_naming_the_context_is_a_copy_so_the_context_stays_acyclic(
    resources: NodeResources,
) -> None:
    """A SUCCESS output of ``{{ _global }}`` once made the context contain itself, and the
    run failed with a raw RecursionError when the context was written."""
    node = NodeTypes().convert_node(
        {"type": "SUCCESS", "id": "done", "name": "done", "config": {"output": "{{ _global }}"}}
    )
    context = RunContext(global_={"params": {"orderId": "A-1"}, "lookup": {"items": [1, 2]}})
    result = await run_node(SuccessNodeType(), node, resources, context=context, instance="done")
    assert result.output == {"params": {"orderId": "A-1"}, "lookup": {"items": [1, 2]}}
    assert result.output is not context.global_
    assert result.output["lookup"] is not context.global_["lookup"]
    context.set_output("done", result.output)
    written = msgspec.json.decode(msgspec.json.encode(context))
    assert written["_global"]["done"]["params"] == {"orderId": "A-1"}


def test_copy_json_copies_deep_values_without_recursion() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep, {"k": 1}]
    copied = copy_json(deep)
    assert copied is not deep
    depth = 0
    while copied:
        assert copied[1] == {"k": 1}
        copied = copied[0]
        depth += 1
    assert depth == 100_000
