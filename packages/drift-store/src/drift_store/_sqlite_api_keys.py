"""API keys in SQLite: ``ApiKeyHB`` keyed by digest, unique per tenant and key id."""

from __future__ import annotations

import sqlite3
from typing import Any, Final

from drift_store._sqlite_db import SqliteDatabase
from drift_store.api_keys import API_KEY_TABLE, ApiKeyRecord
from drift_store.errors import AlreadyExistsError

_SCHEMA: Final = (
    f"""CREATE TABLE IF NOT EXISTS {API_KEY_TABLE} (
        rowKey TEXT PRIMARY KEY,  -- h/{{digest}}
        tenant TEXT NOT NULL,
        keyId TEXT NOT NULL,
        digest TEXT NOT NULL,
        createdAt INTEGER NOT NULL,
        revokedAt INTEGER,
        description TEXT
    )""",
    f"CREATE UNIQUE INDEX IF NOT EXISTS {API_KEY_TABLE}_byId ON {API_KEY_TABLE} (tenant, keyId)",
)
_COLUMNS: Final = "tenant, keyId, digest, createdAt, revokedAt, description"


def _record(row: Any) -> ApiKeyRecord:
    return ApiKeyRecord(
        tenant=row[0],
        key_id=row[1],
        digest=row[2],
        created_at=row[3],
        revoked_at=row[4],
        description=row[5],
    )


class SqliteApiKeys:
    """The :class:`~drift_store.api_keys.ApiKeyBackend` of the embedded store."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        self._ready = False

    async def _ensure(self) -> None:
        if not self._ready:

            def create(c: sqlite3.Connection) -> None:
                for statement in _SCHEMA:
                    c.execute(statement)

            await self._db.write(create)
            self._ready = True

    async def create(self, record: ApiKeyRecord) -> None:
        """Store a new key (see the protocol)."""
        await self._ensure()

        def work(c: sqlite3.Connection) -> None:
            try:
                c.execute(
                    f"INSERT INTO {API_KEY_TABLE} (rowKey, {_COLUMNS}) "  # noqa: S608
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        f"h/{record.digest}",
                        record.tenant,
                        record.key_id,
                        record.digest,
                        record.created_at,
                        record.revoked_at,
                        record.description,
                    ),
                )
            except sqlite3.IntegrityError:
                msg = f"tenant {record.tenant!r} already has a key {record.key_id!r}"
                raise AlreadyExistsError(msg) from None

        await self._db.write(work)

    async def by_digest(self, digest: str) -> ApiKeyRecord | None:
        """The key with this digest (see the protocol)."""
        await self._ensure()

        def work(c: sqlite3.Connection) -> ApiKeyRecord | None:
            row = c.execute(
                f"SELECT {_COLUMNS} FROM {API_KEY_TABLE} WHERE rowKey = ?",  # noqa: S608
                (f"h/{digest}",),
            ).fetchone()
            return None if row is None else _record(row)

        return await self._db.read(work)

    async def list(self, tenant: str) -> list[ApiKeyRecord]:
        """Every key of a tenant (see the protocol)."""
        await self._ensure()

        def work(c: sqlite3.Connection) -> list[ApiKeyRecord]:
            rows = c.execute(
                f"SELECT {_COLUMNS} FROM {API_KEY_TABLE} WHERE tenant = ? ORDER BY keyId",  # noqa: S608
                (tenant,),
            ).fetchall()
            return [_record(row) for row in rows]

        return await self._db.read(work)

    async def revoke(self, tenant: str, key_id: str, now: int) -> ApiKeyRecord | None:
        """Revoke a key (see the protocol)."""
        await self._ensure()

        def work(c: sqlite3.Connection) -> ApiKeyRecord | None:
            c.execute(
                f"UPDATE {API_KEY_TABLE} SET revokedAt = ? "  # noqa: S608
                "WHERE tenant = ? AND keyId = ? AND revokedAt IS NULL",
                (now, tenant, key_id),
            )
            row = c.execute(
                f"SELECT {_COLUMNS} FROM {API_KEY_TABLE} WHERE tenant = ? AND keyId = ?",  # noqa: S608
                (tenant, key_id),
            ).fetchone()
            return None if row is None else _record(row)

        return await self._db.write(work)
