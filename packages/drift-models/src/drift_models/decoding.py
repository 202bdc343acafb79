"""Strict decoding with errors that name the exact place of the fault.

msgspec stops at the first fault, writes dictionary values as ``[...]`` in its paths
and explains patterns with the raw regular expression. Drift documents key their
states by name, so an error inside ``$.states[...]`` would not say *which* state is
wrong. :func:`decode_strict` keeps msgspec's speed on the good path and, only when
decoding fails, walks the document beside its declared types to put the real keys back
into the path and to say what would have been right.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar, get_args, get_origin

import msgspec

from drift_models.paths import Segment, format_path
from drift_models.problems import Problem

__all__ = ["DocumentError", "convert_strict", "decode_strict"]

T = TypeVar("T")

_AT: Final = re.compile(r"^(?P<message>.*) - at `(?P<path>\$[^`]*)`$", re.DOTALL)
_AT_KEY: Final = re.compile(r"^(?P<message>.*) - at `key` in `(?P<path>\$[^`]*)`$", re.DOTALL)
_TOKEN: Final = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[(\.\.\.)\]")
_BYTE: Final = re.compile(r"\(byte (\d+)\)")
_PAIR: Final = 2
_UNKNOWN_FIELD: Final = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$")


class DocumentError(ValueError):
    """A document that cannot be read as the type it should be.

    Attributes:
        problems: what is wrong and where (decoding stops at the first fault, so
            there is one; validation reports every problem through the same type).
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))


_EXACT: Final = 2**53


def decode_strict(data: bytes | str, type_: Any, *, what: str = "document") -> Any:
    """Decode JSON ``data`` as ``type_``, raising :class:`DocumentError` with exact paths.

    Args:
        data: the JSON text.
        type_: the type to decode into.
        what: what the document is, for messages ("workflow definition").
    """
    try:
        return msgspec.json.decode(data, type=type_)
    except msgspec.ValidationError as error:
        try:
            raw = msgspec.json.decode(data)
        except msgspec.DecodeError:
            # Not even untyped JSON (a number beyond a float's range, say).
            message = f"the {what} cannot be read: {error}"
            raise DocumentError([Problem(path="$", message=message, code="json")]) from None
        if "got `float`" in str(error):
            # JSON Schema counts 3.0 as the integer 3; so does the DSL.
            try:
                return msgspec.convert(_whole_numbers(raw), type_)
            except msgspec.ValidationError as again:
                error = again
        raise DocumentError([explain(str(error), raw, type_)]) from None
    except msgspec.DecodeError as error:
        message = str(error)
        where = _BYTE.search(message)
        if where is not None:
            line, column = _line_column(data, int(where.group(1)))
            message = f"{message.split(' (byte', maxsplit=1)[0]} at line {line}, column {column}"
        raise DocumentError(
            [Problem(path="$", message=f"the {what} is not valid JSON: {message}", code="json")]
        ) from None


