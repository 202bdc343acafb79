"""Which scripts are provably bounded, so they may run in the worker process itself.

A script runs in-process only when it is one expression (no statements, no
assignments), has no loop or comprehension, no function definition or lambda, no
repetition or shift operator (``*``, ``<<``), no f-string, and calls only functions
and methods whose result is at most linear in the size of their arguments. Then
everything it allocates is bounded by the length of the script times the size of its
inputs, which the worker already holds: a memory bomb cannot be written in this subset.
Anything else goes to a sandbox process. The test is lexical and errs on the side of
the sandbox.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["is_provably_bounded"]

_TOKEN: Final = re.compile(
    r"""
    (?P<string>[rR]?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
        |'(?:\\.|[^\\'\n])*'|"(?:\\.|[^\\"\n])*"))
    |(?P<comment>\#[^\n]*)
    |(?P<name>[A-Za-z_]\w*)
    |(?P<number>\d[\w.]*)
    |(?P<newline>\n)
    |(?P<space>[ \t\r]+)
    |(?P<op>\*\*=?|\*=?|<<=?|>>=?|==|!=|<=|>=|//=?|[-+/%&|^]=|->|[-+/%&|^~<>=.,:;()\[\]{}@])
    """,
    re.VERBOSE | re.DOTALL,
)

_FORBIDDEN_NAMES: Final = frozenset(
    {"for", "while", "def", "lambda", "load", "return", "pass", "break", "continue", "range"}
)
_FORBIDDEN_OPS: Final = frozenset(
    {"*", "**", "*=", "**=", "<<", "<<=", "=", ";", "->", "@", "+=", "-=", "/=", "//=", "%="}
)
_SAFE_FUNCTIONS: Final = frozenset(
    {
        "abs", "all", "any", "bool", "dict", "enumerate", "float", "getattr", "hasattr",
        "hash", "int", "len", "list", "max", "min", "repr", "reversed", "round", "sorted", "str",
        "tuple", "type", "zip",
    }
)  # fmt: skip
_SAFE_METHODS: Final = frozenset(
    {
        "capitalize", "count", "decode", "elems", "encode", "endswith", "find", "format",
        "get", "index", "isalnum", "isalpha", "isdigit", "islower", "isspace", "isupper",
        "items", "join", "keys", "lower", "lstrip", "partition", "rfind", "rindex",
        "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip",
        "title", "upper", "values",
    }
)  # fmt: skip
_OPENING: Final = frozenset("([{")
_CLOSING: Final = frozenset(")]}")


def is_provably_bounded(source: str) -> bool:
    """Whether ``source`` is in the bounded subset (see the module's description)."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = source.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            return False
        if (
            match.lastgroup == "string"
            and pos
            and (text[pos - 1].isalnum() or text[pos - 1] == "_")
        ):
            return False  # a prefixed string (f-string, bytes): its inside is code or bytes
        pos = match.end()
        if match.lastgroup not in {"space", "comment"}:
            tokens.append((match.lastgroup, match.group()))
    return bool(tokens) and _tokens_bounded(tokens)


def _tokens_bounded(tokens: list[tuple[str, str]]) -> bool:
    depth = 0
    previous: tuple[str, str] = ("", "")
    before_previous: tuple[str, str] = ("", "")
    for kind, value in tokens:
        if kind == "newline" and depth == 0:
            return False
        if (kind == "name" and value in _FORBIDDEN_NAMES) or (
            kind == "op" and value in _FORBIDDEN_OPS
        ):
            return False
        if kind == "op" and value == ":" and depth == 0:
            return False
        if kind == "op" and value == "(" and not _safe_call(previous, before_previous):
            return False
        if kind == "op" and value in _OPENING:
            depth += 1
        elif kind == "op" and value in _CLOSING:
            depth -= 1
            if depth < 0:
                return False
        if kind != "newline":
            before_previous, previous = previous, (kind, value)
    return depth == 0


def _safe_call(previous: tuple[str, str], before_previous: tuple[str, str]) -> bool:
    """Whether a ``(`` after ``previous`` opens a group, a tuple or a call that is safe."""
    kind, value = previous
    if kind == "name":
        if before_previous == ("op", "."):
            return value in _SAFE_METHODS
        return value in _SAFE_FUNCTIONS or value in {"and", "or", "not", "in", "if", "else"}
    # After an operator or at the start it is a parenthesised expression; after a closing
    # bracket, a string or a number it would call a computed value: not allowed.
    return kind in {"op", ""} and value not in _CLOSING
