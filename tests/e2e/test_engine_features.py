"""Engine features beyond the examples: loops that continue as new, post-completion
states, ASYNC children, duration timers, and progress events on a real Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import Client

from drift_models import RunStatus
from drift_nodes import HttpSettings, NodeSettings
from drift_store import DefinitionKind
from drift_store.testing import redis_server
from drift_worker.enum_store import EnumStore
from drift_worker.runtime import running_worker
from drift_worker.settings import WorkerSettings
from tests.e2e.engine import Engine, publish_examples
from tests.peers import Services


def _node(
    kind: str, name: str, config: dict[str, Any] | None = None, params: tuple[str, ...] = ()
) -> dict[str, Any]:
    node: dict[str, Any] = {"type": kind, "id": name, "name": name, "parameters": list(params)}
    if config is not None:
        node["config"] = config
    return node


LOOPS = 60
LOOP = {
    "id": "loop",
    "startNode": "fetch",
    "states": {
        "fetch": {
            "nodeDefinition": _node(
                "HTTP", "fetch", {"url": "{{ _enum_store.ordersServiceUrl }}/orders/A-100"}
            ),
            "nextNode": "count",
        },
        "count": {
            "nodeDefinition": _node(
                "SCRIPT", "count", {"script": "{'n': (_global.get('count') or {'n': 0})['n'] + 1}"}
            ),
            "nextNode": "again",
        },
        "again": {
            "nodeDefinition": _node(
                "BRANCH",
                "again",
                {"choices": [{"rule": f"n < {LOOPS}", "nextNode": "fetch"}], "defaultNode": "done"},
                ("n",),
            ),
            "parameters": {"n": "$.count.n"},
        },
        "done": {
            "nodeDefinition": _node("SUCCESS", "done", {"output": "{{ n }}"}, ("n",)),
            "parameters": {"n": "$.count.n"},
        },
    },
}

POST = {
    "id": "with-post",
    "startNode": "done",
    "postWorkflowCompletionNodes": ["broken", "audit"],
    "states": {
        "done": {"nodeDefinition": _node("SUCCESS", "done", {"disposition": "OK"})},
        "broken": {"nodeDefinition": _node("SCRIPT", "broken", {"script": "1 // 0"})},
        "audit": {"nodeDefinition": _node("SCRIPT", "audit", {"script": "{'audited': True}"})},
    },
}

PARENT = {
    "id": "parent",
    "startNode": "spawn",
    "states": {
        "spawn": {
            "nodeDefinition": _node(
                "CHILD",
                "spawn",
                {
                    "workflowId": "refund",
                    "mode": "ASYNC",
                    "parameters": {"orderId": "A-100", "reason": "async"},
                },
            ),
            "nextNode": "pause",
        },
        "pause": {
            "nodeDefinition": _node("WAIT", "pause", {"durationSeconds": 1}),
            "nextNode": "done",
        },
        "done": {"nodeDefinition": _node("SUCCESS", "done", {"disposition": "SPAWNED"})},
    },
}


async def _publish(engine: Engine, document: dict[str, Any]) -> None:
    store = engine.store
    workflow = store.definitions.node_types.convert_workflow(document)
    await store.definitions.put(engine.tenant, workflow)
    published = await store.definitions.publish(engine.tenant, DefinitionKind.WORKFLOW, workflow.id)
    number = published.definition.version
    assert isinstance(number, int)
    await store.definitions.activate(engine.tenant, DefinitionKind.WORKFLOW, workflow.id, number)


async def test_a_long_loop_continues_as_new_and_keeps_its_context(
    engine: Engine, services: Services
) -> None:
    await _publish(engine, LOOP)
    await engine.begin("loop", {}, run_id="loop-1")  # no caller waits: free to continue
    final = await engine.result("loop-1")
    assert final.workflow_status is RunStatus.COMPLETED, final
    assert final.output == LOOPS
    assert services.calls.count("GET /orders/A-100") == LOOPS
    record = await engine.context("loop-1")
    assert record.context.global_["count"] == {"n": LOOPS}
    latest = await engine.handle("loop-1").fetch_history()
    started = latest.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id, "the loop should have continued as new"


async def test_post_completion_states_run_and_never_change_the_outcome(engine: Engine) -> None:
    await _publish(engine, POST)
    first = await engine.start("with-post", {}, run_id="post-1")
    assert first.workflow_status is RunStatus.COMPLETED
    final = await engine.result("post-1")
    assert final.workflow_status is RunStatus.COMPLETED
    assert final.disposition == "OK"
    record = await engine.context("post-1")
    assert record.context.global_["audit"] == {"audited": True}
    assert "broken" not in record.context.global_
    assert record.status is RunStatus.COMPLETED


async def test_an_async_child_runs_on_after_its_parent_ended(engine: Engine) -> None:
    await _publish(engine, PARENT)
    first = await engine.start("parent", {}, run_id="parent-1")
    assert first.workflow_status is RunStatus.SCHEDULER_WAITING
    assert first.current_node == "pause"
    final = await engine.result("parent-1")
    assert final.workflow_status is RunStatus.COMPLETED
    assert final.disposition == "SPAWNED"
    record = await engine.context("parent-1")
    assert record.context.global_["spawn"] == {"workflowId": "parent-1.spawn.1"}
    child = await engine.state("parent-1.spawn.1")
    assert child.workflow_status is RunStatus.WAITING
    assert child.current_node == "confirmRefund"
    await engine.terminate("parent-1.spawn.1", "test over")


@pytest.fixture
async def redis_engine(
    temporal_client: Client,
    task_queue: str,
    tmp_path: Any,
    services: Services,
    redis: redis_server.RedisServer,
) -> AsyncIterator[tuple[Engine, redis_server.RedisServer]]:
    settings = WorkerSettings(
        store_url=f"sqlite:///{tmp_path / 'drift.db'}", task_queue=task_queue, redis_url=redis.url
    )
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    async with running_worker(
        settings,
        client=temporal_client,
        node_settings=nodes,
        enum_store=EnumStore({"*": {"ordersServiceUrl": services.url}}),
    ) as worker:
        await publish_examples(worker.store, "t1", worker.registry.node_types)
        yield (
            Engine(client=temporal_client, task_queue=task_queue, store=worker.store, tenant="t1"),
            redis,
        )


async def test_progress_events_reach_redis(
    redis_engine: tuple[Engine, redis_server.RedisServer],
) -> None:
    from drift_store import connect_redis  # noqa: PLC0415

    engine, redis = redis_engine
    client = connect_redis(redis.url, timeout=2.0)
    pubsub = client.pubsub()
    await pubsub.subscribe("drift:run:t1:ev-1")
    try:
        await engine.start("refund", {"orderId": "A-100", "reason": "x"}, run_id="ev-1")
        await engine.resume("ev-1", {"decision": ["approve"]})
        events: list[dict[str, Any]] = []
        for _ in range(100):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message is not None:
                events.append(json.loads(message["data"]))
            if events and events[-1]["workflowStatus"] == "COMPLETED":
                break
            await asyncio.sleep(0)
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await client.aclose()
    assert [(e["nodes"], e["outcome"], e["workflowStatus"]) for e in events] == [
        (["lookupOrder", "computeRefund", "routeRefund", "confirmRefund"], "VIEW", "WAITING"),
        (["routeDecision", "refunded"], "END", "COMPLETED"),
    ]
    assert all(e["workflowId"] == "ev-1" and e["tenantId"] == "t1" for e in events)
