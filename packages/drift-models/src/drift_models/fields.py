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
from collections.abc import Iterator, Mapping
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


def _walk(struct: msgspec.Struct, where: Path, marker: Any) -> Iterator[tuple[Path, Any]]:
    for name, encode_name, field_type in _fields(type(struct)):
        value = getattr(struct, name)
        if value is not None:
            yield from _walk_value(value, field_type, (*where, encode_name), marker)


def _walk_value(value: Any, type_: Any, where: Path, marker: Any) -> Iterator[tuple[Path, Any]]:
    if type_ == marker:
        yield where, value
        return
    if value is None or not _may_contain(type_, marker):
        return
    if isinstance(value, msgspec.Struct):
        yield from _walk(value, where, marker)
        return
    inner = _strip_optional(type_)
    origin = get_origin(inner)
    args = get_args(inner)
    if origin in (dict, Mapping) and isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk_value(item, args[1], (*where, key), marker)
    elif origin in (list, tuple) and isinstance(value, list | tuple):
        for i, item in enumerate(value):
            item_type = args[0] if origin is list or args[-1] is Ellipsis else args[i]
            yield from _walk_value(item, item_type, (*where, i), marker)


def _strip_optional(type_: Any) -> Any:
    if get_origin(type_) in (typing.Union, types.UnionType):
        members = [t for t in get_args(type_) if t is not type(None)]
        if len(members) == 1:
            return members[0]
    return type_


@functools.cache
def _fields(struct_type: type[msgspec.Struct]) -> tuple[tuple[str, str, Any], ...]:
    return tuple((f.name, f.encode_name, f.type) for f in msgspec.structs.fields(struct_type))


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
        return any(_search(t, marker, seen) for _, _, t in _fields(type_))
    if get_origin(type_) is typing.Annotated:
        return False
    return any(_search(arg, marker, seen) for arg in get_args(type_) if arg is not Ellipsis)
