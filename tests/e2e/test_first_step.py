"""A run that says how its start state runs pins and runs its first step in one activity.

Runs with the start hint (``RunInput.start_activity``, as the API sends it) and without
(a starter that does not say) end the same; the hinted run's history has the begin's
local-activity marker fewer and no more workflow tasks; a wrong hint changes nothing but
speed; a failing first node keeps its retry policy. With ``DRIFT_RECORD_HISTORIES=1``
the histories of the new shape are kept for ``services/worker/tests/test_replay.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType

from drift_cli.demo import DemoServices
from drift_models import RunStatus, StartActivity, WorkflowResponse
from tests.e2e.engine import Engine
from tests.e2e.test_histories import replay_and_keep
from tests.e2e.test_store_outage import CHAIN, _counter, _node, _publish, _sqlite_locked

REFUND = {"orderId": "A-100", "reason": "x"}

PURE = {
    "id": "pure-chain",
    "startNode": "one",
    "states": {
        **{
            name: {
                "nodeDefinition": _node("SCRIPT", name, {"script": _counter(name)}),
                "nextNode": following,
            }
            for name, following in (("one", "two"), ("two", "three"), ("three", "done"))
        },
        "done": {
            "nodeDefinition": _node("SUCCESS", "done", {"output": "{{ n }}"}, ("n",)),
            "parameters": {"n": "$.three.n"},
        },
    },
}


def _flaky_start(attempts: int) -> dict[str, Any]:
    """A workflow whose start state does HTTP with ``attempts`` attempts at most."""
    return {
        "id": f"flaky-start-{attempts}",
        "startNode": "fetch",
        "states": {
            "fetch": {
                "nodeDefinition": _node(
                    "HTTP", "fetch", {"url": "{{ _enum_store.ordersServiceUrl }}/orders/A-100"}
                ),
                "retry": {"maximumAttempts": attempts, "initialIntervalSeconds": 0.2},
                "nextNode": "done",
            },
            "done": {"nodeDefinition": _node("SUCCESS", "done", {"output": "ok"})},
        },
    }


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    # Writes give up after 1 s while another connection holds the write lock.
    return f"sqlite:///{tmp_path / 'drift.db'}?busy_timeout=1"


@pytest.fixture
def hinted(engine: Engine) -> Engine:
    return dataclasses.replace(engine, hinted=True)


async def _shape(engine: Engine, run_id: str) -> tuple[int, int, int]:
    """History events, completed workflow tasks and local-activity markers of a run."""
    events = (await engine.handle(run_id).fetch_history()).events
    tasks = sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED for e in events)
    markers = sum(e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED for e in events)
    return len(events), tasks, markers


def _same(answer: WorkflowResponse) -> tuple[Any, ...]:
    return (
        answer.workflow_status,
        answer.current_node,
        answer.disposition,
        answer.output,
        answer.error_message,
    )


async def test_the_hint_is_the_api_s_one_rule(hinted: Engine) -> None:
    await _publish(hinted, PURE)
    assert await hinted.start_hint("refund") == "regular"  # its start state does HTTP
    assert await hinted.start_hint("pure-chain") == "local"


async def test_a_hinted_refund_ends_the_same_with_one_event_fewer(
    engine: Engine, hinted: Engine
) -> None:
    legacy = await engine.start("refund", REFUND, run_id="fs-legacy", start_activity=None)
    folded = await hinted.start("refund", REFUND, run_id="fs-refund")
    assert folded.workflow_status is RunStatus.WAITING
    assert _same(folded)[:3] == _same(legacy)[:3]
    ends = [
        await engine.resume("fs-legacy", {"decision": ["approve"]}),
        await hinted.resume("fs-refund", {"decision": ["approve"]}),
    ]
    assert _same(ends[1]) == _same(ends[0])
    assert ends[1].workflow_status is RunStatus.COMPLETED
    legacy_shape = await _shape(engine, "fs-legacy")
    folded_shape = await _shape(hinted, "fs-refund")
    # (events, workflow tasks, markers): the begin's marker is gone, nothing else moved.
    assert (legacy_shape, folded_shape) == ((22, 3, 2), (21, 3, 1))
    folded_context = (await hinted.context("fs-refund")).context.global_
    assert folded_context.keys() == (await engine.context("fs-legacy")).context.global_.keys()
    await replay_and_keep(hinted, "fs-refund", "first-step-refund-approved")


async def test_a_hinted_pure_run_runs_in_one_local_activity(engine: Engine, hinted: Engine) -> None:
    await _publish(engine, PURE)
    legacy = await engine.start("pure-chain", {}, run_id="fs-pure-legacy", start_activity=None)
    folded = await hinted.start("pure-chain", {}, run_id="fs-pure")
    assert folded.workflow_status is RunStatus.COMPLETED
    assert folded.output == 1  # each script ran once
    assert _same(folded) == _same(legacy)
    legacy_shape = await _shape(engine, "fs-pure-legacy")
    folded_shape = await _shape(hinted, "fs-pure")
    assert (legacy_shape, folded_shape) == ((10, 1, 2), (9, 1, 1))
    await replay_and_keep(hinted, "fs-pure", "first-step-pure-chain")


@pytest.mark.parametrize(("workflow", "wrong"), [("refund", "local"), ("pure-chain", "regular")])
async def test_a_wrong_hint_changes_nothing_but_speed(
    engine: Engine, workflow: str, wrong: StartActivity
) -> None:
    await _publish(engine, PURE)
    params = REFUND if workflow == "refund" else {}
    right = await engine.start(workflow, params, run_id="fs-none", start_activity=None)
    hinted = await engine.start(workflow, params, run_id="fs-wrong", start_activity=wrong)
    assert _same(hinted) == _same(right)
    assert (await engine.context("fs-wrong")).context.global_.keys() == (
        await engine.context("fs-none")
    ).context.global_.keys()
    await replay_and_keep(engine, "fs-wrong", f"first-step-wrong-{wrong}")


@pytest.mark.parametrize(("attempts", "status"), [(3, RunStatus.COMPLETED), (2, RunStatus.FAILED)])
async def test_a_failing_first_node_keeps_its_retry_policy(
    engine: Engine, hinted: Engine, services: DemoServices, attempts: int, status: RunStatus
) -> None:
    workflow = _flaky_start(attempts)
    await _publish(engine, workflow)
    ends = []
    for driver, run_id, hint in ((engine, "fs-flaky-1", None), (hinted, "fs-flaky-2", "regular")):
        services.calls.clear()
        services.failures_before_success = 2  # two 503s, then the order
        first = await driver.start(workflow["id"], {}, run_id=run_id, start_activity=hint)
        ends.append(first if first.workflow_status is not RunStatus.RUNNING else None)
        ends[-1] = await driver.result(run_id)
        # As many tries as the policy allows, no more: the folded first try counts.
        assert services.calls == ["GET /orders/A-100"] * min(attempts, 3), services.calls
    assert ends[0] is not None
    assert ends[1] is not None
    assert ends[1].workflow_status is status
    assert _same(ends[1]) == _same(ends[0])
    if attempts == 3:
        await replay_and_keep(hinted, "fs-flaky-2", "first-step-retried")


async def test_a_first_node_that_fails_for_good_fails_the_run_the_same(
    engine: Engine, hinted: Engine
) -> None:
    legacy = await engine.start("refund", {"orderId": "NOPE", "reason": "x"}, run_id="fs-bad-1")
    folded = await hinted.start("refund", {"orderId": "NOPE", "reason": "x"}, run_id="fs-bad-2")
    assert _same(folded) == _same(legacy)
    ends = [await engine.result("fs-bad-1"), await hinted.result("fs-bad-2")]
    assert _same(ends[1]) == _same(ends[0])
    await replay_and_keep(hinted, "fs-bad-2", "first-step-refund-failure-node")


async def test_a_hinted_child_run_replays(hinted: Engine) -> None:
    moment = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).isoformat()
    params = {"patientId": "P1", "slot": "2026-12-01T09:30", "fee": 5, "remindAt": moment}
    await hinted.start("appointment", params, run_id="fs-book")
    await hinted.history_event("fs-book", EventType.EVENT_TYPE_TIMER_FIRED)
    await hinted.event("fs-book", "documentsUploaded", {"files": 1})
    ended = await hinted.result("fs-book")
    assert ended.workflow_status is RunStatus.COMPLETED, ended
    await replay_and_keep(hinted, "fs-book", "first-step-appointment")
    await replay_and_keep(hinted, "fs-book.collectPayment.1", "first-step-collect-payment-child")


async def test_a_store_outage_in_the_folded_begin_is_waited_out(
    hinted: Engine, store_url: str
) -> None:
    await _publish(hinted, CHAIN)
    path = Path(store_url.removeprefix("sqlite:///").split("?")[0])
    async with _sqlite_locked(path):
        await hinted.begin("chain", {}, run_id="fs-wait")
        await asyncio.sleep(3.0)
    ended = await asyncio.wait_for(hinted.result("fs-wait"), 120)
    assert ended.workflow_status is RunStatus.COMPLETED
    assert ended.output == 1  # the counter ran once though the store was away
    history = (await hinted.handle("fs-wait").fetch_history()).to_json_dict()
    assert "StoreUnavailable" in str(history)
    await replay_and_keep(hinted, "fs-wait", "first-step-store-wait-begin-chain")


async def test_a_run_terminated_while_it_pins_and_steps_ends_terminated(hinted: Engine) -> None:
    await _publish(hinted, CHAIN)
    await hinted.begin("chain", {}, run_id="fs-term")
    ended = await hinted.terminate("fs-term", "stopped at once")
    assert ended.workflow_status is RunStatus.TERMINATED
    record = await hinted.context("fs-term")
    assert record.status is RunStatus.TERMINATED
    assert "fetch" in record.context.global_  # the folded step ran, and the mark came after


@pytest.mark.parametrize("hint", [None, "local", "regular"])
async def test_a_draft_whose_start_is_not_a_state_fails_at_once(
    engine: Engine, hint: StartActivity | None
) -> None:
    """A SNAPSHOT run of a draft (never checked) whose startNode names no state fails
    "could not start" without retrying, and then takes no more requests."""
    store = engine.store
    draft = store.definitions.node_types.convert_workflow(
        {
            "id": "no-start",
            "startNode": "A",
            "states": {"done": {"nodeDefinition": _node("SUCCESS", "done", {"output": "ok"})}},
        }
    )
    await store.definitions.put(engine.tenant, draft)
    run_id = f"fs-no-start-{hint}"
    began = asyncio.get_running_loop().time()
    first = await engine.start(
        "no-start", {}, run_id=run_id, version="SNAPSHOT", start_activity=hint
    )
    ended = first if first.workflow_status is RunStatus.FAILED else await engine.result(run_id)
    assert asyncio.get_running_loop().time() - began < 5  # no retries with backoff
    assert ended.workflow_status is RunStatus.FAILED
    assert ended.error_message is not None
    assert "could not start" in ended.error_message
    assert "startNode 'A' is not one of its states" in ended.error_message
