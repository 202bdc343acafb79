"""Paths into documents and values inside node definitions."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drift_models import (
    ListValue,
    LiteralValue,
    ObjectValue,
    PathNotFoundError,
    PathSyntaxError,
    Placeholder,
    ScriptValue,
    TemplateValue,
    ValueSyntaxError,
    compile_value,
    format_path,
    lookup,
    parse_path,
)
from drift_models.values import iter_placeholders, iter_scripts


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("$.params.orderId", ("params", "orderId")),
        ("$.lookup.body.items[0].sku", ("lookup", "body", "items", 0, "sku")),
        ("$.review:viewResponse.selectedOptions", ("review:viewResponse", "selectedOptions")),
        ('$["odd key"][2]', ("odd key", 2)),
        ("$.café.ñandú", ("café", "ñandú")),
    ],
)
def test_rooted_paths_parse(text: str, segments: tuple[Any, ...]) -> None:
    assert parse_path(text) == segments
    assert parse_path(format_path(segments)) == segments


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("params.x", 1, "a context path starts with '$.'"),
        ("$", 2, "a context path needs at least one step after '$'"),
        ("$.a..b", 5, "expected a name after '.'"),
        ("$.a[x]", 5, 'expected a list index like [0] or a key like ["a b"]'),
        ('$.a["x', 5, "unterminated quoted key"),
        ("$.a b", 4, "unexpected ' '; expected '.' or '['"),
    ],
)
def test_bad_paths_name_the_column(text: str, column: int, reason: str) -> None:
    with pytest.raises(PathSyntaxError) as caught:
        parse_path(text)
    assert (caught.value.column, caught.value.reason) == (column, reason)


segments = st.lists(st.one_of(st.integers(0, 99), st.text(min_size=1, max_size=8)), min_size=1)


@given(segments)
def test_format_then_parse_is_identity(path: list[Any]) -> None:
    assert parse_path(format_path(path)) == tuple(path)


def test_lookup_explains_what_is_missing() -> None:
    document = {"lookup": {"body": {"items": [{"sku": "A"}]}}}
    assert lookup(document, parse_path("$.lookup.body.items[0].sku")) == "A"
    with pytest.raises(PathNotFoundError) as caught:
        lookup(document, parse_path("$.lookup.body.total"))
    assert (
        str(caught.value)
        == "$.lookup.body.total: $.lookup.body has no field 'total' (fields: 'items')"
    )
    with pytest.raises(PathNotFoundError) as caught:
        lookup(document, parse_path("$.lookup.body.items[3]"))
    assert caught.value.reason == "$.lookup.body.items has 1 items; index 3 is past the end"
    with pytest.raises(PathNotFoundError) as caught:
        lookup(document, parse_path("$.lookup.body.items.sku"))
    assert caught.value.reason == "$.lookup.body.items is a list, not an object"


def test_values_compile_by_shape() -> None:
    assert compile_value(5) == LiteralValue(5)
    assert compile_value("plain") == LiteralValue("plain")
    assert compile_value({"a": [1, "b"]}) == LiteralValue({"a": [1, "b"]})
    assert compile_value({"$literal": "{{ kept }}"}) == LiteralValue("{{ kept }}")
    assert compile_value({"$script": "1 + 1"}) == ScriptValue("1 + 1")
    template = compile_value("Order {{ order.id }}!")
    assert template == TemplateValue(
        "Order {{ order.id }}!", ("Order ", Placeholder("order.id", ("order", "id"), 7), "!")
    )
    single = compile_value("{{ amount }}")
    assert isinstance(single, TemplateValue)
    assert single.single == Placeholder("amount", ("amount",), 1)


def test_nested_values_keep_literals_and_find_templates_and_scripts() -> None:
    value = compile_value({"a": 1, "b": ["x", "{{ y }}"], "c": {"$script": "2"}})
    assert isinstance(value, ObjectValue)
    members = dict(value.members)
    assert members["a"] == LiteralValue(1)
    assert isinstance(members["b"], ListValue)
    assert [path for path, _ in iter_placeholders(value)] == [("b", 1)]
    assert [path for path, _ in iter_scripts(value)] == [("c", "$script")]


@pytest.mark.parametrize(
    ("raw", "where", "reason"),
    [
        ("a {{ }} b", (), "empty placeholder '{{ }}' at column 3"),
        ("{{ a b }}", (), "placeholder at column 1: unexpected ' '; expected '.' or '[' in 'a b'"),
        ("x {{ a", (), "placeholder opened at column 3 is never closed with '}}'"),
        ({"k": ["ok", "{{ }}"]}, ("k", 1), "empty placeholder '{{ }}' at column 1"),
        ({"$script": "", "x": 1}, (), "an object with '$script' must have no other keys"),
        ({"$script": 3}, ("$script",), "a script must be a non-empty string"),
    ],
)
def test_malformed_values_say_where(raw: Any, where: tuple[Any, ...], reason: str) -> None:
    with pytest.raises(ValueSyntaxError) as caught:
        compile_value(raw)
    assert (caught.value.where, caught.value.reason) == (where, reason)
