"""The sandbox process: evaluates Starlark under an address-space limit.

This file runs as the main script of a child process (see ``_sandbox_pool``) and so
imports nothing of drift-nodes: only the standard library, msgspec and starlark. The
parent imports it too, for the message types and the Starlark dialect they share.

Protocol: frames of a 4-byte big-endian length and a msgpack body, over stdin/stdout.
The child writes an empty frame once it is ready, then answers each
:class:`EvalRequest` with one :class:`EvalReply`. After a memory failure it answers and
exits: its heap is not to be trusted any more, and the parent starts a fresh one.
"""

from __future__ import annotations

import re
import resource
import struct
import sys
import time
from collections import OrderedDict
from typing import Any, BinaryIO, Final

import msgspec
import starlark

__all__ = [
    "EvalReply",
    "EvalRequest",
    "ScriptFailure",
    "describe_error",
    "dialect",
    "new_module",
    "script_globals",
    "script_names",
]

FILE_NAME: Final = "script"
"""The file name Starlark errors show. Sources are parsed without trailing blanks: Starlark
reports a fault at the very end of a source that ends in a newline at line 1, column 1."""
HEADER: Final = struct.Struct(">I")
EXIT_AFTER_MEMORY_FAILURE: Final = 3
CACHED_SOURCE_CHARS: Final = 64 * 1024
"""Longer scripts are parsed again for each evaluation instead of being cached."""
_IDENTIFIER: Final = re.compile(r"[A-Za-z_]\w*")
_LOCATION: Final = re.compile(r"-->\s*[^\n]*?:(\d+):(\d+)")
_ERROR_LINE: Final = re.compile(r"^error: (.*)$", re.MULTILINE)


class EvalRequest(msgspec.Struct, array_like=True):
    """Evaluate scripts, in order, over one scope.

    Attributes:
        sources: the scripts.
        scope: the names the scripts see (only those they mention are sent).
        stop_at_truthy: stop after the first script whose result is truthy.
        timeout: the time limit of the whole request, in seconds.
        max_callstack: the deepest call stack allowed.
        max_result_bytes: the largest encoded reply allowed.
    """

    sources: list[str]
    scope: dict[str, Any]
    stop_at_truthy: bool
    timeout: float
    max_callstack: int
    max_result_bytes: int


class ScriptFailure(msgspec.Struct, array_like=True):
    """Why a script failed.

    Attributes:
        kind: ``syntax``, ``runtime``, ``timeout``, ``memory`` or ``result``.
        message: what went wrong.
        index: which script of the request.
        line: 1-based line, when known.
        column: 1-based column, when known.
    """

    kind: str
    message: str
    index: int
    line: int | None = None
    column: int | None = None


class EvalReply(msgspec.Struct, array_like=True):
    """The results of the scripts evaluated (up to a failure, or the first truthy one)."""

    results: list[Any]
    failure: ScriptFailure | None = None


def dialect() -> starlark.Dialect:
    """The Starlark dialect of Drift: the extended one without ``load``."""
    chosen = starlark.Dialect.extended()
    chosen.enable_load = False
    return chosen


def script_globals() -> starlark.Globals:
    """The built-ins scripts see: the standard library plus ``json``, ``map`` and ``filter``.

    No ``print``, no file, network, clock or randomness: Starlark has none of them.
    Each module also gets Python's ``round`` (see :func:`new_module`).
    """
    extensions = [
        starlark.LibraryExtension.Json,
        starlark.LibraryExtension.Map,
        starlark.LibraryExtension.Filter,
    ]
    return starlark.Globals.extended_by(extensions)


def _round(number: object, digits: int | None = None) -> float:
    """``round`` as Python has it (Starlark's standard library lacks it)."""
    if not isinstance(number, int | float) or isinstance(number, bool):
        msg = f"round() needs a number, got {type(number).__name__}"
        raise TypeError(msg)
    return round(number) if digits is None else round(number, digits)


def new_module(scope: dict[str, Any], names: frozenset[str]) -> starlark.Module:
    """A fresh module holding the ``names`` of ``scope`` a script reads, and ``round``."""
    module = starlark.Module()
    if "round" in names:
        module.add_callable("round", _round)
    for name in names & scope.keys():
        module[name] = scope[name]
    return module


def script_names(source: str) -> frozenset[str]:
    """Every identifier written in ``source`` (a superset of the names it reads)."""
    return frozenset(_IDENTIFIER.findall(source))


def describe_error(text: str) -> tuple[str, int | None, int | None]:
    """The message, line and column of a Starlark error's text."""
    errors = list(_ERROR_LINE.finditer(text))
    if errors:
        last = errors[-1]
        message = last.group(1).strip()
        location = _LOCATION.search(text, last.end())
    else:
        message = text.strip().splitlines()[0] if text.strip() else "script error"
        location = _LOCATION.search(text)
    if "serde::serialize" in message:
        message = f"the result is not a JSON value ({message})"
    if location is None:
        return message, None, None
    return message, int(location.group(1)), int(location.group(2))


