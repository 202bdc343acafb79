"""Scenario documents in HBase: ``ScenarioHB`` rows ``{tenant}/{workflowId}``.

A document is written in one put (``scenarios``, ``updatedAt``), which replaces it.
"""

from __future__ import annotations

from drift_store._hbase_client import HBaseClient
from drift_store.scenarios import SCENARIO_TABLE, StoredScenarios


class HBaseScenarios:
    """The :class:`~drift_store.scenarios.ScenarioBackend` on HBase."""

    def __init__(self, client: HBaseClient) -> None:
        self._client = client
        self._ready = False

    async def _ensure(self) -> None:
        if not self._ready:
            await self._client.ensure_tables([SCENARIO_TABLE])
            self._ready = True

    async def put_scenarios(self, row: str, data: bytes, now: int) -> None:
        """Store (replace) a document (see the protocol)."""
        await self._ensure()
        cells: dict[str, bytes | None] = {"scenarios": data, "updatedAt": str(now).encode()}
        await self._client.put(SCENARIO_TABLE, row, cells)

    async def get_scenarios(self, row: str) -> StoredScenarios | None:
        """A document (see the protocol)."""
        await self._ensure()
        cells = await self._client.get(SCENARIO_TABLE, row, ("scenarios", "updatedAt"))
        if cells is None or "scenarios" not in cells:
            return None
        return StoredScenarios(data=cells["scenarios"], updated_at=int(cells["updatedAt"]))