def _whole_numbers(value: Any) -> Any:
    """``value`` with every float that is a whole number (``3.0``) as an int."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < _EXACT else value
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    return value


def convert_strict(obj: Any, type_: Any) -> Any:
    """Convert already-parsed data (from YAML, say) as ``type_``, with exact paths."""
    try:
        return msgspec.convert(obj, type_)
    except msgspec.ValidationError as error:
        raise DocumentError([explain(str(error), obj, type_)]) from None


def explain(message: str, raw: Any, type_: Any) -> Problem:
    """Turn a msgspec validation message about ``raw`` into a :class:`Problem`."""
    key_match = _AT_KEY.match(message)
    match = key_match or _AT.match(message)
    text = match.group("message") if match else message
    spot = _walk(raw, type_, match.group("path") if match else "$")
    if spot is None:
        return Problem(path=match.group("path") if match else "$", message=text, code="type")
    if key_match is not None:
        spot = _bad_key(spot) or spot
    return Problem(path=format_path(spot.path), message=_reword(text, spot), code="type")


@dataclass(frozen=True, slots=True)
class _Spot:
    """A place in the document: its path, the value there and its declared type."""

    path: tuple[Segment, ...]
    value: Any
    declared: Any
    parent: Any = None


def _walk(raw: Any, type_: Any, msgspec_path: str) -> _Spot | None:
    spot = _Spot((), raw, type_)
    for token in _TOKEN.finditer(msgspec_path, 1):
        name, index, hidden = token.groups()
        concrete = _concrete(spot.declared, spot.value)
        if name is not None:
            if not isinstance(spot.value, Mapping) or name not in spot.value:
                return None
            child = _field_type(concrete, name)
            spot = _Spot((*spot.path, name), spot.value[name], child, spot.declared)
        elif index is not None:
            position = int(index)
            if not isinstance(spot.value, list) or position >= len(spot.value):
                return None
            spot = _Spot(
                (*spot.path, position), spot.value[position], _item_type(concrete, position)
            )
        elif hidden is not None:
            found = _bad_entry(spot, concrete)
            if found is None:
                return None
            spot = found
    return spot


def _bad_entry(spot: _Spot, concrete: Any) -> _Spot | None:
    """The first entry of a dictionary whose value does not convert."""
    if not isinstance(spot.value, Mapping):
        return None
    value_type = _dict_args(concrete)[1]
    for key, value in spot.value.items():
        try:
            msgspec.convert(value, value_type)
        except msgspec.ValidationError:
            return _Spot((*spot.path, key), value, value_type)
    return None


def _bad_key(spot: _Spot) -> _Spot | None:
    """The first key of the dictionary at ``spot`` that does not convert."""
    if not isinstance(spot.value, Mapping):
        return None
    key_type = _dict_args(_concrete(spot.declared, spot.value))[0]
    for key in spot.value:
        try:
            msgspec.convert(key, key_type)
        except msgspec.ValidationError:
            return _Spot((*spot.path, key), key, key_type)
    return None


def _reword(text: str, spot: _Spot) -> str:
    """Say what would have been right, from the declared type at the spot."""
    for rewrite in (_reword_pattern, _reword_tag, _reword_enum, _reword_unknown_field):
        better = rewrite(text, spot)
        if better is not None:
            return better
    if text.startswith("Object missing required field"):
        return text.replace("Object missing required field", "missing required field")
    description = _description(spot.declared)
    if description and text.startswith("Expected"):
        return f"{text} ({description})"
    return text


def _reword_pattern(text: str, spot: _Spot) -> str | None:
    description = _description(spot.declared)
    if text.startswith("Expected `str` matching regex") and description:
        return f"{spot.value!r} is not allowed here: {description}"
    return None


def _reword_tag(text: str, spot: _Spot) -> str | None:
    if text.startswith("Invalid value") and spot.path and spot.parent is not None:
        tags = _tags(spot.parent, spot.path[-1])
        if tags:
            return f"unknown type {spot.value!r} (known: {', '.join(tags)})"
    return None


def _reword_enum(text: str, spot: _Spot) -> str | None:
    if text.startswith("Invalid enum value"):
        allowed = _allowed_values(spot.declared)
        if allowed:
            return f"{spot.value!r} is not one of {', '.join(allowed)}"
    return None


def _reword_unknown_field(text: str, spot: _Spot) -> str | None:
    unknown = _UNKNOWN_FIELD.match(text)
    if unknown is not None:
        concrete = _concrete(spot.declared, spot.value)
        if isinstance(concrete, type) and issubclass(concrete, msgspec.Struct):
            fields = ", ".join(f.encode_name for f in msgspec.structs.fields(concrete))
            return f"unknown field {unknown.group('name')!r} (allowed: {fields})"
    return None


def _tags(declared: Any, field: Segment) -> list[str]:
    tags: list[str] = []
    for member in _members(_strip(declared)):
        bare = _strip(member)
        if isinstance(bare, type) and issubclass(bare, msgspec.Struct):
            config = bare.__struct_config__
            if config.tag_field == field and isinstance(config.tag, str):
                tags.append(config.tag)
    return tags


def _description(declared: Any) -> str | None:
    for member in _members(declared):
        if get_origin(member) is typing.Annotated:
            for meta in get_args(member)[1:]:
                if isinstance(meta, msgspec.Meta) and meta.description:
                    return meta.description
    return None


def _allowed_values(declared: Any) -> list[str]:
    allowed: list[str] = []
    for member in _members(declared):
        bare = _strip(member)
        if get_origin(bare) is Literal:
            allowed.extend(str(v) for v in get_args(bare))
        elif isinstance(bare, type) and issubclass(bare, enum.Enum):
            allowed.extend(str(v.value) for v in bare)
        elif bare is int:
            allowed.append("a number")
    return allowed


def _members(declared: Any) -> list[Any]:
    if get_origin(declared) in (typing.Union, types.UnionType):
        return [m for arg in get_args(declared) for m in _members(arg)]
    return [declared]


def _strip(type_: Any) -> Any:
    while get_origin(type_) is typing.Annotated:
        type_ = get_args(type_)[0]
    return type_


def _concrete(declared: Any, value: Any) -> Any:
    """The member of a (possibly optional, annotated) union that fits ``value``."""
    for member in _members(_strip(declared)):
        bare = _strip(member)
        if _fits(bare, value):
            return bare
    return _strip(declared)


def _fits(type_: Any, value: Any) -> bool:
    if isinstance(type_, type) and issubclass(type_, msgspec.Struct):
        if not isinstance(value, Mapping):
            return False
        config = type_.__struct_config__
        return config.tag_field is None or value.get(config.tag_field) == config.tag
    origin = get_origin(type_) or type_
    if origin in (dict, Mapping):
        return isinstance(value, Mapping)
    if origin in (list, tuple):
        return isinstance(value, list)
    return False


def _field_type(struct_type: Any, name: str) -> Any:
    if isinstance(struct_type, type) and issubclass(struct_type, msgspec.Struct):
        for field in msgspec.structs.fields(struct_type):
            if field.encode_name == name:
                return field.type
    return Any


def _item_type(container: Any, index: int) -> Any:
    args = get_args(container)
    if get_origin(container) is tuple and not (len(args) == _PAIR and args[1] is Ellipsis):
        return args[index] if index < len(args) else Any
    return args[0] if args else Any


def _dict_args(type_: Any) -> tuple[Any, Any]:
    args = get_args(type_)
    return (args[0], args[1]) if len(args) == _PAIR else (str, Any)


def _line_column(data: bytes | str, offset: int) -> tuple[int, int]:
    text = data if isinstance(data, bytes) else data.encode()
    before = text[:offset]
    line = before.count(b"\n") + 1
    column = len(before) - (before.rfind(b"\n") + 1) + 1
    return line, column
