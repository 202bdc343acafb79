"""A process that checks and evaluates scripts for the adversarial tests, one per line.

Run as ``python script_harness.py``: it reads JSON lines ``{"op": "check"|"evaluate",
"source": ..., "scope": {...}}`` and answers each with one JSON line. The tests drive it
from outside, so a script that crashes the checker or the engine kills this process,
which the test sees, instead of killing the test run. Evaluation goes through the real
:class:`~drift_nodes.ScriptEngine` with its sandbox pool, as in a worker.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
from typing import Any

from drift_nodes import NodeError, ScriptEngine, ScriptSettings, check_script

MEMORY = 4 << 30
"""This process's address space: a bomb let into it (past the in-process subset) kills
it at once, and the test names the script, instead of filling the machine."""


def _check(source: str) -> dict[str, Any]:
    issue = check_script(source)
    if issue is None:
        return {"ok": True}
    return {"ok": False, "code": issue.code, "message": issue.message, "line": issue.line}


async def _evaluate(engine: ScriptEngine, source: str, scope: dict[str, Any]) -> dict[str, Any]:
    try:
        value = await engine.evaluate(source, scope)
    except NodeError as error:
        return {
            "ok": False,
            "code": error.code,
            "message": error.message,
            "retryable": error.retryable,
        }
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError) as error:
        return {"ok": False, "code": "harness", "message": f"not JSON: {error}"}
    return {"ok": True}


async def _serve() -> None:
    settings = ScriptSettings(timeout_seconds=2.0, memory_bytes=256 * 1024 * 1024)
    async with ScriptEngine(settings) as engine:
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            request = json.loads(line)
            if request["op"] == "check":
                answer = _check(request["source"])
            else:
                answer = await _evaluate(engine, request["source"], request.get("scope", {}))
            answer["sandboxDeaths"] = engine.sandbox_deaths
            answer["inProcess"] = engine.in_process_evaluations
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    asyncio.run(_serve())
