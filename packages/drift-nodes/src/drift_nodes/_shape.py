"""How deeply a script nests, measured from its tokens before anything parses it.

Starlark's parser and evaluator recurse on the native stack once per level of the
syntax tree, and a tree deep enough overflows it: the process dies (SIGSEGV) and no
exception can catch that. So no process of Drift parses a script before this module
has bounded its depth, and a script deeper than :data:`MAX_SCRIPT_DEPTH` is refused
without being parsed.

The bound is an over-estimate of the tree's depth, computed in one pass over the
tokens without recursion. Inside a bracket, each comma-separated element counts one
level per token written directly in it (every node of the tree consumes at least one
token of its own: an operator, a keyword, a bracket, a name) plus the deepest bracket
it holds, plus one for the bracket itself. A statement adds two levels per indentation.
Commas that separate a lambda's parameters do not split, since the lambda's body nests
under them; a lambda counts three levels. Every ``elif`` adds three levels to the
whole script, since each nests the rest of its chain. ``docs/decisions.md`` records
the crash thresholds measured per shape and the margin this limit keeps below them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "IN_PROCESS_MAX_DEPTH",
    "MAX_SCRIPT_CHARS",
    "MAX_SCRIPT_DEPTH",
    "Refusal",
    "ScriptShape",
    "depth_refusal",
    "measure_script",
    "screen_script",
    "size_refusal",
]

MAX_SCRIPT_DEPTH: Final = 1000
"""The deepest estimated nesting a script may have (see the module's description)."""
MAX_SCRIPT_CHARS: Final = 256 * 1024
"""The longest script allowed, in characters: it bounds the time and the memory of a scan
and a parse (parsing 1 MiB of statements needed more than a 256 MiB sandbox holds)."""
IN_PROCESS_MAX_DEPTH: Final = 200
"""The deepest nesting a script may have to be evaluated in the worker process itself;
deeper ones (up to :data:`MAX_SCRIPT_DEPTH`) are evaluated in a sandbox process. This
keeps the fast path safe even on a thread with a small (2 MiB) stack."""

_PIECE: Final = re.compile(
    r"""
    (?P<run>[^\s()\[\]{},;:'"\#\\]+(?:[ \t\f\r]+[^\s()\[\]{},;:'"\#\\]+)*)
    |(?P<string>[rRbB]?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
        |'(?:\\.|[^\\'\n])*'|"(?:\\.|[^\\"\n])*"))
    |(?P<space>(?:[ \t\r\f]|\\\r?\n)+)
    |(?P<comment>\#[^\n]*)
    |(?P<newline>\n)
    |(?P<open>[(\[{])
    |(?P<close>[)\]}])
    |(?P<comma>,)
    |(?P<semicolon>;)
    |(?P<colon>:)
    """,
    re.VERBOSE | re.DOTALL,
)
"""One piece of a script. A *run* is a stretch of tokens with no bracket, comma, colon,
string or line break in it (``a + b * c``): its tokens are counted in one go."""
_RUN_TOKEN: Final = re.compile(r"\w+|[^\w\s]")
"""A token inside a run, over-counted where it errs (``<=`` counts two)."""
_LAMBDA: Final = re.compile(r"\blambda\b")
_ELIF: Final = re.compile(r"\belif\b")
_LAMBDA_WEIGHT: Final = 2
"""Extra levels a lambda counts: the evaluator spends more stack on a nested lambda than
on an operator (measured: lambdas overflow at a third of an operator chain's depth)."""
_INDENT_WEIGHT: Final = 2
"""Levels an indented block counts: nested ``def`` blocks overflow at half the depth of
an operator chain (measured)."""
_ELIF_WEIGHT: Final = 3
"""Levels an ``elif`` counts, for every statement: each one nests the rest of its chain."""


@dataclass(frozen=True, slots=True)
class ScriptShape:
    """What the token scan found.

    Attributes:
        depth: the estimated depth of the script's syntax tree (an upper bound); when
            ``complete`` is false, a lower bound of that estimate.
        line: the 1-based line where that depth is reached.
        tokens: how many tokens were scanned.
        complete: ``False`` when the scan stopped early, the depth being past the limit.
    """

    depth: int
    line: int
    tokens: int
    complete: bool = True


class _Group:
    """One bracket (or the statement at top level) being scanned."""

    __slots__ = ("children", "deepest", "lambdas", "own")

    def __init__(self) -> None:
        self.own = 0  # tokens written directly in the current element
        self.children = 0  # the deepest bracket inside the current element
        self.deepest = 0  # the deepest element finished so far
        self.lambdas = 0  # lambdas whose parameter list is still open

    def finish_element(self) -> None:
        self.deepest = max(self.deepest, self.own + self.children)
        self.own = 0
        self.children = 0


class _Scan:
    def __init__(self) -> None:
        self.stack: list[_Group] = [_Group()]
        self.indents: list[int] = [0]
        self.line = 1
        self.line_start = True
        self.pending_indent = 0
        self.depth = 0
        self.depth_line = 1
        self.tokens = 0
        self.over = False  # the estimate is past the limit already: stop scanning
        self.elifs = 0

    def piece(self, kind: str, text: str) -> None:
        group = self.stack[-1]
        if kind == "run":
            count = len(_RUN_TOKEN.findall(text))
            if "lambda" in text:
                lambdas = len(_LAMBDA.findall(text))
                group.lambdas += lambdas
                count += _LAMBDA_WEIGHT * lambdas
            if "elif" in text:
                self.elifs += len(_ELIF.findall(text))
            group.own += count
            self.tokens += count
            self.over = self.over or group.own > MAX_SCRIPT_DEPTH
            return
        self.tokens += 1
        if kind == "open":
            group.own += 1
            self.stack.append(_Group())
            self.over = self.over or len(self.stack) > MAX_SCRIPT_DEPTH
        elif kind == "close" and len(self.stack) > 1:
            self.close()
        elif kind == "comma" and not group.lambdas:
            group.finish_element()
        elif kind == "semicolon" and len(self.stack) == 1:
            self.end_statement()
        else:
            if kind == "colon" and group.lambdas:
                group.lambdas -= 1
            group.own += 1

    def close(self) -> None:
        inner = self.stack.pop()
        inner.finish_element()
        parent = self.stack[-1]
        parent.children = max(parent.children, inner.deepest + 1)

    def indent(self, width: int) -> None:
        if width > self.indents[-1]:
            self.indents.append(width)
        while len(self.indents) > 1 and width < self.indents[-1]:
            self.indents.pop()

    def end_statement(self) -> None:
        while len(self.stack) > 1:
            self.close()
        top = self.stack[0]
        top.finish_element()
        depth = top.deepest + _INDENT_WEIGHT * (len(self.indents) - 1)
        if depth > self.depth:
            self.depth, self.depth_line = depth, self.line
        self.stack[0] = _Group()


def measure_script(source: str) -> ScriptShape:
    """Scan ``source`` once (linear time, no recursion) and bound its nesting.

    Example:
        >>> measure_script("a + (b * c)").depth
        7
    """
    scan = _Scan()
    pos = 0
    length = len(source)
    while pos < length and not scan.over:
        match = _PIECE.match(source, pos)
        if match is None:  # any other character: one token (a backslash, or a fault)
            kind, text, end = "other", source[pos], pos + 1
        else:
            kind, text, end = match.lastgroup or "other", match.group(), match.end()
        if kind == "newline":
            if len(scan.stack) == 1:
                scan.end_statement()
                scan.line_start = True
                scan.pending_indent = 0
            scan.line += 1
        elif kind == "space":
            scan.line += text.count("\n")
            if scan.line_start:
                scan.pending_indent = len(text)
        elif kind != "comment":
            if scan.line_start and len(scan.stack) == 1:
                scan.indent(scan.pending_indent)
            scan.line_start = False
            scan.piece(kind, text)
            if kind == "string":
                scan.line += text.count("\n")
        pos = end
    scan.end_statement()
    return ScriptShape(
        depth=scan.depth + _ELIF_WEIGHT * scan.elifs,
        line=scan.depth_line,
        tokens=scan.tokens,
        complete=not scan.over,
    )


def depth_refusal(shape: ScriptShape) -> str | None:
    """Why a script of ``shape`` is refused before parsing; ``None`` when it is not.

    Example:
        >>> depth_refusal(measure_script("1" + " + 1" * 5000))[:46]
        'the script nests more than 1000 levels deep at'
    """
    if shape.depth <= MAX_SCRIPT_DEPTH and shape.complete:
        return None
    how_deep = f"about {shape.depth}" if shape.complete else f"more than {MAX_SCRIPT_DEPTH}"
    return (
        f"the script nests {how_deep} levels deep at line {shape.line}; at most "
        f"{MAX_SCRIPT_DEPTH} are allowed (each operator of a chain like a + b + ... counts "
        "one level, each bracket and each indentation one more): split it into smaller "
        "expressions, variables or functions"
    )


def size_refusal(source: str) -> str | None:
    """Why ``source`` is too long to be checked; ``None`` when it is not."""
    if len(source) <= MAX_SCRIPT_CHARS:
        return None
    return (
        f"the script is {len(source)} characters long; at most {MAX_SCRIPT_CHARS} are "
        "allowed: pass large data in the run's parameters instead of writing it in the script"
    )


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a script is refused before anything parses it.

    Attributes:
        code: ``script-too-long`` or ``script-too-deep``.
        message: what is wrong and what would be right.
        line: the 1-based line it concerns.
    """

    code: str
    message: str
    line: int


def screen_script(source: str) -> tuple[ScriptShape, Refusal | None]:
    """Measure ``source``; say why it may not be parsed, if it may not.

    Example:
        >>> screen_script("x")[1] is None
        True
    """
    too_long = size_refusal(source)
    if too_long is not None:
        return ScriptShape(depth=0, line=1, tokens=0, complete=False), Refusal(
            "script-too-long", too_long, 1
        )
    shape = measure_script(source)
    too_deep = depth_refusal(shape)
    if too_deep is not None:
        return shape, Refusal("script-too-deep", too_deep, shape.line)
    return shape, None
