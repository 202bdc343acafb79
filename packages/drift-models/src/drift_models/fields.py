"""Find the values, scripts and state targets inside any node definition.

Node types mark their fields with three types: :data:`~drift_models.values.Value`
(literal, template or script), :data:`~drift_models.values.ScriptSource` (Starlark) and
:data:`~drift_models.nodes.NodeTarget` (a state to go to). The functions here walk a
definition by its declared types and yield each marked field with its JSON path, so
validation, graph pictures and the engine treat plugin node types exactly like the
built-ins, without knowing them.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any, get_args, get_origin

import msgspec

from drift_models.nodes.base import NodeTarget
from drift_models.paths import Path
from drift_models.values import ScriptSource, Value

__all__ = ["iter_script_fields", "iter_target_fields", "iter_value_fields"]


def iter_value_fields(struct: msgspec.Struct, where: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Yield ``(path, raw JSON)`` for every :data:`Value` field set in ``struct``."""
    yield from _walk(struct, where, Value)


def iter_script_fields(struct: msgspec.Struct, where: Path = ()) -> Iterator[tuple[Path, str]]:
    """Yield ``(path, source)`` for every :data:`ScriptSource` field set in ``struct``."""
    for path, value in _walk(struct, where, ScriptSource):
        yield path, str(value)


def iter_target_fields(struct: msgspec.Struct, where: Path = ()) -> Iterator[tuple[Path, str]]:
    """Yield ``(path, state)`` for every :data:`NodeTarget` field set in ``struct``."""
    for path, value in _walk(struct, where, NodeTarget):
        yield path, str(value)


Walker = Callable[[Any, Path], Iterator[tuple[Path, Any]]]


def _walk(struct: msgspec.Struct, where: Path, marker: Any) -> Iterator[tuple[Path, Any]]:
    for name, encode_name, walker in _plan(type(struct), marker):
        value = getattr(struct, name)
        if value is not None:
            yield from walker(value, (*where, encode_name))


@functools.cache
def _plan(struct_type: type[msgspec.Struct], marker: Any) -> tuple[tuple[str, str, Walker], ...]:
    """The fields of ``struct_type`` that may hold ``marker``, each with its walker."""
    plan = []
    for field in msgspec.structs.fields(struct_type):
        walker = _walker(field.type, marker)
        if walker is not None:
            plan.append((field.name, field.encode_name, walker))
    return tuple(plan)


@functools.cache
def _walker(type_: Any, marker: Any) -> Walker | None:  # noqa: C901 - one case per shape
    """Build a function yielding the ``marker`` values inside a value of ``type_``.

    Returns ``None`` when a value of that type cannot hold any.
    """
    if not _may_contain(type_, marker):
        return None
    inner = _strip_optional(type_)
    if marker in (type_, inner):

        def found(value: Any, where: Path) -> Iterator[tuple[Path, Any]]:
            yield where, value

        return found
    origin = get_origin(inner)
    args = get_args(inner)
    if origin in (dict, Mapping):
        item_walker = _walker(args[1], marker)

        def entries(value: Any, where: Path) -> Iterator[tuple[Path, Any]]:
            if isinstance(value, Mapping) and item_walker is not None:
                for key, item in value.items():
                    if item is not None:
                        yield from item_walker(item, (*where, key))

        return entries
    if origin in (list, tuple) and (origin is list or args[-1] is Ellipsis):
        item_walker = _walker(args[0], marker)

        def items(value: Any, where: Path) -> Iterator[tuple[Path, Any]]:
            if isinstance(value, list | tuple) and item_walker is not None:
                for i, item in enumerate(value):
                    if item is not None:
                        yield from item_walker(item, (*where, i))

        return items

    def structs(value: Any, where: Path) -> Iterator[tuple[Path, Any]]:
        # A Struct, or a union of Structs: the value's own type says which fields to follow.
        if isinstance(value, msgspec.Struct):
            yield from _walk(value, where, marker)

    return structs


def _strip_optional(type_: Any) -> Any:
    if get_origin(type_) in (typing.Union, types.UnionType):
        members = [t for t in get_args(type_) if t is not type(None)]
        if len(members) == 1:
            return members[0]
    return type_


@functools.cache
def _may_contain(type_: Any, marker: Any) -> bool:
    """Whether a value of ``type_`` can hold a ``marker`` field somewhere inside."""
    return _search(type_, marker, set())


def _search(type_: Any, marker: Any, seen: set[type]) -> bool:
    if type_ == marker:
        return True
    if isinstance(type_, type) and issubclass(type_, msgspec.Struct):
        if type_ in seen:  # a recursive config type: its other fields are searched already
            return False
        seen.add(type_)
        return any(_search(f.type, marker, seen) for f in msgspec.structs.fields(type_))
    if get_origin(type_) is typing.Annotated:
        return False
    return any(_search(arg, marker, seen) for arg in get_args(type_) if arg is not Ellipsis)
