"""The Starlark script engine: compile once, evaluate with limits, fail the node, never the worker.

Scripts see ``_global``, ``_enum_store``, the node's parameters by name and, in HTTP
transformers, ``_response``; the last expression is the result. Starlark itself has no
file, network, clock or randomness, and ``load`` is off.

Every evaluation has a time limit. Memory is bounded by running scripts in sandbox
processes with an address-space limit (see ``_sandbox_pool``); only scripts that are
provably bounded — straight-line code without loops or repetition, see ``_bounded`` — run
in the worker process itself, with the same time limit. docs/decisions.md gives the
measured cost of each path.

Nesting is bounded before anything parses: Starlark overflows the native stack on
trees deep enough, which kills the process. A script nested deeper than
``_shape.MAX_SCRIPT_DEPTH`` fails its node without being parsed; only scripts within
``_shape.IN_PROCESS_MAX_DEPTH`` may take the in-process path. A sandbox that dies
anyway (a crash, the kernel's OOM killer) is replaced and fails only its node.
"""

from __future__ import annotations

import signal
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import starlark

from drift_nodes._bounded import is_provably_bounded
from drift_nodes._sandbox_child import (
    CACHED_SOURCE_CHARS,
    FILE_NAME,
    EvalRequest,
    ScriptFailure,
    describe_error,
    dialect,
    new_module,
    script_globals,
    script_names,
)
from drift_nodes._sandbox_pool import SandboxDiedError, SandboxPool
from drift_nodes._shape import IN_PROCESS_MAX_DEPTH, screen_script
from drift_nodes.errors import (
    ScriptCrashError,
    ScriptError,
    ScriptMemoryError,
    ScriptTimeoutError,
)
from drift_nodes.settings import ScriptSettings

__all__ = ["CompiledScript", "ScriptEngine"]


@dataclass(frozen=True, slots=True)
class CompiledScript:
    """A script parsed once in the worker.

    Attributes:
        source: the script.
        names: the identifiers it mentions; only these are sent with the scope.
        in_process: the parsed module when the script may run in the worker process
            (it is provably bounded), else ``None`` and it runs in a sandbox.
    """

    source: str
    names: frozenset[str]
    in_process: starlark.AstModule | None


