"""PARALLEL and MAP on a real dev server and a real worker, against a stub with known delays.

Timing claims are checked on the stub's own record of how requests overlapped (and how
many were in flight at once), never on wall-clock thresholds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from drift_models import RunStatus
from drift_store import DefinitionKind
from drift_worker.fanout import BATCH_ITEMS
from tests.e2e.engine import Engine
from tests.e2e.fanout_stub import FanoutStub
from tests.e2e.test_histories import replay_and_keep


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    # The fan-out logic is the worker's; the store only sees one write at the join.
    return f"sqlite:///{tmp_path / 'drift.db'}"


@pytest.fixture
async def stub() -> AsyncIterator[FanoutStub]:
    running = FanoutStub()
    await running.start()
    yield running
    await running.stop()


def _call(stub: FanoutStub, name: str, path: str, *params: str) -> dict[str, Any]:
    return {
        "type": "HTTP",
        "id": name,
        "name": name,
        "parameters": list(params),
        "retry": {"maximumAttempts": 1},
        "config": {"url": f"{stub.url}/work/{path}"},
    }


def _script(name: str, script: str, *params: str) -> dict[str, Any]:
    return {
        "type": "SCRIPT",
        "id": name,
        "name": name,
        "parameters": list(params),
        "config": {"script": script},
    }


SUCCESS = {
    "type": "SUCCESS",
    "id": "ok",
    "name": "ok",
    "parameters": ["found"],
    "config": {"output": "{{ found }}"},
}
FAILURE = {"type": "FAILURE", "id": "failed", "name": "failed"}


def parallel_workflow(
    stub: FanoutStub, delays: dict[str, tuple[int, int]], *, fail_fast: bool = True
) -> dict[str, Any]:
    """One branch per entry of ``delays`` (branch → (ms, status)); branch ``a`` is two long."""
    states: dict[str, Any] = {
        "checks": {
            "parallel": {
                "branches": {b: {"startNode": f"call_{b}"} for b in delays},
                "failFast": fail_fast,
            },
            "nextNode": "done",
        },
        "done": {"nodeDefinition": SUCCESS, "parameters": {"found": "$.checks"}},
        "failed": {"nodeDefinition": FAILURE},
    }
    for branch, (ms, status) in delays.items():
        states[f"call_{branch}"] = {
            "nodeDefinition": _call(stub, f"call-{branch}", f"{branch}?ms={ms}&status={status}")
        }
    states["call_a"]["nextNode"] = "shape_a"
    states["shape_a"] = {
        "nodeDefinition": _script("shape", "{'seen': body['key'], 'shaped': True}", "body"),
        "parameters": {"body": "$.call_a.body"},
    }
    return {"id": "par", "startNode": "checks", "defaultFailureNode": "failed", "states": states}


def map_workflow(stub: FanoutStub, *, tolerated: int, concurrency: int = 10) -> dict[str, Any]:
    return {
        "id": "each",
        "parameters": ["lines"],
        "startNode": "lines",
        "defaultFailureNode": "failed",
        "states": {
            "lines": {
                "map": {
                    "items": "$.params.lines",
                    "itemNode": "fetch",
                    "maxConcurrency": concurrency,
                    "toleratedFailureCount": tolerated,
                },
                "nextNode": "done",
            },
            "fetch": {
                "nodeDefinition": _call(
                    stub,
                    "fetch",
                    "line-{{ key }}?ms={{ ms }}&status={{ status }}",
                    "key",
                    "ms",
                    "status",
                ),
                "parameters": {
                    "key": "$._item.key",
                    "ms": "$._item.ms",
                    "status": "$._item.status",
                },
                "nextNode": "mark",
            },
            "mark": {
                "nodeDefinition": _script(
                    "mark",
                    "{'index': index, 'key': body['key'], 'tag': tag}",
                    "index",
                    "body",
                    "tag",
                ),
                "parameters": {"index": "$._index", "body": "$.fetch.body", "tag": "$.params.tag"},
            },
            "done": {"nodeDefinition": SUCCESS, "parameters": {"found": "$.lines"}},
            "failed": {"nodeDefinition": FAILURE},
        },
    }


async def publish(engine: Engine, document: dict[str, Any]) -> None:
    store = engine.store
    workflow = store.definitions.node_types.convert_workflow(document)
    await store.definitions.put(engine.tenant, workflow)
    published = await store.definitions.publish(engine.tenant, DefinitionKind.WORKFLOW, workflow.id)
    number = published.definition.version
    assert isinstance(number, int)
    await store.definitions.activate(engine.tenant, DefinitionKind.WORKFLOW, workflow.id, number)


async def test_parallel_branches_run_side_by_side_and_join(
    engine: Engine, stub: FanoutStub
) -> None:
    delays = {"a": (400, 200), "b": (700, 200), "c": (1000, 200)}
    await publish(engine, parallel_workflow(stub, delays))
    ended = await engine.start("par", {}, run_id="par-1")
    assert ended.workflow_status is RunStatus.COMPLETED, ended
    # Every branch's request was in flight while every other one was: they overlapped.
    visits = [stub.visit(b) for b in delays]
    assert max(v.started for v in visits) < min(v.ended for v in visits)
    assert stub.most_in_flight == 3
    # The join: each branch's last output under its name, and every state's own output.
    assert ended.output == {
        "a": {"seen": "a", "shaped": True},
        "b": {"status": 200, "headers": ended.output["b"]["headers"], "body": {"key": "b"}},
        "c": {"status": 200, "headers": ended.output["c"]["headers"], "body": {"key": "c"}},
    }
    context = (await engine.context("par-1")).context.global_
    assert context["call_a"]["body"] == {"key": "a"}
    assert context["checks:branches"] == {b: {"status": "COMPLETED"} for b in delays}


async def test_fail_fast_cancels_the_sibling_branches(engine: Engine, stub: FanoutStub) -> None:
    delays = {"a": (100, 200), "b": (200, 400), "c": (30_000, 200)}
    await publish(engine, parallel_workflow(stub, delays))
    await engine.begin("par", {}, run_id="par-ff")
    ended = await engine.result("par-ff")
    assert ended.workflow_status is RunStatus.FAILED, ended
    assert ended.current_node == "failed"
    await stub.until(lambda: "c" in stub.cancelled)  # the cancel comes with a heartbeat
    assert stub.cancelled == ["c"]
    assert "c" not in [v.key for v in stub.visits]
    context = (await engine.context("par-ff")).context.global_
    outcomes = context["checks:branches"]
    assert outcomes["a"] == {"status": "COMPLETED"}
    assert outcomes["b"]["status"] == "FAILED"
    assert outcomes["c"] == {"status": "CANCELLED"}
    assert "branch 'b' failed" in context["checks:error"]["message"]
    assert "checks" not in context  # no join happened


async def test_wait_for_all_reports_each_branch(engine: Engine, stub: FanoutStub) -> None:
    delays = {"a": (600, 200), "b": (100, 400), "c": (300, 200)}
    await publish(engine, parallel_workflow(stub, delays, fail_fast=False))
    await engine.begin("par", {}, run_id="par-all")
    ended = await engine.result("par-all")
    assert ended.workflow_status is RunStatus.FAILED
    assert stub.cancelled == []
    assert sorted(v.key for v in stub.visits) == ["a", "b", "c"]
    context = (await engine.context("par-all")).context.global_
    assert context["checks:branches"]["a"] == {"status": "COMPLETED"}
    assert context["checks:branches"]["b"]["status"] == "FAILED"
    assert context["shape_a"] == {"seen": "a", "shaped": True}  # kept for the failure path
    assert "'call_b'" in context["checks:error"]["message"]


def _lines(count: int, failing: set[int]) -> list[dict[str, Any]]:
    # Later items answer sooner, so completion order differs from input order.
    return [
        {"key": str(i), "ms": 20 + (count - i) % 9 * 15, "status": 400 if i in failing else 200}
        for i in range(count)
    ]


async def test_map_bounds_concurrency_keeps_order_and_tolerates_failures(
    engine: Engine, stub: FanoutStub
) -> None:
    await publish(engine, map_workflow(stub, tolerated=3))
    failing = {7, 42, 93}
    ended = await engine.start("each", {"lines": _lines(100, failing), "tag": "t"}, run_id="m-1")
    assert ended.workflow_status is RunStatus.COMPLETED, ended
    assert stub.most_in_flight == 10
    results = ended.output["results"]
    assert len(results) == 100
    for index, result in enumerate(results):
        if index in failing:
            assert result is None
        else:
            assert result == {"index": index, "key": f"line-{index}", "tag": "t"}
    assert [f["index"] for f in ended.output["failures"]] == sorted(failing)
    assert all("400" in f["error"] for f in ended.output["failures"])
    # Out of order on the wire, in order in the output.
    finished = [int(v.key.removeprefix("line-")) for v in stub.visits]
    assert finished != sorted(finished)


async def test_map_fails_past_its_tolerated_failures(engine: Engine, stub: FanoutStub) -> None:
    await publish(engine, map_workflow(stub, tolerated=1, concurrency=4))
    await engine.begin("each", {"lines": _lines(30, {3, 4}), "tag": "t"}, run_id="m-2")
    ended = await engine.result("m-2")
    assert ended.workflow_status is RunStatus.FAILED
    assert ended.current_node == "failed"
    context = (await engine.context("m-2")).context.global_
    assert "2 item(s) of 30 failed, 1 tolerated" in context["lines:error"]["message"]
    assert stub.most_in_flight <= 4
    # It stopped early: the items after the second failure were never all sent.
    assert len(stub.visits) < 30


async def _history_lengths(engine: Engine, run_id: str) -> tuple[int, list[int]]:
    """Events in the run's history, and in each MAP batch child's."""
    client = engine.client
    handle = engine.handle(run_id)
    parent = await handle.fetch_history()
    children: list[int] = []
    for event in parent.events:
        started = event.child_workflow_execution_started_event_attributes
        if event.HasField("child_workflow_execution_started_event_attributes"):
            child = client.get_workflow_handle(
                started.workflow_execution.workflow_id, run_id=started.workflow_execution.run_id
            )
            children.append(len((await child.fetch_history()).events))
    return len(parent.events), children


@pytest.mark.slow
async def test_a_ten_thousand_item_map_completes_in_batches(
    engine: Engine, stub: FanoutStub, record_property: Any
) -> None:
    count = 10_000
    document = map_workflow(stub, tolerated=0, concurrency=50)
    await publish(engine, document)
    lines = [{"key": str(i), "ms": 0, "status": 200} for i in range(count)]
    await engine.begin("each", {"lines": lines, "tag": "big"}, run_id="m-big")
    ended = await engine.result("m-big")
    assert ended.workflow_status is RunStatus.COMPLETED, ended
    results = ended.output["results"]
    assert len(results) == count
    assert all(r == {"index": i, "key": f"line-{i}", "tag": "big"} for i, r in enumerate(results))
    assert len(stub.visits) == count  # every item ran once
    assert stub.most_in_flight <= 50
    parent, children = await _history_lengths(engine, "m-big")
    assert len(children) == count // BATCH_ITEMS
    # Every history stays far below Temporal's 51,200-event limit.
    assert parent < 400
    assert max(children) < 20 * BATCH_ITEMS
    record_property("parent_events", parent)
    record_property("events_per_item", sum(children) / count)


async def test_a_batched_map_and_its_batches_replay(engine: Engine, stub: FanoutStub) -> None:
    count = BATCH_ITEMS + 20
    await publish(engine, map_workflow(stub, tolerated=0, concurrency=20))
    lines = [{"key": str(i), "ms": 0, "status": 200} for i in range(count)]
    await engine.begin("each", {"lines": lines, "tag": "b"}, run_id="m-batched")
    ended = await engine.result("m-batched")
    assert ended.workflow_status is RunStatus.COMPLETED, ended
    assert [r["index"] for r in ended.output["results"]] == list(range(count))
    history = await engine.handle("m-batched").fetch_history()
    batches = [
        e.child_workflow_execution_started_event_attributes.workflow_execution
        for e in history.events
        if e.HasField("child_workflow_execution_started_event_attributes")
    ]
    assert len(batches) == 2
    await replay_and_keep(engine, "m-batched", "map-batched-parent")
    await replay_and_keep(engine, batches[1].workflow_id, "map-batch-child", temporal_id=True)


async def test_a_map_over_nothing_or_over_a_non_list(engine: Engine, stub: FanoutStub) -> None:
    await publish(engine, map_workflow(stub, tolerated=0))
    empty = await engine.start("each", {"lines": [], "tag": "t"}, run_id="m-empty")
    assert empty.workflow_status is RunStatus.COMPLETED, empty
    assert empty.output == {"results": [], "failures": []}
    await engine.begin("each", {"lines": "not a list", "tag": "t"}, run_id="m-str")
    ended = await engine.result("m-str")
    assert ended.workflow_status is RunStatus.FAILED
    assert ended.current_node == "failed"
    context = (await engine.context("m-str")).context.global_
    message = context["lines:error"]["message"]
    assert "MAP 'lines': $.params.lines is a str, not a list of items" in message
    assert stub.visits == []


async def test_a_map_after_a_parallel_reads_the_joined_outputs(
    engine: Engine, stub: FanoutStub
) -> None:
    # The PARALLEL's outputs are pending when the MAP forks: it writes them first.
    document = parallel_workflow(stub, {"a": (10, 200), "b": (10, 200)})
    document["states"]["checks"]["nextNode"] = "again"
    document["states"]["again"] = {
        "map": {"items": "$.params.keys", "itemNode": "echo", "maxConcurrency": 2},
        "nextNode": "done",
    }
    document["states"]["echo"] = {
        "nodeDefinition": _script("echo", "{'key': key, 'seen': seen['seen']}", "key", "seen"),
        "parameters": {"key": "$._item", "seen": "$.checks.a"},
    }
    document["states"]["done"]["parameters"] = {"found": "$.again.results"}
    document["parameters"] = ["keys"]
    await publish(engine, document)
    ended = await engine.start("par", {"keys": ["x", "y", "z"]}, run_id="par-map")
    assert ended.workflow_status is RunStatus.COMPLETED, ended
    assert ended.output == [{"key": k, "seen": "a"} for k in ("x", "y", "z")]
    history = await engine.handle("par-map").fetch_history()
    markers = [e for e in history.events if e.HasField("marker_recorded_event_attributes")]
    assert any(b"drift.mark" in e.SerializeToString() for e in markers)


async def test_terminating_a_run_mid_fanout_cancels_its_branches(
    engine: Engine, stub: FanoutStub
) -> None:
    delays = {"a": (30_000, 200), "b": (30_000, 200)}
    await publish(engine, parallel_workflow(stub, delays))
    await engine.begin("par", {}, run_id="par-term")
    await stub.until(lambda: stub.in_flight == 2)
    ended = await engine.terminate("par-term", "enough")
    assert ended.workflow_status is RunStatus.TERMINATED
    await stub.until(lambda: len(stub.cancelled) == 2)
    assert sorted(stub.cancelled) == ["a", "b"]
    assert stub.visits == []
