"""Each workflow's scenario document: what the API's publish gate runs before publishing.

A scenario document (see docs/scenarios.md) is kept per tenant and workflow id, beside
the workflow's versions: one document, replaced as a whole, read back as the bytes
written. The store does not read it (drift-nodes decodes it); it checks the keys and a
size bound, and stamps the write with the store's clock.

Both backends keep the table ``ScenarioHB`` (family ``main``): row
``{tenant}/{workflowId}`` with ``scenarios`` (the JSON document) and ``updatedAt``. The
table is created on first use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, Protocol

import msgspec

from drift_store._layout import check_definition_id, check_tenant
from drift_store.errors import InvalidKeyError

__all__ = [
    "MAX_SCENARIO_BYTES",
    "SCENARIO_TABLE",
    "ScenarioBackend",
    "ScenarioStore",
    "StoredScenarios",
    "scenario_row",
]

SCENARIO_TABLE: Final = "ScenarioHB"
MAX_SCENARIO_BYTES: Final = 1024 * 1024
"""The largest scenario document kept (a workflow's tests, not its data)."""


def scenario_row(tenant: str, workflow_id: str) -> str:
    """The row key of a workflow's scenario document: ``{tenant}/{workflowId}``."""
    return f"{check_tenant(tenant)}/{check_definition_id(workflow_id)}"


class StoredScenarios(msgspec.Struct, frozen=True, kw_only=True):
    """A workflow's scenario document as stored.

    Attributes:
        data: the JSON document, as written.
        updated_at: when it was written (epoch millis).
    """

    data: bytes
    updated_at: int


class ScenarioBackend(Protocol):
    """Where a backend keeps scenario documents."""

    async def put_scenarios(self, row: str, data: bytes, now: int) -> None:
        """Store (replace) the document of ``row``."""
        ...

    async def get_scenarios(self, row: str) -> StoredScenarios | None:
        """The document of ``row``, or ``None``."""
        ...


class ScenarioStore:
    """Scenario documents by tenant and workflow id.

    Args:
        backend: the backend's scenario half.
        clock: epoch milliseconds now (the system's without one).
    """

    def __init__(self, backend: ScenarioBackend, *, clock: Callable[[], int] | None = None) -> None:
        self._backend = backend
        self._clock = clock or (lambda: time.time_ns() // 1_000_000)

    async def put(self, tenant: str, workflow_id: str, data: bytes) -> StoredScenarios:
        """Replace the scenario document of a workflow.

        Raises:
            InvalidKeyError: for a bad tenant or workflow id, or a document over
                :data:`MAX_SCENARIO_BYTES`.
        """
        row = scenario_row(tenant, workflow_id)
        if len(data) > MAX_SCENARIO_BYTES:
            msg = (
                f"the scenarios of {workflow_id!r} are {len(data)} bytes; at most "
                f"{MAX_SCENARIO_BYTES} are kept"
            )
            raise InvalidKeyError(msg)
        now = self._clock()
        await self._backend.put_scenarios(row, data, now)
        return StoredScenarios(data=data, updated_at=now)

    async def get(self, tenant: str, workflow_id: str) -> StoredScenarios | None:
        """The scenario document of a workflow, or ``None`` when it has none.

        Raises:
            InvalidKeyError: for a bad tenant or workflow id.
        """
        return await self._backend.get_scenarios(scenario_row(tenant, workflow_id))
