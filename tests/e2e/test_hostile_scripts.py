"""Hostile definitions through a real ``drift-worker`` process: a script that once crashed
the worker (an operator chain deep enough to overflow the native stack) fails its run
with a clear message while the worker serves other runs, and a SUCCESS output of
``{{ _global }}`` completes instead of making the context cyclic.

The definitions go into the store directly, as definitions saved before the API
refused them would be.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from drift_models import RunStatus
from tests.e2e.engine import Engine
from tests.e2e.test_engine_features import _node, _publish
from tests.e2e.test_worker_process import setup, worker_process

__all__ = ["setup"]  # the fixture, shared with the worker-process tests


def chain_workflow(identifier: str, terms: int) -> dict[str, Any]:
    script = "1+" * terms + "1"
    return {
        "id": identifier,
        "startNode": "compute",
        "defaultFailureNode": "failed",
        "states": {
            "compute": {
                "nodeDefinition": _node("SCRIPT", "compute", {"script": script}),
                "nextNode": "done",
            },
            "done": {"nodeDefinition": _node("SUCCESS", "done", {"output": "{{ _global }}"})},
            "failed": {
                "nodeDefinition": _node(
                    "FAILURE", "failed", {"errorMessage": "the computation failed"}
                )
            },
        },
    }


WHOLE_CONTEXT = {
    "id": "whole-context",
    "startNode": "done",
    "states": {
        "done": {"nodeDefinition": _node("SUCCESS", "done", {"output": "{{ _global }}"})},
    },
}


async def test_a_script_that_crashed_workers_fails_its_run_and_the_worker_goes_on(
    setup: tuple[Engine, dict[str, str]], tmp_path: Path
) -> None:
    engine, env = setup
    for terms in (5_000, 50_000):
        await _publish(engine, chain_workflow(f"chain-{terms}", terms))
    await _publish(engine, WHOLE_CONTEXT)
    with worker_process(env, tmp_path / "worker.log") as worker:
        await worker.wait_ready()
        process = worker.process
        assert process is not None
        for terms in (5_000, 50_000):
            async with asyncio.timeout(60):  # a crashing worker never answers
                final = await engine.start(f"chain-{terms}", {}, run_id=f"chain-{terms}")
            assert final.workflow_status is RunStatus.FAILED, final
            assert final.error_message == "the computation failed"
            record = await engine.context(f"chain-{terms}")
            assert process.poll() is None, "the worker died"
            assert record.context.global_.get("compute") is None
            message = record.context.global_["compute:error"]["message"]
            assert "config.script: the script nests more than 1000 levels deep" in message

        whole = await engine.start("whole-context", {"orderId": "A-1"}, run_id="whole-1")
        assert whole.workflow_status is RunStatus.COMPLETED, whole
        assert whole.output["params"] == {"orderId": "A-1"}
        refund = await engine.start("refund", {"orderId": "A-100", "reason": "x"}, run_id="r-1")
        assert refund.workflow_status is RunStatus.WAITING, refund
        assert process.poll() is None
