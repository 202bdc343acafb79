"""Which scripts are provably bounded, so they may run in the worker process itself.

A script runs in-process only when everything it can allocate is bounded by a small
multiple of the size of its inputs (which the worker already holds) and of its own
length: a memory bomb cannot be written in the subset. The subset is straight-line code:

- assignments to plain names (never to a built-in's name), then one expression;
- no loop or comprehension, no function definition or lambda, no f-string, no ``<<``,
  ``**`` or augmented assignment;
- ``*`` only where it cannot repeat a sequence past a small factor: one operand a float
  (a float literal, a ``/``, a ``float(...)``, or a name assigned one of those), or a
  whole-number literal, which multiplies the weight of the other (see below);
- calls only to functions and methods whose result is at most linear in the size of
  their arguments, and no method taken as a value (``sorted(items, key=sep.join)``,
  ``getattr(sep, "join")``: it would be called where no check sees it); ``join`` and
  ``format`` only on a string literal (their result grows with the separator or
  template times the argument: two inputs could ask for gigabytes), ``strip`` and its
  kin only with no argument or a literal one (with an input's characters their time is
  quadratic), ``replace`` only of a non-empty string literal by a string literal;
- a weight of at most :data:`MAX_WEIGHT` in all: each statement weighs how many
  inputs' worth its value may hold — each name it reads counts as much as what was
  assigned to it (an input as one), its string literals as one — so neither copying an
  input many times (``str([a, a, a, …])``) nor doubling a name line by line passes.

The tokens are checked lexically, then the statements on Python's parse of the same
text (Starlark's syntax is a subset of Python's for everything admitted here; what
Python cannot parse goes to the sandbox). Both err on the side of the sandbox: anything
else runs there.
"""

from __future__ import annotations

import ast
import re
from typing import Final

__all__ = ["MAX_WEIGHT", "is_provably_bounded"]

MAX_WEIGHT: Final = 64
"""How many inputs' worth all the statements' values may hold together, at most."""

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
    {"**", "*=", "**=", "<<", "<<=", ";", "->", "@", "+=", "-=", "/=", "//=", "%="}
)
_SAFE_FUNCTIONS: Final = frozenset(
    {
        "abs", "all", "any", "bool", "dict", "enumerate", "float", "hasattr",
        "hash", "int", "len", "list", "max", "min", "repr", "reversed", "round", "sorted", "str",
        "tuple", "type", "zip",
    }
)  # fmt: skip
_SAFE_METHODS: Final = frozenset(
    {
        "capitalize", "count", "decode", "elems", "encode", "endswith", "find", "get",
        "index", "isalnum", "isalpha", "isdigit", "islower", "isspace", "isupper", "items",
        "keys", "lower", "partition", "rfind", "rindex", "rpartition", "rsplit", "split",
        "splitlines", "startswith", "title", "upper", "values",
    }
)  # fmt: skip
_ON_A_LITERAL: Final = frozenset({"join", "format"})
"""Methods safe only when called on a string literal."""
_LITERAL_ARGUMENT: Final = frozenset({"strip", "lstrip", "rstrip"})
"""Methods safe only with no argument or one string literal."""
_RESERVED_TARGETS: Final = (
    _SAFE_FUNCTIONS | _SAFE_METHODS | _ON_A_LITERAL | _LITERAL_ARGUMENT | {"replace"}
)
_OPENING: Final = frozenset("([{")
_CLOSING: Final = frozenset(")]}")

_Token = tuple[str, str]
_NOTHING: Final[_Token] = ("", "")


def is_provably_bounded(source: str) -> bool:
    """Whether ``source`` is in the bounded subset (see the module's description)."""
    tokens: list[_Token] = []
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
    return bool(tokens) and _tokens_bounded(tokens) and _statements_bounded(text)


def _tokens_bounded(tokens: list[_Token]) -> bool:
    depth = 0
    code = [token for token in tokens if token[0] != "newline"]
    for index, (kind, value) in enumerate(code):
        if (kind == "name" and value in _FORBIDDEN_NAMES) or (
            kind == "op" and value in _FORBIDDEN_OPS
        ):
            return False
        if kind == "op" and value == ":" and depth == 0:
            return False
        if kind == "op" and value == "(" and not _safe_call(code, index):
            return False
        if (
            kind == "name"
            and _at(code, index - 1) == ("op", ".")
            and _at(code, index + 1) != ("op", "(")
        ):
            return False  # a method as a value (``key=sep.join``) would be called unchecked
        if kind == "op" and value in _OPENING:
            depth += 1
        elif kind == "op" and value in _CLOSING:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _at(tokens: list[_Token], index: int) -> _Token:
    return tokens[index] if 0 <= index < len(tokens) else _NOTHING


def _safe_call(tokens: list[_Token], index: int) -> bool:
    """Whether the ``(`` at ``index`` opens a group, a tuple or a call that is safe."""
    kind, value = _at(tokens, index - 1)
    if kind == "name":
        if _at(tokens, index - 2) == ("op", "."):
            if value in _ON_A_LITERAL:
                return _at(tokens, index - 3)[0] == "string"
            if value in _LITERAL_ARGUMENT:
                following = _at(tokens, index + 1)
                return following == ("op", ")") or (
                    following[0] == "string" and _at(tokens, index + 2) == ("op", ")")
                )
            if value == "replace":
                return _literal_replacement(tokens, index)
            return value in _SAFE_METHODS
        return value in _SAFE_FUNCTIONS or value in {"and", "or", "not", "in", "if", "else"}
    # After an operator or at the start it is a parenthesised expression; after a closing
    # bracket, a string or a number it would call a computed value: not allowed.
    return kind in {"op", ""} and value not in _CLOSING


