"""The one rule of how a state runs on Temporal, and the start hint taken from it."""

from __future__ import annotations

from typing import Any

from drift_models import NodeDefinition, VersionRef, WorkflowDefinition
from drift_nodes import activity_kind, discover_nodes, start_activity

REGISTRY = discover_nodes()


def _workflow(start: dict[str, Any]) -> WorkflowDefinition:
    document = {
        "id": "w",
        "startNode": "first",
        "states": {"first": start, "done": {"nodeDefinition": _node("SUCCESS", "done", {})}},
    }
    return REGISTRY.node_types.convert_workflow(document)


def _node(kind: str, name: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "id": name, "name": name, "config": config}


SCRIPT = _node("SCRIPT", "s", {"script": "1"})
HTTP = _node("HTTP", "h", {"url": "http://127.0.0.1:9/x"})


async def _nothing(node_id: str, version: VersionRef) -> NodeDefinition | None:
    del node_id, version
    return None


def test_a_pure_node_runs_locally_and_an_io_node_does_not() -> None:
    assert activity_kind(REGISTRY["SCRIPT"]) == "local"
    assert activity_kind(REGISTRY["HTTP"]) == "regular"


async def test_the_start_hint_follows_the_start_state_s_node() -> None:
    inline_http = _workflow({"nodeDefinition": HTTP, "nextNode": "done"})
    inline_script = _workflow({"nodeDefinition": SCRIPT, "nextNode": "done"})
    assert await start_activity(inline_http, REGISTRY, _nothing) == "regular"
    assert await start_activity(inline_script, REGISTRY, _nothing) == "local"


async def test_a_referenced_start_node_is_read_and_a_missing_one_says_local() -> None:
    referenced = _workflow({"resourceId": "lookup", "resourceVersion": 3, "nextNode": "done"})
    asked: list[tuple[str, VersionRef]] = []
    http = REGISTRY.node_types.convert_node(HTTP)

    async def read(node_id: str, version: VersionRef) -> NodeDefinition | None:
        asked.append((node_id, version))
        return http

    assert await start_activity(referenced, REGISTRY, read) == "regular"
    assert asked == [("lookup", 3)]
    # Missing: "local", which the engine checks (an I/O state then only pins in it).
    assert await start_activity(referenced, REGISTRY, _nothing) == "local"
