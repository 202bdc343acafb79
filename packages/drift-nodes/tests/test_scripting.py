"""The script engine: results, errors with places, limits, and a worker that survives."""

from __future__ import annotations

import ast
import asyncio
import os
import signal

import pytest
import starlark

from drift_models import NodeTypes, ScriptIssue
from drift_nodes import (
    NodeResources,
    ScriptEngine,
    ScriptError,
    ScriptMemoryError,
    ScriptSettings,
    ScriptTimeoutError,
    check_script,
)
from drift_nodes._bounded import is_provably_bounded
from drift_nodes.builtins import ScriptNodeType
from drift_nodes.testing import run_node

LIMITS = ScriptSettings(timeout_seconds=1.0, memory_bytes=256 * 1024 * 1024)

ENDLESS_LOOP = """
def spin():
    n = 0
    for i in range(1000000000):
        for j in range(1000000000):
            n += 1
    return n
spin()
"""
MEMORY_BOMB = """
def grow():
    chunks = ["x" * 1000000]
    for i in range(64):
        chunks = chunks + chunks
    return len(chunks)
grow()
"""
SANDBOXED_ONE = "[x for x in [1]][0]"
"""A script outside the in-process subset (a comprehension), so it runs in a sandbox."""
DEEP_RECURSION = """
def down(n):
    return down(n + 1)
down(0)
"""


async def test_statements_then_last_expression_is_the_result() -> None:
    async with ScriptEngine(LIMITS) as engine:
        source = 'total = max([1, 2]) if False else order["total"]\n{"double": total * 2}'
        assert await engine.evaluate(source, {"order": {"total": 21}}) == {"double": 42}
        assert engine.in_process_evaluations == 1  # straight-line code, a literal factor


async def test_bounded_expressions_run_in_process_and_others_in_a_sandbox() -> None:
    async with ScriptEngine(LIMITS) as engine:
        assert await engine.evaluate('answer["decision"][0] == "approve"', {
            "answer": {"decision": ["approve"]}
        }) is True  # fmt: skip
        assert engine.in_process_evaluations == 1
        assert engine.sandbox_evaluations == 0
        assert await engine.evaluate('"ab" * n', {"n": 2}) == "abab"
        assert engine.sandbox_evaluations == 1


@pytest.mark.parametrize(
    ("source", "bounded"),
    [
        ('not refund["eligible"]', True),
        ('x.get("a", 0) > 3 and len(y) < 2', True),
        ("a if b else c", True),
        ('"x" * 100000000', False),
        ("1 << 100000000", False),
        ("[i for i in range(10)]", False),
        ("x = 1\nx", True),
        ('days = order["days"]\nshare = 1.0 if days <= 30 else 0.5\norder["total"] * share', True),
        ("x = a + a\ny = x + x\nz = y + y\nz + z", True),
        ("\n".join(f"v{i + 1} = v{i} + v{i}" for i in range(6)) + "\nv6", False),
        ("str([" + "a, " * 80 + "])", False),
        ("a * b", False),
        ("a * 2.5", True),
        ("a * 3", True),
        ("a * 100", False),
        ("x = a / 2\nb * x", True),
        ('x = a / 2\nx = "s"\nb * x', False),
        ("sep.join(items)", False),
        ('", ".join(items)', True),
        ("t.format(a)", False),
        ('"{}: {}".format(a, b)', True),
        ("a.strip(b)", False),
        ('a.strip() + a.strip(" ")', True),
        ('s.replace(":", "")', True),
        ('s.replace("", "x")', False),
        ("len = s.join\nlen(t)", False),
        ("a, b = 1, 2\na", False),
        ("max(*a)", False),
        ("sorted(items, key=sep.join)", False),
        ('sorted(items, key=getattr(sep, "join"))', False),
        ("max(a, key=len)", True),
        ("-" * 3000 + "a", False),  # too deep for Python's parse or the weighing
        ("not " * 3000 + "a", False),
        ('s.replace("", s)', False),
        ('f"{a * 100000}"', False),
        ("getattr(s, 'replace')('', s)", False),
        ("json.decode(s)", True),
        ("(lambda: 1)()", False),
    ],
)
def test_fast_path_admits_only_bounded_expressions(source: str, bounded: bool) -> None:
    assert is_provably_bounded(source) is bounded


