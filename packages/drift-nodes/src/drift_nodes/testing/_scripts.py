"""Hostile Starlark sources of every shape the grammar allows, for crash tests.

Starlark's parser and evaluator recurse on the native stack, so the sources that break
a process are long or deep ones: chains of one operator, nested brackets, unary
operators, if-expressions, lambdas, comprehensions, indented blocks. This module
builds them at any size, deterministically, for tests that push them through a checker
or an engine and assert that the process survives.

* :data:`SHAPES` maps a shape's name to a function of ``n`` (terms or levels).
* :data:`WRAPPERS` and :func:`nest` compose expression shapes inside one another; a
  property-based test draws the ``(wrapper, count)`` list.
* :func:`huge_cases` is the fixed list every suite runs: each shape as large as fits.

Example:
    >>> SHAPES["add"](3)
    '1 + 1 + 1 + 1'
    >>> nest([("list", 2), ("neg", 1)])
    '-[[1]]'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

__all__ = ["BINARY_OPERATORS", "SHAPES", "WRAPPERS", "huge_cases", "nest"]

BINARY_OPERATORS: Final = (
    "+", "-", "*", "/", "//", "%", "|", "&", "^", "<<", ">>", "and", "or", "==", "<", "in",
)  # fmt: skip
"""Every binary operator of Starlark (comparisons do not chain: those chains are
syntax errors, which are hostile input too)."""


def _chain(operator: str) -> Callable[[int], str]:
    return lambda n: "1" + f" {operator} 1" * n


def _block(header: str, body: str) -> Callable[[int], str]:
    def build(n: int) -> str:
        lines = [" " * level + header for level in range(n)]
        return "\n".join([*lines, " " * n + body])

    return build


SHAPES: Final[dict[str, Callable[[int], str]]] = {
    **{f"chain {op}": _chain(op) for op in BINARY_OPERATORS},
    "add": _chain("+"),
    "paren": lambda n: "(" * n + "1" + ")" * n,
    "list": lambda n: "[" * n + "]" * n,
    "dict": lambda n: "{1: " * n + "1" + "}" * n,
    "neg": lambda n: "-" * n + "1",
    "invert": lambda n: "~" * n + "1",
    "not": lambda n: "not " * n + "True",
    "if-expression": lambda n: "1 if True else " * n + "1",
    "lambda": lambda n: "lambda: " * n + "1",
    "lambda with parameters": lambda n: "lambda a, b: " * n + "1",
    "comprehension": lambda n: "[x for x in " * n + "[1]" + "]" * n,
    "call": lambda n: "str(" * n + ")" * n,
    "call chain": lambda n: "len" + "()" * n,
    "index chain": lambda n: "a" + "[0]" * n,
    "attribute chain": lambda n: "a" + ".b" * n,
    "string concatenation": lambda n: "'a'" + " + 'a'" * n,
    "long string": lambda n: "'" + "a" * n + "'",
    "long number": lambda n: "1" * max(n, 1),
    "long list": lambda n: "[" + "1, " * n + "]",
    "long dict": lambda n: "{" + "".join(f"'k{i}': {i}, " for i in range(n)) + "}",
    "statements": lambda n: "x = 1\n" * n + "x",
    "augmented assignments": lambda n: "x = 1\n" + "x += 1\n" * n + "x",
    "elif chain": lambda n: "if False:\n  x = 1\n" + "elif False:\n  x = 1\n" * n + "x = 2",
    "nested if": _block("if True:", "x = 1"),
    "nested for": _block("for x in [1]:", "y = 1"),
    "nested def": _block("def f():", "return 1"),
    "unclosed brackets": lambda n: "(" * n,
    "unbalanced closing": lambda n: ")" * n,
    "unterminated string": lambda n: "'" + "a" * n,
}
"""Shape name → a function building that shape with ``n`` terms or levels."""

WRAPPERS: Final[dict[str, tuple[str, str]]] = {
    "paren": ("(", ")"),
    "list": ("[", "]"),
    "tuple": ("(", ",)"),
    "dict": ("{'k': ", "}"),
    "set-like dict": ("{", ": 1}"),
    "call": ("str(", ")"),
    "neg": ("-", ""),
    "not": ("not ", ""),
    "add left": ("1 + ", ""),
    "add right": ("", " + 1"),
    "and": ("True and ", ""),
    "if-expression": ("1 if ", " else 2"),
    "lambda": ("lambda: ", ""),
    "comprehension": ("[x for x in ", "]"),
    "index": ("", "[0]"),
    "attribute": ("(", ").a"),
}
"""A wrapper's name → the text before and after the expression it wraps."""


def nest(layers: Sequence[tuple[str, int]], core: str = "1") -> str:
    """``core`` wrapped by each ``(wrapper, count)`` in turn, innermost first."""
    prefixes: list[str] = []
    suffixes: list[str] = []
    for name, count in layers:
        before, after = WRAPPERS[name]
        prefixes.append(before * count)
        suffixes.append(after * count)
    return "".join(reversed(prefixes)) + core + "".join(suffixes)


def huge_cases(max_bytes: int) -> list[tuple[str, str]]:
    """Every shape as large as fits in ``max_bytes`` (name and source), and smaller.

    Sizes of 1,100, 5,000 and 100,000 terms or levels are included where they fit, so
    each shape is also tried where the evaluator and the parser break.

    Example:
        >>> len(max(huge_cases(200_000), key=lambda case: len(case[1]))[1]) <= 200_000
        True
    """
    cases: list[tuple[str, str]] = []
    for name, build in SHAPES.items():
        per_unit = max(len(build(101)) - len(build(100)), 1)
        largest = max((max_bytes - len(build(0))) // per_unit, 1)
        if name.startswith("nested "):  # each level is indented once more: quadratic
            largest = int((2 * max_bytes) ** 0.5)
            while largest > 1 and len(build(largest)) > max_bytes:
                largest = largest * 19 // 20
        sizes = {largest, 100_000, 5_000, 1_100}
        for n in sorted(size for size in sizes if size <= largest):
            source = build(n)
            if len(source) <= max_bytes:
                cases.append((f"{name} x{n}", source))
    return cases