class _Evaluator:
    def __init__(self, cache_size: int) -> None:
        self._dialect = dialect()
        self._globals = script_globals()
        self._cache: OrderedDict[str, tuple[starlark.AstModule, frozenset[str]]] = OrderedDict()
        self._cache_size = cache_size
        self._encoder = msgspec.msgpack.Encoder()

    def _compile(self, source: str) -> tuple[starlark.AstModule, frozenset[str]]:
        entry = self._cache.get(source)
        if entry is None:
            entry = (
                starlark.parse(FILE_NAME, source.rstrip(), self._dialect),
                script_names(source),
            )
            if len(source) > CACHED_SOURCE_CHARS:
                return entry  # a syntax tree of megabytes would hold the memory limit
            self._cache[source] = entry
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(source)
        return entry

    def run(self, request: EvalRequest) -> tuple[bytes, bool]:
        """Evaluate; return the encoded reply and whether the process must exit."""
        deadline = _Deadline(request.timeout)
        options = starlark.EvalOptions(
            check_cancelled=deadline.cancelled, max_callstack_size=request.max_callstack
        )
        results: list[Any] = []
        for index, source in enumerate(request.sources):
            outcome = self._run_one(source, index, request.scope, options, deadline)
            if isinstance(outcome, ScriptFailure):
                reply = EvalReply(results, outcome)
                return self._encoder.encode(reply), outcome.kind == "memory"
            results.append(outcome.value)
            if request.stop_at_truthy and outcome.value:
                break
        return self._encode(EvalReply(results), request.max_result_bytes), False

    def _run_one(
        self,
        source: str,
        index: int,
        scope: dict[str, Any],
        options: starlark.EvalOptions,
        deadline: _Deadline,
    ) -> starlark.EvalResult | ScriptFailure:
        try:
            ast, names = self._compile(source)
        except starlark.StarlarkError as error:
            return _failure("syntax", str(error), index)
        try:
            module = new_module(scope, names)
            return starlark.eval_with(options, module, ast, self._globals)
        except starlark.StarlarkError as error:
            return _failure("timeout" if deadline.expired else "runtime", str(error), index)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # noqa: BLE001 - a Rust panic is a BaseException
            return _engine_failure(error, index)

    def _encode(self, reply: EvalReply, max_bytes: int) -> bytes:
        try:
            data = self._encoder.encode(reply)
        except (TypeError, OverflowError, ValueError, RecursionError) as error:
            failure = ScriptFailure("result", f"the result is not a JSON value: {error}", 0)
            return self._encoder.encode(EvalReply([], failure))
        if len(data) > max_bytes:
            message = f"the result is {len(data)} bytes, more than the limit of {max_bytes} bytes"
            return self._encoder.encode(EvalReply([], ScriptFailure("result", message, 0)))
        return data


class _Deadline:
    """The time limit of one request, polled by Starlark's cancellation check."""

    def __init__(self, seconds: float) -> None:
        self._at = time.monotonic() + seconds
        self.expired = False

    def cancelled(self) -> bool:
        self.expired = time.monotonic() > self._at
        return self.expired


def _engine_failure(error: BaseException, index: int) -> ScriptFailure:
    """What to say about an exception of the engine itself (not of the script)."""
    if isinstance(error, MemoryError) or "memory" in str(error):
        return ScriptFailure("memory", "out of memory", index)
    if isinstance(error, ValueError | OverflowError):
        # Python refuses to convert an integer of more than 4,300 digits (and the like).
        message = "its result cannot be turned into a JSON value (a number too large?)"
        return ScriptFailure("runtime", message, index)
    message = "the script engine stopped on it (an internal fault of the engine)"
    return ScriptFailure("runtime", message, index)


def _failure(kind: str, text: str, index: int) -> ScriptFailure:
    message, line, column = describe_error(text)
    if kind == "timeout":
        message = "the script ran past its time limit and was stopped"
    return ScriptFailure(kind, message, index, line, column)


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(memory_bytes: int, cache_size: int) -> None:
    """Limit this process's memory, then answer requests until stdin closes."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    decoder = msgspec.msgpack.Decoder(EvalRequest)
    evaluator = _Evaluator(cache_size)
    stdout.write(HEADER.pack(0))
    stdout.flush()
    while True:
        header = _read_exact(stdin, HEADER.size)
        if header is None:
            return
        body = _read_exact(stdin, HEADER.unpack(header)[0])
        if body is None:
            return
        data, must_exit = evaluator.run(decoder.decode(body))
        stdout.write(HEADER.pack(len(data)) + data)
        stdout.flush()
        if must_exit:
            sys.exit(EXIT_AFTER_MEMORY_FAILURE)


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
