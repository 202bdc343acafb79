"""Hostile scripts of every shape, up to the API's body limit, against the checker and
the engine: each is refused or fails its node with a clear message, and no process dies.

The checker and the engine run in a separate process (``script_harness.py``), so a
script that crashes them shows up here as that process's death, named with the script
that caused it, instead of taking the test run down.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift_nodes import ScriptCrashError, ScriptEngine, ScriptError, ScriptSettings
from drift_nodes._shape import (
    IN_PROCESS_MAX_DEPTH,
    MAX_SCRIPT_CHARS,
    MAX_SCRIPT_DEPTH,
    measure_script,
)
from drift_nodes.testing import BINARY_OPERATORS, SHAPES, WRAPPERS, huge_cases, nest

BODY_LIMIT = 4 * 1024 * 1024  # the API's default max_body_bytes
HARNESS = Path(__file__).with_name("script_harness.py")
REFUSED = {"script-too-deep", "script-too-long", "script-syntax"}
"""Codes with which the checker refuses a script."""
FAILED = {"script", "script-too-deep", "script-too-long", "script-timeout", "script-memory"}
"""Codes with which a hostile script may fail its node (never ``script-crash``)."""
RAW = ("Traceback", "RecursionError", "PanicException", "pyo3")


class Harness:
    """The checker and the engine in a process of their own, one request per line."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, str(HARNESS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def ask(
        self, op: str, source: str, name: str, scope: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        request = {"op": op, "source": source, "scope": scope or {"a": {"b": [1]}}}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            code = self.process.wait(timeout=10)
            pytest.fail(f"{op} of {name!r} ({len(source)} characters) killed it (exit {code})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    running = Harness()
    yield running
    running.close()


def _assert_clear(answer: dict[str, Any], name: str) -> None:
    message = answer.get("message", "")
    assert not any(raw in message for raw in RAW), (name, message)


def _check_and_run(harness: Harness, source: str, name: str) -> dict[str, Any]:
    """Check ``source``; evaluate it when the checker accepts it. Returns the run's answer."""
    checked = harness.ask("check", source, name)
    if not checked["ok"]:
        assert checked["code"] in REFUSED, (name, checked)
        _assert_clear(checked, name)
    ran = harness.ask("evaluate", source, name)
    if not ran["ok"]:
        assert ran["code"] in FAILED, (name, ran)
        assert ran["retryable"] is False, (name, ran)
        _assert_clear(ran, name)
    if checked["ok"] is False and checked["code"] != "script-syntax":
        assert ran["ok"] is False, (name, ran)  # refused at save time, refused at run time
        assert ran["code"] == checked["code"], (name, ran, checked)
    return ran


def test_the_issue_strings_are_refused_and_the_engine_goes_on(harness: Harness) -> None:
    checked = harness.ask("check", "1+" * 100_000 + "1", "200 KB chain")
    assert checked["code"] == "script-too-deep"
    assert f"at most {MAX_SCRIPT_DEPTH} are allowed" in checked["message"]
    for terms in (5_000, 50_000):
        ran = harness.ask("evaluate", "1+" * terms + "1", f"{terms}-term chain")
        assert ran["ok"] is False
        assert ran["code"] == "script-too-deep"
        assert ran["retryable"] is False
    assert harness.ask("evaluate", "1 + 1", "a small script")["ok"] is True
    assert harness.ask("evaluate", "x = 1\nx + 1", "a small script")["ok"] is True


@pytest.mark.parametrize(
    ("name", "source"), huge_cases(BODY_LIMIT), ids=[name for name, _ in huge_cases(BODY_LIMIT)]
)
def test_huge_scripts_of_every_shape(harness: Harness, name: str, source: str) -> None:
    ran = _check_and_run(harness, source, name)
    assert ran["sandboxDeaths"] == 0, (name, ran)


def _largest_accepted(name: str) -> int:
    """The largest size of shape ``name`` that the depth and size screens let through."""
    low, high = 0, 400_000 if not name.startswith("nested ") else 1_400
    while low < high:
        middle = (low + high + 1) // 2
        source = SHAPES[name](middle)
        shape = measure_script(source)
        if len(source) <= MAX_SCRIPT_CHARS and shape.complete and shape.depth <= MAX_SCRIPT_DEPTH:
            low = middle
        else:
            high = middle - 1
    return low


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_the_largest_accepted_script_of_each_shape_does_not_crash_a_sandbox(
    harness: Harness, name: str
) -> None:
    """The margin of the depth limit: what the checker accepts, the evaluator survives."""
    size = _largest_accepted(name)
    ran = _check_and_run(harness, SHAPES[name](size), f"{name} x{size}")
    assert ran["sandboxDeaths"] == 0, (name, size, ran)


@st.composite
def nested_scripts(draw: st.DrawFn) -> str:
    """Wrappers (brackets, unary operators, if-expressions, lambdas...) inside each other."""
    layers = draw(
        st.lists(
            st.tuples(st.sampled_from(sorted(WRAPPERS)), st.integers(1, 1500)),
            min_size=1,
            max_size=5,
        )
    )
    return nest(layers)


@st.composite
def shaped_scripts(draw: st.DrawFn) -> str:
    """One shape of :data:`SHAPES` at a size drawn around where things break."""
    name = draw(st.sampled_from(sorted(SHAPES)))
    size = draw(st.one_of(st.integers(0, 1200), st.integers(1200, 40_000)))
    if name.startswith("nested "):
        size = min(size, 1400)
    return SHAPES[name](size)


_ATOMS = st.sampled_from(["1", "a", "'s'", "True", "None", "[]", "{}", "a.b", "2.5"])


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(
            lambda x, op, y: f"{x} {op} {y}", inner, st.sampled_from(BINARY_OPERATORS), inner
        ),
        st.builds(lambda op, x: f"{op}{x}", st.sampled_from(["-", "+", "~", "not "]), inner),
        st.builds(lambda x: f"({x})", inner),
        st.builds(lambda x, y: f"[{x}, {y}]", inner, inner),
        st.builds(lambda x, y: f"{{{x}: {y}}}", inner, inner),
        st.builds(lambda x, c, y: f"{x} if {c} else {y}", inner, inner, inner),
        st.builds(lambda x: f"lambda q: {x}", inner),
        st.builds(lambda x, y: f"[{x} for q in {y}]", inner, inner),
        st.builds(lambda f, x: f"{f}({x})", st.sampled_from(["str", "len", "int"]), inner),
        st.builds(lambda x, i: f"({x})[{i}]", inner, inner),
    )