class ScriptEngine:
    """Evaluates scripts with a time limit and a memory bound.

    Use one engine per worker process and event loop, as an async context manager
    (or call :meth:`close`): it owns the sandbox processes.

    Example:
        >>> import asyncio
        >>> async def main() -> object:
        ...     async with ScriptEngine() as engine:
        ...         return await engine.evaluate("a + 1", {"a": 41})
        >>> asyncio.run(main())
        42
    """

    def __init__(self, settings: ScriptSettings | None = None) -> None:
        self.settings = settings or ScriptSettings()
        self._dialect = dialect()
        self._globals = script_globals()
        self._cache: OrderedDict[str, CompiledScript] = OrderedDict()
        self._pool = SandboxPool(
            size=self.settings.sandbox_processes,
            memory_bytes=self.settings.memory_bytes,
            cache_size=self.settings.cache_size,
        )
        self.in_process_evaluations = 0
        """How many evaluations ran in the worker process (the bounded fast path)."""
        self.sandbox_evaluations = 0
        """How many evaluation requests went to a sandbox process."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the sandbox processes (a later evaluation starts them again)."""
        await self._pool.close()

    @property
    def sandbox_deaths(self) -> int:
        """How many sandbox processes died (or were killed) before answering."""
        return self._pool.deaths

    @property
    def sandbox_pids(self) -> list[int]:
        """Process ids of the live sandbox processes."""
        return self._pool.pids()

    def compile(self, source: str) -> CompiledScript:
        """Parse ``source`` once (cached by its text).

        Raises:
            ScriptError: when it does not compile, with its line and column, or is too
                long or nests too deeply to be parsed safely (``script-too-long``,
                ``script-too-deep``).
        """
        compiled = self._cache.get(source)
        if compiled is not None:
            self._cache.move_to_end(source)
            return compiled
        shape, refusal = screen_script(source)
        if refusal is not None:
            raise ScriptError(refusal.message, line=refusal.line, column=1, code=refusal.code)
        try:
            ast = starlark.parse(FILE_NAME, source.rstrip(), self._dialect)
        except starlark.StarlarkError as error:
            message, line, column = describe_error(str(error))
            raise _script_error("the script does not compile", message, line, column) from None
        bounded = (
            self.settings.in_process_fast_path
            and shape.depth <= IN_PROCESS_MAX_DEPTH
            and is_provably_bounded(source)
        )
        compiled = CompiledScript(source, script_names(source), ast if bounded else None)
        if len(source) > CACHED_SOURCE_CHARS:
            return compiled
        self._cache[source] = compiled
        if len(self._cache) > self.settings.cache_size:
            self._cache.popitem(last=False)
        return compiled

    async def evaluate(self, source: str, scope: Mapping[str, Any]) -> Any:
        """The value of the last expression of ``source`` run over ``scope``.

        Raises:
            ScriptError: it does not compile or fails (line and column when known).
            ScriptTimeoutError: it ran past the time limit.
            ScriptMemoryError: it needed more memory than the limit.
        """
        compiled = self.compile(source)
        if compiled.in_process is not None:
            return self._evaluate_here(compiled, scope)
        results = await self._evaluate_in_sandbox([compiled], scope, stop_at_truthy=False)
        return results[0]

    async def first_truthy(self, sources: Sequence[str], scope: Mapping[str, Any]) -> int | None:
        """The index of the first of ``sources`` whose result is truthy, or ``None``.

        Later scripts are not evaluated once one is truthy (branch rules).

        Raises:
            ScriptError: as :meth:`evaluate`; the message says which script failed.
        """
        compiled = [self.compile(source) for source in sources]
        if all(c.in_process is not None for c in compiled):
            for index, script in enumerate(compiled):
                if self._evaluate_here(script, scope, index=index):
                    return index
            return None
        results = await self._evaluate_in_sandbox(compiled, scope, stop_at_truthy=True)
        return len(results) - 1 if results and results[-1] else None

    def _evaluate_here(
        self, compiled: CompiledScript, scope: Mapping[str, Any], index: int = 0
    ) -> Any:
        self.in_process_evaluations += 1
        deadline = time.monotonic() + self.settings.timeout_seconds
        timed_out = False

        def cancelled() -> bool:
            nonlocal timed_out
            timed_out = time.monotonic() > deadline
            return timed_out

        options = starlark.EvalOptions(
            check_cancelled=cancelled, max_callstack_size=self.settings.max_callstack_size
        )
        ast = compiled.in_process
        if ast is None:  # callers check; kept for the type checker
            msg = "this script must run in a sandbox"
            raise RuntimeError(msg)
        try:
            module = new_module(dict(scope), compiled.names)
            return starlark.eval_with(options, module, ast, self._globals).value
        except starlark.StarlarkError as error:
            if timed_out:
                raise self._timeout(index) from None
            message, line, column = describe_error(str(error))
            raise _script_error(_which("failed", index), message, line, column) from None
        except TypeError as error:
            raise _script_error(_which("failed", index), str(error), None, None) from None
        except (ValueError, OverflowError):
            # Python refuses to convert an integer of more than 4,300 digits (and the like).
            message = "its result cannot be turned into a JSON value (a number too large?)"
            raise _script_error(_which("failed", index), message, None, None) from None
        except BaseException as error:
            # A panic of the script engine surfaces as pyo3's PanicException, which is a
            # BaseException: it fails the node, it must not end the worker's task.
            if type(error).__name__ != "PanicException":
                raise
            message = f"the script engine stopped it ({error})"
            raise _script_error(_which("failed", index), message, None, None) from None

    async def _evaluate_in_sandbox(
        self, compiled: list[CompiledScript], scope: Mapping[str, Any], *, stop_at_truthy: bool
    ) -> list[Any]:
        self.sandbox_evaluations += 1
        names: set[str] = set()
        for script in compiled:
            names.update(script.names)
        request = EvalRequest(
            sources=[c.source for c in compiled],
            scope={name: scope[name] for name in names & scope.keys()},
            stop_at_truthy=stop_at_truthy,
            timeout=self.settings.timeout_seconds,
            max_callstack=self.settings.max_callstack_size,
            max_result_bytes=self.settings.max_result_bytes,
        )
        try:
            reply = await self._pool.run(request)
        except SandboxDiedError as error:
            if error.timed_out:
                raise self._timeout(0) from None
            if error.exit_status is not None and error.exit_status < 0:
                raise self._crash(error.exit_status) from None
            message = (
                f"{error}; the script most likely needed more than the "
                f"{self.settings.memory_bytes // (1024 * 1024)} MiB it may use"
            )
            raise ScriptMemoryError(message) from None
        except TypeError as error:
            message = f"the scope could not be sent to the sandbox: {error}"
            raise ScriptError(message) from None
        except (RecursionError, OverflowError, ValueError):
            message = (
                "the scope could not be sent to the sandbox: a value it reads nests too deeply "
                "or holds a number too large (maximum depth of about 1000 levels)"
            )
            raise ScriptError(message) from None
        if reply.failure is not None:
            raise self._from_failure(reply.failure, several=len(compiled) > 1)
        return reply.results

    def _timeout(self, index: int) -> ScriptTimeoutError:
        limit = self.settings.timeout_seconds
        return ScriptTimeoutError(
            f"{_which('ran past its time limit', index)} of {limit:g} s and was stopped"
        )

    def _crash(self, exit_status: int) -> ScriptError:
        number = -exit_status
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number in {signal.SIGKILL, signal.SIGABRT}:  # the OOM killer; a failed allocation
            limit = self.settings.memory_bytes // (1024 * 1024)
            return ScriptMemoryError(
                f"the script's sandbox process died ({name}) while evaluating it; "
                f"the script most likely needed more than the {limit} MiB it may use"
            )
        return ScriptCrashError(
            f"the script crashed the sandbox process evaluating it ({name}) and was "
            "stopped; this happens when it nests or recurses too deeply for the script "
            "engine: simplify it (fewer nested brackets, lambdas or calls)"
        )

    def _from_failure(self, failure: ScriptFailure, *, several: bool) -> ScriptError:
        index = failure.index if several else 0
        if failure.kind == "timeout":
            return self._timeout(index)
        if failure.kind == "memory":
            limit = self.settings.memory_bytes // (1024 * 1024)
            return ScriptMemoryError(
                f"{_which('needed more memory than its limit', index)} of {limit} MiB "
                f"and was stopped ({failure.message})"
            )
        verb = "does not compile" if failure.kind == "syntax" else "failed"
        return _script_error(_which(verb, index), failure.message, failure.line, failure.column)


def _which(verb: str, index: int) -> str:
    return f"script {index + 1} {verb}" if index else f"the script {verb}"


def _script_error(verb: str, message: str, line: int | None, column: int | None) -> ScriptError:
    if line is not None:
        text = f"{verb} at line {line}, column {column}: {message}"
    else:
        text = f"{verb}: {message}"
    return ScriptError(text, line=line, column=column)
