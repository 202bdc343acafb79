"""Values inside a node definition: literals, templates and scripts.

A field typed :data:`Value` holds any JSON. Its meaning is read from its shape:

* ``{"$script": "source"}`` is a Starlark script; its result is the value.
* ``{"$literal": anything}`` is taken as written, even strings containing ``{{``.
* a string containing ``{{`` is a template: each ``{{ path }}`` placeholder is replaced by
  the value at that scope path. A template that is exactly one placeholder yields the
  value itself with its JSON type (a number stays a number); otherwise values are
  written into the string (objects and lists as JSON).
* objects and lists are walked: their members may be templates or scripts themselves.
* anything else is a literal.

:func:`compile_value` turns the JSON into an :data:`Expression` tree once, so the
engine renders it without re-parsing and validation can list every script and
placeholder with its place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

import msgspec

from drift_models.paths import Path, PathSyntaxError, parse_path

__all__ = [
    "Expression",
    "ListValue",
    "LiteralValue",
    "ObjectValue",
    "Placeholder",
    "ScriptSource",
    "ScriptValue",
    "TemplateValue",
    "Value",
    "ValueSyntaxError",
    "compile_value",
    "iter_placeholders",
    "iter_scripts",
]

SCRIPT_KEY: Final = "$script"
LITERAL_KEY: Final = "$literal"

Value = Annotated[
    Any,
    msgspec.Meta(
        description=(
            "A literal JSON value; a string with {{ path }} placeholders (a template); "
            'or {"$script": "<starlark>"}. {"$literal": ...} keeps text with braces as is.'
        )
    ),
]
"""The type of a DSL field that may hold a literal, a template or a script."""

ScriptSource = Annotated[str, msgspec.Meta(min_length=1, description="Starlark source.")]
"""The type of a DSL field that holds a Starlark script (a rule, a transformer)."""

_PLACEHOLDER: Final = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


class ValueSyntaxError(ValueError):
    """A value whose template or script marker is malformed.

    Attributes:
        where: the path inside the value (relative to the field) of the bad part.
        reason: what is wrong, including the column inside a template.
    """

    def __init__(self, where: Path, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class LiteralValue:
    """A value taken as written."""

    value: Any


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One ``{{ path }}`` of a template.

    Attributes:
        text: the path as written, without braces and surrounding blanks.
        path: the parsed scope path.
        column: 1-based column of the opening braces inside the template.
    """

    text: str
    path: Path
    column: int


@dataclass(frozen=True, slots=True)
class TemplateValue:
    """A string with placeholders.

    Attributes:
        source: the template as written.
        parts: literal text and placeholders, in order.
    """

    source: str
    parts: tuple[str | Placeholder, ...]

    @property
    def single(self) -> Placeholder | None:
        """The placeholder when the template is exactly one, else ``None``."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Placeholder):
            return self.parts[0]
        return None


@dataclass(frozen=True, slots=True)
class ScriptValue:
    """A Starlark script whose result is the value."""

    source: str


@dataclass(frozen=True, slots=True)
class ObjectValue:
    """An object some of whose members are templates or scripts."""

    members: tuple[tuple[str, Expression], ...]


@dataclass(frozen=True, slots=True)
class ListValue:
    """A list some of whose items are templates or scripts."""

    items: tuple[Expression, ...]


Expression = LiteralValue | TemplateValue | ScriptValue | ObjectValue | ListValue
"""A compiled :data:`Value`."""


def compile_value(raw: Any) -> Expression:
    """Compile the JSON of a :data:`Value` into an :data:`Expression`.

    Objects and lists without any template or script inside compile to one
    :class:`LiteralValue`, so rendering them costs nothing.

    Raises:
        ValueSyntaxError: for a malformed placeholder or script marker, with its place.
    """
    return _compile(raw, ())


def _compile(raw: Any, where: Path) -> Expression:
    if isinstance(raw, str):
        return _compile_template(raw, where) if "{{" in raw else LiteralValue(raw)
    if isinstance(raw, Mapping):
        return _compile_object(raw, where)
    if isinstance(raw, list | tuple):
        items = tuple(_compile(item, (*where, i)) for i, item in enumerate(raw))
        if all(isinstance(item, LiteralValue) for item in items):
            return LiteralValue(raw)
        return ListValue(items)
    return LiteralValue(raw)


def _compile_object(raw: Mapping[str, Any], where: Path) -> Expression:
    if SCRIPT_KEY in raw:
        source = raw[SCRIPT_KEY]
        if len(raw) != 1:
            raise ValueSyntaxError(where, f"an object with {SCRIPT_KEY!r} must have no other keys")
        if not isinstance(source, str) or not source.strip():
            raise ValueSyntaxError((*where, SCRIPT_KEY), "a script must be a non-empty string")
        return ScriptValue(source)
    if LITERAL_KEY in raw:
        if len(raw) != 1:
            raise ValueSyntaxError(where, f"an object with {LITERAL_KEY!r} must have no other keys")
        return LiteralValue(raw[LITERAL_KEY])
    members = tuple((key, _compile(value, (*where, key))) for key, value in raw.items())
    if all(isinstance(value, LiteralValue) for _, value in members):
        return LiteralValue(dict(raw))
    return ObjectValue(members)


def _compile_template(source: str, where: Path) -> TemplateValue:
    parts: list[str | Placeholder] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(source):
        if match.start() > pos:
            parts.append(source[pos : match.start()])
        text = match.group(1).strip()
        column = match.start() + 1
        if not text:
            raise ValueSyntaxError(where, f"empty placeholder '{{{{ }}}}' at column {column}")
        try:
            path = parse_path(text, rooted=False)
        except PathSyntaxError as error:
            raise ValueSyntaxError(
                where, f"placeholder at column {column}: {error.reason} in {text!r}"
            ) from None
        parts.append(Placeholder(text, path, column))
        pos = match.end()
    rest = source[pos:]
    if "{{" in rest:
        column = pos + rest.index("{{") + 1
        raise ValueSyntaxError(
            where, f"placeholder opened at column {column} is never closed with '}}}}'"
        )
    if rest:
        parts.append(rest)
    return TemplateValue(source, tuple(parts))


def iter_scripts(expression: Expression, where: Path = ()) -> Iterator[tuple[Path, ScriptValue]]:
    """Yield every script inside ``expression`` with its path relative to the field."""
    if isinstance(expression, ScriptValue):
        yield (*where, SCRIPT_KEY), expression
    elif isinstance(expression, ObjectValue):
        for key, member in expression.members:
            yield from iter_scripts(member, (*where, key))
    elif isinstance(expression, ListValue):
        for i, item in enumerate(expression.items):
            yield from iter_scripts(item, (*where, i))


def iter_placeholders(
    expression: Expression, where: Path = ()
) -> Iterator[tuple[Path, Placeholder]]:
    """Yield every template placeholder inside ``expression`` with its path."""
    if isinstance(expression, TemplateValue):
        for part in expression.parts:
            if isinstance(part, Placeholder):
                yield where, part
    elif isinstance(expression, ObjectValue):
        for key, member in expression.members:
            yield from iter_placeholders(member, (*where, key))
    elif isinstance(expression, ListValue):
        for i, item in enumerate(expression.items):
            yield from iter_placeholders(item, (*where, i))
