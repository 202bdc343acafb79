"""Sample documents the conformance suites store: small, valid, and easy to vary."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from drift_models import NodeDefinition, NodeTypes, RunContext, WorkflowDefinition

_TYPES = NodeTypes()


def new_tenant(label: str = "t") -> str:
    """A tenant id no other test uses, so suites can share one database."""
    return f"{label}-{uuid.uuid4().hex[:12]}"


def script_node(
    definition_id: str = "compute", *, script: str = "1 + 1", **extra: Any
) -> NodeDefinition:
    """A SCRIPT node definition at SNAPSHOT."""
    document: dict[str, Any] = {
        "type": "SCRIPT",
        "id": definition_id,
        "name": extra.pop("name", f"Compute {definition_id}"),
        "config": {"script": script},
        **extra,
    }
    return _TYPES.convert_node(document)


def workflow(definition_id: str = "flow", *, comment: str | None = None) -> WorkflowDefinition:
    """A two-state workflow at SNAPSHOT (a SCRIPT by reference, then a SUCCESS inline)."""
    document: dict[str, Any] = {
        "id": definition_id,
        "startNode": "compute",
        "states": {
            "compute": {"resourceId": "compute", "nextNode": "done"},
            "done": {"nodeDefinition": {"type": "SUCCESS", "id": "done", "name": "Done"}},
        },
    }
    if comment is not None:
        document["comment"] = comment
    return _TYPES.convert_workflow(document)


def context(**values: Any) -> RunContext:
    """A run context whose start parameters are ``values``."""
    return RunContext.start(values, enum_store={"region": "eu"})


def big_context(megabytes: float) -> RunContext:
    """A context of about ``megabytes`` MB of JSON, varied so it does not compress away."""
    repeats = 32  # 32 hex digits each: about 1 KB per item
    count = int(megabytes * 1_000_000 / (repeats * 32)) + 1
    items = {f"item{i:06d}": uuid.UUID(int=i).hex * repeats for i in range(count)}
    result = context(size=megabytes)
    result.set_output("load", items)
    return result


def encoded_size(value: Any) -> int:
    """The size of ``value`` as JSON."""
    return len(msgspec.json.encode(value))