@pytest.mark.parametrize("error", [RecursionError, MemoryError, SystemError])
def test_a_script_python_cannot_parse_is_left_to_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    def fail(*_: object, **__: object) -> None:
        raise error("AST constructor recursion depth mismatch")

    assert is_provably_bounded("a + 1")
    monkeypatch.setattr(ast, "parse", fail)
    assert not is_provably_bounded("a + 1")


async def test_a_panic_of_the_script_engine_in_process_fails_the_node(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class PanicException(BaseException):  # pyo3's, which is not an Exception
        pass

    def panic(*_: object) -> None:
        raise PanicException("out of memory")

    monkeypatch.setattr(starlark, "eval_with", panic)
    async with ScriptEngine(LIMITS) as engine:
        with pytest.raises(ScriptError, match=r"the script engine stopped it \(out of memory\)"):
            await engine.evaluate("a + 1", {"a": 1})
        assert engine.in_process_evaluations == 1


async def test_fast_path_can_be_switched_off() -> None:
    settings = ScriptSettings(in_process_fast_path=False, timeout_seconds=1.0)
    async with ScriptEngine(settings) as engine:
        assert await engine.evaluate("a + 1", {"a": 1}) == 2
        assert engine.in_process_evaluations == 0
        assert engine.sandbox_evaluations == 1


async def test_first_truthy_stops_at_the_first_true_rule() -> None:
    async with ScriptEngine(LIMITS) as engine:
        # The third rule would fail: it must never run.
        assert await engine.first_truthy(["a > 100", "a > 10", "1 // 0"], {"a": 41}) == 1
        assert await engine.first_truthy(["x = a\nx > 100", "a > 10", "1 // 0"], {"a": 41}) == 1
        assert await engine.first_truthy(["a > 100"], {"a": 1}) is None


async def test_compile_errors_carry_line_and_column() -> None:
    async with ScriptEngine(LIMITS) as engine:
        with pytest.raises(ScriptError) as caught:
            await engine.evaluate("x = (1,\n  2", {})
        assert (caught.value.line, caught.value.column) == (2, 4)
        assert "does not compile at line 2, column 4" in caught.value.message


async def test_runtime_errors_carry_line_and_column() -> None:
    async with ScriptEngine(LIMITS) as engine:
        with pytest.raises(ScriptError) as caught:
            await engine.evaluate("y = 1\nmissing + y", {})
        assert (caught.value.line, caught.value.column) == (2, 1)
        assert "Variable `missing` not found" in caught.value.message


def test_checker_reports_line_and_column_and_accepts_good_scripts() -> None:
    issue = check_script("a = 1\nb = (a +\n")
    assert isinstance(issue, ScriptIssue)
    assert (issue.line, issue.column) == (2, 9)  # the end of 'b = (a +'
    assert "Parse error" in issue.message
    assert check_script('{"a": order["id"]}') is None
    assert check_script("while True:\n  pass") is not None  # no unbounded loops in Starlark


@pytest.mark.parametrize(
    "source",
    ['open("/etc/passwd")', 'load("x.star", "y")', "time.now()", "random()", 'print("x")'],
)
async def test_no_file_network_clock_randomness_or_output(source: str) -> None:
    async with ScriptEngine(LIMITS) as engine:
        with pytest.raises(ScriptError):
            await engine.evaluate(source, {})


async def test_results_must_be_json() -> None:
    async with ScriptEngine(LIMITS) as engine:
        with pytest.raises(ScriptError, match="not a JSON value"):
            await engine.evaluate("def f():\n  return len\nf()", {})


async def test_results_over_the_size_limit_fail() -> None:
    settings = ScriptSettings(timeout_seconds=2.0, max_result_bytes=1024)
    async with ScriptEngine(settings) as engine:
        with pytest.raises(ScriptError, match="more than the limit of 1024 bytes"):
            await engine.evaluate('x = "a" * 5000\nx', {})


async def test_endless_loop_is_stopped_at_the_time_limit_and_the_engine_goes_on() -> None:
    async with ScriptEngine(LIMITS) as engine:
        with pytest.raises(ScriptTimeoutError, match="time limit of 1 s"):
            async with asyncio.timeout(60):  # a hang guard, not a timing assert
                await engine.evaluate(ENDLESS_LOOP, {})
        assert await engine.evaluate("x = 2\nx + 1", {}) == 3


async def test_memory_bomb_fails_the_script_and_never_the_worker() -> None:
    settings = ScriptSettings(sandbox_processes=1, timeout_seconds=1.0, memory_bytes=256 << 20)
    async with ScriptEngine(settings) as engine:
        assert await engine.evaluate(SANDBOXED_ONE, {}) == 1
        first = engine.sandbox_pids
        with pytest.raises(ScriptMemoryError, match="more memory than its limit of 256 MiB"):
            await engine.evaluate(MEMORY_BOMB, {})
        # This process is alive and well, the bomb's sandbox was replaced, scripts run.
        assert os.getpid() > 0
        assert await engine.evaluate("[x + 2 for x in [40]][0]", {}) == 42
        assert len(engine.sandbox_pids) == 1
        assert engine.sandbox_pids != first


async def test_deep_recursion_fails_with_a_clear_error() -> None:
    async with ScriptEngine(LIMITS) as engine:
        with pytest.raises(ScriptError, match="call stack overflow") as caught:
            await engine.evaluate(DEEP_RECURSION, {})
        assert caught.value.line == 3


async def test_a_sandbox_killed_while_idle_is_replaced_without_failing_a_script() -> None:
    async with ScriptEngine(ScriptSettings(sandbox_processes=1, timeout_seconds=5.0)) as engine:
        assert await engine.evaluate(SANDBOXED_ONE, {}) == 1
        (pid,) = engine.sandbox_pids
        os.kill(pid, signal.SIGKILL)
        assert await engine.evaluate("[x for x in [2]][0]", {}) == 2
        assert await engine.evaluate("[x for x in [3]][0]", {}) == 3
        assert engine.sandbox_pids != [pid]


async def test_only_the_names_a_script_mentions_are_sent() -> None:
    class Unsendable:
        pass

    async with ScriptEngine(LIMITS) as engine:
        scope = {"a": 1, "blob": Unsendable()}
        assert await engine.evaluate("[b + 1 for b in [a]][0]", scope) == 2
        with pytest.raises(ScriptError, match="could not be sent"):
            await engine.evaluate("[b for b in [blob]][0]", scope)


@pytest.mark.parametrize(
    ("source", "error", "message"),
    [
        (ENDLESS_LOOP, ScriptTimeoutError, "ran past its time limit of 1 s"),
        (MEMORY_BOMB, ScriptMemoryError, "needed more memory than its limit of 256 MiB"),
        (DEEP_RECURSION, ScriptError, "line 3, column 12: Starlark call stack overflow"),
    ],
)
async def test_runaway_scripts_fail_their_node_and_the_worker_goes_on(
    resources: NodeResources, source: str, error: type[ScriptError], message: str
) -> None:
    definition = NodeTypes().convert_node(
        {"type": "SCRIPT", "id": "runaway", "name": "Runaway", "config": {"script": source}}
    )
    # The limits themselves are proved by the messages (the time limit's names it); the
    # guard only stops a script the sandbox failed to stop from hanging the suite.
    with pytest.raises(error, match=message) as caught:
        async with asyncio.timeout(60):
            await run_node(ScriptNodeType(), definition, resources)
    assert caught.value.message.startswith("config.script: ")
    assert not caught.value.retryable
    # The same worker runs the next node as if nothing happened.
    healthy = NodeTypes().convert_node(
        {"type": "SCRIPT", "id": "ok", "name": "OK", "config": {"script": "x = 20\nx + 22"}}
    )
    assert (await run_node(ScriptNodeType(), healthy, resources)).output == 42
