"""Blobs in SQLite: ``BlobHB`` keyed by the SHA-256 of the bytes, created on first use."""

from __future__ import annotations

import sqlite3
from typing import Final

from drift_store._sqlite_db import SqliteDatabase
from drift_store.blobs import BLOB_TABLE

_SCHEMA: Final = f"""CREATE TABLE IF NOT EXISTS {BLOB_TABLE} (
    rowKey TEXT PRIMARY KEY,  -- the SHA-256 of data, lowercase hex
    data BLOB NOT NULL,
    size INTEGER NOT NULL,
    createdAt INTEGER NOT NULL
)"""


class SqliteBlobs:
    """The :class:`~drift_store.blobs.BlobBackend` of the embedded store."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        self._ready = False

    async def _ensure(self) -> None:
        if not self._ready:

            def create(c: sqlite3.Connection) -> None:
                c.execute(_SCHEMA)

            await self._db.write(create)
            self._ready = True

    async def put_blob(self, key: str, data: bytes, now: int) -> None:
        """Store a blob (see the protocol): the first write of a key wins, as all agree."""
        await self._ensure()

        def work(c: sqlite3.Connection) -> None:
            c.execute(
                f"INSERT OR IGNORE INTO {BLOB_TABLE} (rowKey, data, size, createdAt) "  # noqa: S608 - a constant table name
                "VALUES (?, ?, ?, ?)",
                (key, data, len(data), now),
            )

        await self._db.write(work)

    async def get_blob(self, key: str) -> bytes | None:
        """A blob's bytes (see the protocol)."""
        await self._ensure()

        def work(c: sqlite3.Connection) -> bytes | None:
            row = c.execute(
                f"SELECT data FROM {BLOB_TABLE} WHERE rowKey = ?",  # noqa: S608 - a constant table name
                (key,),
            ).fetchone()
            return None if row is None else bytes(row[0])

        return await self._db.read(work)
