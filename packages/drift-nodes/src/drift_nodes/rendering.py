"""Rendering values: literals, ``{{ path }}`` templates and scripts, over a node's scope.

A node's *scope* is its resolved parameters by name, plus ``_global`` (the run's
context) and ``_enum_store`` (the tenant's settings). :func:`render_value` turns the raw
JSON of a DSL ``Value`` field into its value in that scope. A template that is exactly
one placeholder keeps the JSON type of what it names; in a longer template, strings are
inserted as they are and anything else as JSON (``true``, ``12.5``, ``null``).

What a placeholder names is copied, never shared: a node's output that *is* a piece of
the run's context (``{{ _global }}``) would otherwise make the context contain itself.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import msgspec

from drift_models import (
    Expression,
    ListValue,
    LiteralValue,
    ObjectValue,
    PathNotFoundError,
    ScriptValue,
    TemplateValue,
    ValueSyntaxError,
    compile_value,
    format_path,
    lookup,
)
from drift_nodes.errors import ScriptError, ValueRenderError
from drift_nodes.scripting import ScriptEngine

__all__ = [
    "compile_cached",
    "copy_json",
    "render_expression",
    "render_template",
    "render_value",
]

_ENCODER = msgspec.json.Encoder()


def compile_cached(raw: Any, *, where: str = "value") -> Expression:
    """Compile the raw JSON of a value (strings are cached by their text).

    Raises:
        ValueRenderError: for a malformed template or script marker, naming ``where``.
    """
    try:
        if isinstance(raw, str):
            return _compile_text(raw)
        return compile_value(raw)
    except ValueSyntaxError as error:
        place = _join(where, error.where)
        msg = f"{place}: {error.reason}"
        raise ValueRenderError(msg, details={"field": place}) from None


@functools.lru_cache(maxsize=8192)
def _compile_text(raw: str) -> Expression:
    return compile_value(raw)


async def render_value(
    raw: Any,
    scope: Mapping[str, Any],
    engine: ScriptEngine | None,
    *,
    where: str = "value",
    allow_scripts: bool = True,
) -> Any:
    """Render the raw JSON of a ``Value`` field over ``scope``.

    Args:
        raw: the field's JSON as written in the definition.
        scope: the node's scope.
        engine: evaluates scripts; ``None`` only where scripts cannot occur.
        where: the field's place, for error messages (``config.url``).
        allow_scripts: ``False`` refuses scripts (PROCESSOR mappings).

    Raises:
        ValueRenderError: a placeholder names nothing in the scope, or a script is not
            allowed here.
        ScriptError: a script fails (with its line and column).
    """
    if raw is None or isinstance(raw, bool | int | float):
        return raw
    expression = compile_cached(raw, where=where)
    return await render_expression(
        expression, scope, engine, where=where, allow_scripts=allow_scripts
    )


async def render_expression(
    expression: Expression,
    scope: Mapping[str, Any],
    engine: ScriptEngine | None,
    *,
    where: str = "value",
    allow_scripts: bool = True,
) -> Any:
    """Render a compiled :data:`~drift_models.Expression` (see :func:`render_value`)."""
    if isinstance(expression, LiteralValue):
        return expression.value
    if isinstance(expression, TemplateValue):
        return render_template(expression, scope, where=where)
    if isinstance(expression, ObjectValue):
        return {
            key: await render_expression(
                member, scope, engine, where=f"{where}.{key}", allow_scripts=allow_scripts
            )
            for key, member in expression.members
        }
    if isinstance(expression, ListValue):
        return [
            await render_expression(
                item, scope, engine, where=f"{where}[{index}]", allow_scripts=allow_scripts
            )
            for index, item in enumerate(expression.items)
        ]
    return await _render_script(expression, scope, engine, where=where, allow=allow_scripts)


async def _render_script(
    script: ScriptValue,
    scope: Mapping[str, Any],
    engine: ScriptEngine | None,
    *,
    where: str,
    allow: bool,
) -> Any:
    if not allow or engine is None:
        msg = f"{where}: a script is not allowed here"
        raise ValueRenderError(msg, code="script-not-allowed")
    try:
        return await engine.evaluate(script.source, scope)
    except ScriptError as error:
        error.message = f"{where}: {error.message}"
        error.args = (error.message,)
        error.details["field"] = where
        raise


def render_template(template: TemplateValue, scope: Mapping[str, Any], *, where: str) -> Any:
    """Fill a template's placeholders from ``scope``.

    Raises:
        ValueRenderError: naming the field, the placeholder and what the scope lacks.
    """
    single = template.single
    if single is not None:
        found = _placeholder_value(single.path, single.text, single.column, scope, where)
        return copy_json(found)
    pieces: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        value = _placeholder_value(part.path, part.text, part.column, scope, where)
        pieces.append(value if isinstance(value, str) else _ENCODER.encode(value).decode())
    return "".join(pieces)


def _placeholder_value(
    path: tuple[str | int, ...], text: str, column: int, scope: Mapping[str, Any], where: str
) -> Any:
    try:
        return lookup(scope, path, rooted=False)
    except PathNotFoundError as error:
        message = f"{where}: placeholder {{{{ {text} }}}} at column {column}: {error.reason}"
        raise ValueRenderError(
            message, code="placeholder-missing", details={"field": where, "placeholder": text}
        ) from None


def copy_json(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts and lists; anything else is kept as it is).

    It walks the value with a stack of its own, so depth costs no recursion.

    Example:
        >>> shared = {"a": [1, {"b": 2}]}
        >>> copied = copy_json(shared)
        >>> copied == shared, copied["a"] is shared["a"]
        (True, False)
    """
    if not isinstance(value, dict | list):
        return value
    root: dict[Any, Any] | list[Any] = {} if isinstance(value, dict) else []
    pending: list[tuple[dict[Any, Any] | list[Any], dict[Any, Any] | list[Any]]] = [(value, root)]
    while pending:
        source, target = pending.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            child: Any = item
            if isinstance(item, dict | list):
                child = {} if isinstance(item, dict) else []
                pending.append((item, child))
            if isinstance(target, dict):
                target[key] = child
            else:
                target.append(child)
    return root


def _join(where: str, inner: tuple[str | int, ...]) -> str:
    if not inner:
        return where
    return where + format_path(inner)[1:]
