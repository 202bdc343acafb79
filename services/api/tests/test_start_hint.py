"""The start hint the API sends: the start node's kind, ``local`` when it cannot tell."""

from __future__ import annotations

from typing import Any, cast

import pytest

from drift_api.definitions import DefinitionService
from drift_api.start_hint import StartHints
from drift_models import WorkflowDefinition
from drift_nodes import discover_nodes
from drift_store import (
    BackendUnavailableError,
    DefinitionKind,
    DefinitionNotFoundError,
    StoredDefinition,
)

REGISTRY = discover_nodes()
HTTP = {"type": "HTTP", "id": "lookup", "name": "lookup", "config": {"url": "http://x/y"}}


class _Definitions:
    """Answers the start node's read as told: a definition or an error."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[tuple[str, DefinitionKind, str, Any]] = []

    async def get(
        self, tenant: str, kind: DefinitionKind, definition_id: str, version: Any
    ) -> StoredDefinition[Any]:
        self.asked.append((tenant, kind, definition_id, version))
        if isinstance(self.answer, Exception):
            raise self.answer
        return StoredDefinition(tenant=tenant, kind=kind, definition=self.answer, updated_at=0)


def _referencing() -> WorkflowDefinition:
    return REGISTRY.node_types.convert_workflow(
        {
            "id": "w",
            "startNode": "first",
            "states": {
                "first": {"resourceId": "lookup", "resourceVersion": "ACTIVE", "nextNode": "end"},
                "end": {"nodeDefinition": {"type": "SUCCESS", "id": "end", "name": "end"}},
            },
        }
    )


async def test_a_referenced_io_start_node_is_read_from_the_cache_and_says_regular() -> None:
    definitions = _Definitions(REGISTRY.node_types.convert_node(HTTP))
    hints = StartHints(cast("DefinitionService", definitions), REGISTRY)
    assert await hints.of("t1", _referencing()) == "regular"
    assert definitions.asked == [("t1", DefinitionKind.NODE, "lookup", "ACTIVE")]


@pytest.mark.parametrize(
    "error",
    [
        BackendUnavailableError("hbase", "no answer within 1 s"),
        DefinitionNotFoundError("gone", tenant="t1", kind="node", definition_id="lookup"),
    ],
)
async def test_a_start_node_that_cannot_be_read_says_local(error: Exception) -> None:
    hints = StartHints(cast("DefinitionService", _Definitions(error)), REGISTRY)
    assert await hints.of("t1", _referencing()) == "local"


async def test_without_a_registry_every_start_says_local() -> None:
    definitions = _Definitions(REGISTRY.node_types.convert_node(HTTP))
    assert (
        await StartHints(cast("DefinitionService", definitions), None).of("t1", _referencing())
        == "local"
    )
    assert definitions.asked == []