grammar_expressions = st.recursive(_ATOMS, _grow, max_leaves=60)
"""Random expressions of the whole expression grammar (mostly wrong at run time)."""


@st.composite
def grammar_programs(draw: st.DrawFn) -> str:
    """Statements around random expressions: assignments, if/for/def blocks, repeated."""
    lines: list[str] = []
    indent = 0
    for _ in range(draw(st.integers(1, 12))):
        expression = draw(grammar_expressions)
        kind = draw(st.sampled_from(["assign", "if", "for", "def", "expr"]))
        pad = " " * indent
        if kind == "assign":
            lines.append(f"{pad}x = {expression}")
        elif kind == "expr":
            lines.append(f"{pad}{expression}")
        else:
            header = {"if": f"if {expression}:", "for": "for q in [1]:", "def": "def f():"}[kind]
            lines.append(pad + header)
            indent += 2
            lines.append(" " * indent + "x = 1")
    lines.append("x" if not indent else "")
    return "\n".join(line for line in lines if line) or "1"


HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@HYPOTHESIS
@given(source=st.one_of(nested_scripts(), shaped_scripts(), grammar_programs()))
def test_generated_scripts_never_kill_the_checker_or_the_engine(
    harness: Harness, source: str
) -> None:
    ran = _check_and_run(harness, source, source[:60])
    assert ran["sandboxDeaths"] == 0, (source[:200], ran)


@HYPOTHESIS
@given(layers=st.lists(st.tuples(st.sampled_from(sorted(WRAPPERS)), st.integers(1, 400))))
def test_the_depth_estimate_bounds_the_nesting(layers: list[tuple[str, int]]) -> None:
    """Every wrapper adds at least one level of the tree, so the estimate is at least the
    number of wrappers (the scan stops early past the limit)."""
    shape = measure_script(nest(layers))
    levels = sum(count for _, count in layers)
    assert shape.depth >= min(levels, MAX_SCRIPT_DEPTH) or not shape.complete


