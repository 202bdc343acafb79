"""Paths into JSON documents: parsing, formatting and lookup.

Two spellings share one grammar:

* *rooted* paths start with ``$`` and address the run's context from a workflow node's
  ``parameters`` (``$.params.orderId``, ``$.lookup.body.items[0]``,
  ``$.review:viewResponse.selectedOptions.decision``). The same spelling names the
  place of a problem inside a definition (``$.states.lookup.nextNode``).
* *scope* paths have no ``$`` and address a node's own scope from a template
  (``{{ orderId }}``, ``{{ _enum_store.ordersUrl }}``).

A segment is ``.name`` (letters, digits, ``_``, ``-`` and ``:``), ``[3]`` (a list
index) or ``["any key"]`` (a quoted key, JSON string syntax).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = [
    "Path",
    "PathNotFoundError",
    "PathSyntaxError",
    "Segment",
    "format_path",
    "lookup",
    "parse_path",
]

Segment = str | int
"""One step of a path: a key of an object or an index of a list."""

Path = tuple[Segment, ...]
"""A parsed path: the steps from the document's root."""

_NAME: Final = re.compile(r"[\w\-:]+")
_PLAIN_KEY: Final = re.compile(r"[^\W\d][\w\-:]*")
_INDEX: Final = re.compile(r"\[(\d+)\]")
_SHOWN_KEYS: Final = 10


class PathSyntaxError(ValueError):
    """A path that does not follow the grammar.

    Attributes:
        text: the path as written.
        column: the 1-based column of the first character that is wrong.
        reason: what is wrong, in a sentence.
    """

    def __init__(self, text: str, column: int, reason: str) -> None:
        self.text = text
        self.column = column
        self.reason = reason
        super().__init__(f"bad path {text!r} at column {column}: {reason}")


class PathNotFoundError(LookupError):
    """A path that does not lead to a value in a document.

    Attributes:
        path: the full path that was looked up.
        depth: how many segments matched before the lookup failed.
        reason: what was found instead, in a sentence.
    """

    def __init__(self, path: str, depth: int, reason: str) -> None:
        self.path = path
        self.depth = depth
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def parse_path(text: str, *, rooted: bool = True) -> Path:
    """Parse ``text`` into its segments.

    Args:
        text: the path, e.g. ``$.lookup.body[0]`` (rooted) or ``lookup.body`` (scope).
        rooted: whether the path must start with ``$``.

    Raises:
        PathSyntaxError: with the column of the first wrong character.
    """
    pos = 0
    segments: list[Segment] = []
    if rooted:
        if not text.startswith("$"):
            raise PathSyntaxError(text, 1, "a context path starts with '$.'")
        pos = 1
        if pos == len(text):
            raise PathSyntaxError(text, 2, "a context path needs at least one step after '$'")
    else:
        match = _NAME.match(text, pos)
        if match is None:
            raise PathSyntaxError(text, 1, "expected a name")
        segments.append(match.group())
        pos = match.end()
    while pos < len(text):
        char = text[pos]
        if char == ".":
            match = _NAME.match(text, pos + 1)
            if match is None:
                raise PathSyntaxError(text, pos + 2, "expected a name after '.'")
            segments.append(match.group())
            pos = match.end()
        elif char == "[":
            pos = _parse_bracket(text, pos, segments)
        else:
            raise PathSyntaxError(text, pos + 1, f"unexpected {char!r}; expected '.' or '['")
    return tuple(segments)


def _parse_bracket(text: str, pos: int, segments: list[Segment]) -> int:
    index = _INDEX.match(text, pos)
    if index is not None:
        segments.append(int(index.group(1)))
        return index.end()
    if text.startswith('["', pos):
        decoder = json.JSONDecoder()
        try:
            key, end = decoder.raw_decode(text, pos + 1)
        except json.JSONDecodeError:
            raise PathSyntaxError(text, pos + 2, "unterminated quoted key") from None
        if text.startswith("]", end):
            segments.append(key)
            return end + 1
        raise PathSyntaxError(text, end + 1, "expected ']' after the quoted key")
    raise PathSyntaxError(text, pos + 2, 'expected a list index like [0] or a key like ["a b"]')


def format_path(segments: Sequence[Segment], *, rooted: bool = True) -> str:
    """Render segments as a path that :func:`parse_path` reads back unchanged."""
    parts: list[str] = ["$"] if rooted else []
    rest = segments
    if not rooted and segments and isinstance(segments[0], str) and _NAME.fullmatch(segments[0]):
        parts.append(segments[0])
        rest = segments[1:]
    for segment in rest:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif _PLAIN_KEY.fullmatch(segment):
            parts.append(f".{segment}")
        else:
            parts.append(f"[{json.dumps(segment, ensure_ascii=False)}]")
    return "".join(parts)


def lookup(document: Any, segments: Sequence[Segment], *, rooted: bool = True) -> Any:
    """Follow ``segments`` through ``document`` and return the value found.

    Raises:
        PathNotFoundError: naming the first step that is missing and what was there.
    """
    current = document
    for depth, segment in enumerate(segments):
        if isinstance(segment, int):
            if not isinstance(current, Sequence) or isinstance(current, str):
                raise _not_found(segments, depth, f"is {_kind(current)}, not a list", rooted=rooted)
            if segment >= len(current):
                raise _not_found(
                    segments,
                    depth,
                    f"has {len(current)} items; index {segment} is past the end",
                    rooted=rooted,
                )
            current = current[segment]
        else:
            if not isinstance(current, Mapping):
                raise _not_found(
                    segments, depth, f"is {_kind(current)}, not an object", rooted=rooted
                )
            if segment not in current:
                raise _not_found(segments, depth, _missing_key(current, segment), rooted=rooted)
            current = current[segment]
    return current


def _not_found(
    segments: Sequence[Segment], depth: int, reason: str, *, rooted: bool
) -> PathNotFoundError:
    where = format_path(segments[:depth], rooted=rooted) if depth or rooted else "the scope"
    return PathNotFoundError(format_path(segments, rooted=rooted), depth, f"{where} {reason}")


def _missing_key(current: Mapping[Any, Any], segment: str) -> str:
    keys = sorted(str(k) for k in current)
    if not keys:
        return f"has no field {segment!r} (it is empty)"
    shown = ", ".join(repr(k) for k in keys[:_SHOWN_KEYS])
    shown += ", …" if len(keys) > _SHOWN_KEYS else ""
    return f"has no field {segment!r} (fields: {shown})"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    return "a list"
