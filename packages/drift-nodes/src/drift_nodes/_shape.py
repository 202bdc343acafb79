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
it holds, plus one for the bracket itself. A statement adds its indentation level.
Commas that separate a lambda's parameters do not split, since the lambda's body nests
under them. ``docs/decisions.md`` records the crash thresholds measured per shape and
the margin this limit keeps below them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "IN_PROCESS_MAX_DEPTH",
    "MAX_SCRIPT_DEPTH",
    "ScriptShape",
    "depth_refusal",
    "measure_script",
]

MAX_SCRIPT_DEPTH: Final = 1000
"""The deepest estimated nesting a script may have (see the module's description)."""
IN_PROCESS_MAX_DEPTH: Final = 200
"""The deepest nesting a script may have to be evaluated in the worker process itself;
deeper ones (up to :data:`MAX_SCRIPT_DEPTH`) are evaluated in a sandbox process. This
keeps the fast path safe even on a thread with a small (2 MiB) stack."""

_TOKEN: Final = re.compile(
    r"""
    (?P<string>[rRbB]?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
        |'(?:\\.|[^\\'\n])*'|"(?:\\.|[^\\"\n])*"))
    |(?P<space>(?:[ \t\r\f]|\\\r?\n)+)
    |(?P<comment>\#[^\n]*)
    |(?P<newline>\n)
    |(?P<word>[A-Za-z_0-9]\w*(?:\.\d\w*)?)
    |(?P<open>[(\[{])
    |(?P<close>[)\]}])
    |(?P<comma>,)
    |(?P<semicolon>;)
    |(?P<colon>:)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class ScriptShape:
    """What the token scan found.

    Attributes:
        depth: the estimated depth of the script's syntax tree (an upper bound).
        line: the 1-based line where that depth is reached.
        tokens: how many tokens the script has.
    """

    depth: int
    line: int
    tokens: int


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

    def token(self, kind: str, text: str) -> None:
        group = self.stack[-1]
        self.tokens += 1
        if kind == "open":
            group.own += 1
            self.stack.append(_Group())
        elif kind == "close" and len(self.stack) > 1:
            self.close()
        elif kind == "comma" and not group.lambdas:
            group.finish_element()
        elif kind == "semicolon" and len(self.stack) == 1:
            self.end_statement()
        else:
            if kind == "colon" and group.lambdas:
                group.lambdas -= 1
            elif kind == "word" and text == "lambda":
                group.lambdas += 1
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
        depth = top.deepest + len(self.indents) - 1
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
    while pos < length:
        match = _TOKEN.match(source, pos)
        if match is None:  # any other character: one token (an operator, or a fault)
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
            scan.token(kind, text)
            scan.line += text.count("\n") if kind == "string" else 0
        pos = end
    scan.end_statement()
    return ScriptShape(depth=scan.depth, line=scan.depth_line, tokens=scan.tokens)


def depth_refusal(source: str) -> tuple[str, int] | None:
    """Why ``source`` is refused before parsing, and at which line; ``None`` if it is not.

    Example:
        >>> depth_refusal("1" + " + 1" * 5000)[0][:44]
        'the script nests about 10001 levels deep at '
    """
    shape = measure_script(source)
    if shape.depth <= MAX_SCRIPT_DEPTH:
        return None
    message = (
        f"the script nests about {shape.depth} levels deep at line {shape.line}; at most "
        f"{MAX_SCRIPT_DEPTH} are allowed (each operator of a chain like a + b + ... counts "
        "one level, each bracket and each indentation one more): split it into smaller "
        "expressions, variables or functions"
    )
    return message, shape.line
