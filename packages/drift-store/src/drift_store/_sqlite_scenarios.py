"""Scenario documents in SQLite: ``ScenarioHB`` keyed ``{tenant}/{workflowId}``."""

from __future__ import annotations

import sqlite3
from typing import Final

from drift_store._sqlite_db import SqliteDatabase
from drift_store.scenarios import SCENARIO_TABLE, StoredScenarios

_SCHEMA: Final = f"""CREATE TABLE IF NOT EXISTS {SCENARIO_TABLE} (
    rowKey TEXT PRIMARY KEY,  -- {{tenant}}/{{workflowId}}
    scenarios BLOB NOT NULL,
    updatedAt INTEGER NOT NULL
)"""


class SqliteScenarios:
    """The :class:`~drift_store.scenarios.ScenarioBackend` of the embedded store."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        self._ready = False

    async def _ensure(self) -> None:
        if not self._ready:

            def create(c: sqlite3.Connection) -> None:
                c.execute(_SCHEMA)

            await self._db.write(create)
            self._ready = True

    async def put_scenarios(self, row: str, data: bytes, now: int) -> None:
        """Store (replace) a document (see the protocol)."""
        await self._ensure()

        def work(c: sqlite3.Connection) -> None:
            c.execute(
                f"INSERT OR REPLACE INTO {SCENARIO_TABLE} (rowKey, scenarios, updatedAt) "  # noqa: S608 - a constant table name
                "VALUES (?, ?, ?)",
                (row, data, now),
            )

        await self._db.write(work)

    async def get_scenarios(self, row: str) -> StoredScenarios | None:
        """A document (see the protocol)."""
        await self._ensure()

        def work(c: sqlite3.Connection) -> StoredScenarios | None:
            found = c.execute(
                f"SELECT scenarios, updatedAt FROM {SCENARIO_TABLE} WHERE rowKey = ?",  # noqa: S608 - a constant table name
                (row,),
            ).fetchone()
            if found is None:
                return None
            return StoredScenarios(data=bytes(found[0]), updated_at=int(found[1]))

        return await self._db.read(work)