async def test_scripts_just_within_the_limit_run_and_shallow_ones_run_in_process() -> None:
    async with ScriptEngine(ScriptSettings(timeout_seconds=5.0)) as engine:
        deep = "1" + " + 1" * (MAX_SCRIPT_DEPTH // 2 - 1)
        assert measure_script(deep).depth <= MAX_SCRIPT_DEPTH
        assert await engine.evaluate(deep, {}) == MAX_SCRIPT_DEPTH // 2
        assert engine.sandbox_evaluations == 1
        shallow = "1" + " + 1" * (IN_PROCESS_MAX_DEPTH // 2 - 1)
        assert await engine.evaluate(shallow, {}) == IN_PROCESS_MAX_DEPTH // 2
        assert engine.in_process_evaluations == 1


async def test_a_sandbox_that_crashes_while_evaluating_fails_its_node_and_is_replaced() -> None:
    spin = "def spin():\n  n = 0\n  for i in range(100000000):\n    n += 1\n  return n\nspin()"
    async with ScriptEngine(ScriptSettings(sandbox_processes=1, timeout_seconds=30.0)) as engine:
        running = asyncio.create_task(engine.evaluate(spin, {}))
        for _ in range(3000):
            if engine.sandbox_pids:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # the script is running now
        (pid,) = engine.sandbox_pids
        os.kill(pid, signal.SIGSEGV)
        with pytest.raises(ScriptCrashError, match="SIGSEGV") as caught:
            await running
        assert caught.value.retryable is False
        assert caught.value.code == "script-crash"
        assert await engine.evaluate("[x + 1 for x in [41]][0]", {}) == 42  # in a sandbox
        assert engine.sandbox_pids != [pid]


async def test_deep_values_crossing_into_and_out_of_a_script_fail_it_clearly() -> None:
    deep: list[Any] = []
    for _ in range(1_500):
        deep = [deep]
    async with ScriptEngine(ScriptSettings(timeout_seconds=5.0)) as engine:
        for source in ("a", "[x for x in [a]][0]"):  # in process, then in a sandbox
            with pytest.raises(ScriptError, match="depth") as caught:
                await engine.evaluate(source, {"a": deep})
            assert not any(raw in caught.value.message for raw in RAW)
        text = "[" * 100_000 + "]" * 100_000
        for source in ("json.decode(s)", "[x for x in [json.decode(s)]][0]"):
            with pytest.raises(ScriptError, match="recursion limit"):
                await engine.evaluate(source, {"s": text})
        assert engine.in_process_evaluations == 2
        assert await engine.evaluate("1 + 1", {}) == 2


INPUT_BOMBS: dict[str, tuple[str, dict[str, Any]]] = {
    "a separator times a list": (
        "sep.join(items)",
        {"sep": "x" * 200_000, "items": ["a"] * 200_000},
    ),
    "a template times its argument": ("t.format(a)", {"t": "{0}" * 100_000, "a": "y" * 400_000}),
    "an input copied thousands of times": ("str([" + "a, " * 4_000 + "])", {"a": "z" * 500_000}),
    "a name doubled line by line": (
        "v0 = a\n" + "".join(f"v{i + 1} = v{i} + v{i}\n" for i in range(40)) + "len(v40)",
        {"a": "z"},
    ),
    "a repetition by an input": ("a * n", {"a": "z", "n": 10**12}),
    "a method passed as a sort key": (
        "sorted(items, key=sep.join)",
        {"sep": "x" * 200_000, "items": [["a"] * 200] * 1_000},
    ),
    "characters stripped against an input": (
        "a.strip(b)",
        {"a": "a" * 300_000, "b": "b" * 300_000},
    ),
}


@pytest.mark.parametrize("name", sorted(INPUT_BOMBS))
def test_scripts_whose_inputs_could_make_them_explode_never_run_in_the_worker(
    harness: Harness, name: str
) -> None:
    """Two inputs multiplied, an input copied thousands of times, a name doubled 40 times:
    each goes to a sandbox and fails its node there (memory, time) or answers; the process
    that evaluates scripts (limited to 4 GiB by the harness) lives on."""
    source, scope = INPUT_BOMBS[name]
    before = harness.ask("evaluate", "1", "a small script")["inProcess"]
    ran = harness.ask("evaluate", source, name, scope)
    if not ran["ok"]:
        assert ran["code"] in FAILED, (name, ran)
        _assert_clear(ran, name)
    assert ran["inProcess"] == before, (name, "ran in the worker process")
    assert harness.ask("evaluate", "1 + 1", "a small script")["ok"] is True


_STRAIGHT_LINE_INPUTS: dict[str, Any] = {
    "s": "ab:" * 20_000,
    "items": ["q"] * 20_000,
    "t": "{0}" * 10_000,
    "n": 3,
    "f": 2.5,
    "d": {"k": "v" * 10_000},
}
_STEPS = (
    "{a} + {b}", "{a} * {b}", "{a} * 3", "{a} * 2.5", "{a} / 2", "{a}.join({b})",
    "'-'.join({b})", "{a}.format({b})", "'<{{}}>'.format({a})", "str({a})", "[{a}, {b}]",
    "{a}.strip({b})", "{a}.strip()", "{a}.replace(':', '::')", "{a}.split(':')", "{a}[0:2]",
    "{a} % {b}", "len({a})", "sorted({a})", "{a} if {b} else {a}", "{{'k': {a}, 'j': {b}}}",
    "repr({a})", "{a}.get('k', {b})", "list({a})",
)  # fmt: skip


@st.composite
def straight_line_programs(draw: st.DrawFn) -> str:
    """Assignments over hostile inputs and what came before, then the last name."""
    names = sorted(_STRAIGHT_LINE_INPUTS)
    lines: list[str] = []
    for index in range(draw(st.integers(1, 10))):
        step = draw(st.sampled_from(_STEPS))
        left, right = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        lines.append(f"v{index} = " + step.format(a=left, b=right))
        names.append(f"v{index}")
    lines.append(names[-1])
    return "\n".join(lines)


@HYPOTHESIS
@given(source=straight_line_programs())
def test_straight_line_programs_over_hostile_inputs_never_kill_the_process(
    harness: Harness, source: str
) -> None:
    """What the in-process subset admits holds in a 4 GiB process; the rest fails in a
    sandbox. Either way the answer is a value or a node's clear failure."""
    ran = harness.ask("evaluate", source, source[:60], _STRAIGHT_LINE_INPUTS)
    if not ran["ok"]:
        assert ran["code"] in FAILED, (source, ran)
        _assert_clear(ran, source)