def _literal_replacement(tokens: list[_Token], index: int) -> bool:
    """Whether the ``replace(`` at ``index`` replaces a non-empty literal by a literal."""
    old, comma, new, closing = (_at(tokens, index + step) for step in range(1, 5))
    if (old[0], comma, new[0], closing) != ("string", ("op", ","), "string", ("op", ")")):
        return False
    try:
        return bool(ast.literal_eval(old[1]))
    except (SyntaxError, ValueError):
        return False


def _statements_bounded(text: str) -> bool:
    """Straight-line assignments then one expression, within :data:`MAX_WEIGHT` in all."""
    try:
        module = ast.parse(text, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError, SystemError):
        # CPython 3.11 can report a tree it failed to build as a SystemError ("AST
        # constructor recursion depth mismatch"): the sandbox takes that script too.
        return False
    try:
        return _weighed(module.body)
    except RecursionError:  # a tree too deep to weigh: the sandbox takes it
        return False


def _weighed(body: list[ast.stmt]) -> bool:
    *assignments, last = body or [ast.Pass()]
    if not isinstance(last, ast.Expr):
        return False
    weighing = _Weighing()
    for statement in assignments:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and statement.targets[0].id not in _RESERVED_TARGETS
        ):
            return False
        if not weighing.assign(statement.targets[0].id, statement.value):
            return False
    return weighing.weight(last.value) is not None


class _Weighing:
    """The weights of the names assigned so far, and of all the statements together.

    It also knows which names surely hold floats; what the statements hold stays alive
    until the script ends, hence the one total.
    """

    def __init__(self) -> None:
        self.weights: dict[str, int] = {}
        self.floats: set[str] = set()
        self.total = 0

    def assign(self, name: str, value: ast.expr) -> bool:
        weight = self.weight(value)
        if weight is None:
            return False
        self.weights[name] = weight
        if self._is_float(value):
            self.floats.add(name)
        else:
            self.floats.discard(name)
        return True

    def weight(self, node: ast.expr) -> int | None:
        """How many inputs' worth ``node``'s value may hold; ``None``: past the bound.

        The names it reads count with their own weights (an input counts one), and its
        string literals one together (they are part of the script, which counts as one
        input). The weight is added to the script's total, which must stay within
        :data:`MAX_WEIGHT`.
        """
        names = self._weigh(node)
        if names is None:
            return None
        weight = names + _has_text(node)
        self.total += weight
        return weight if self.total <= MAX_WEIGHT else None

    def _weigh(self, node: ast.AST) -> int | None:
        """The names' part of the weight of ``node`` (``None``: not in the subset)."""
        if isinstance(node, ast.Name):
            return self.weights.get(node.id, 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self._product(node)
        if not _admitted(node):
            return None
        total = 0
        for child in ast.iter_child_nodes(node):
            weight = self._weigh(child)
            if weight is None or total + weight > MAX_WEIGHT:
                return None
            total += weight
        return total

    def _product(self, node: ast.BinOp) -> int | None:
        left, right = self._weigh(node.left), self._weigh(node.right)
        if left is None or right is None:
            return None
        if self._is_float(node.left) or self._is_float(node.right):
            return left + right  # a float never repeats a sequence
        sides = ((node.left, node.right, right), (node.right, node.left, left))
        for operand, other, names in sides:
            factor = _whole_literal(operand)
            if factor is not None and factor <= MAX_WEIGHT:
                repeated = max(factor, 1) * (names + _has_text(other))
                return repeated if repeated <= MAX_WEIGHT else None
        return None

    def _is_float(self, node: ast.expr) -> bool:
        """Whether ``node``'s value, when it has one, is surely a float."""
        match node:
            case ast.Constant(value=value):
                surely = isinstance(value, float)
            case ast.Name(id=name):
                surely = name in self.floats
            case ast.UnaryOp(op=ast.USub() | ast.UAdd(), operand=operand):
                surely = self._is_float(operand)
            case ast.IfExp(body=body, orelse=orelse):
                surely = self._is_float(body) and self._is_float(orelse)
            case ast.BinOp(op=ast.Div()):
                surely = True
            case ast.BinOp(op=ast.Mult() | ast.Add() | ast.Sub(), left=left, right=right):
                surely = self._is_float(left) or self._is_float(right)
            case ast.Call(func=ast.Name(id="float")):
                surely = True
            case _:
                surely = False
        return surely


_LINEAR_OPERATORS: Final = (
    ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.BitAnd, ast.BitOr, ast.BitXor,
    ast.RShift,
)  # fmt: skip
"""Binary operators whose result is at most as large as their operands together."""


def _admitted(node: ast.AST) -> bool:
    """Whether ``node`` (not a name, not a product) may appear in the subset at all."""
    if isinstance(node, ast.Starred | ast.NamedExpr | ast.Lambda | ast.JoinedStr):
        return False
    if isinstance(node, ast.keyword):
        return node.arg is not None  # not f(**kwargs)
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, _LINEAR_OPERATORS)
    return True


def _has_text(node: ast.AST) -> int:
    """1 when ``node`` holds a non-empty string literal, else 0."""
    return int(
        any(
            isinstance(part, ast.Constant) and isinstance(part.value, str | bytes) and part.value
            for part in ast.walk(node)
        )
    )


def _whole_literal(node: ast.expr) -> int | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        return node.value
    return None
