"""Definitions in SQLite: the tables of SPEC "Storage", one transaction per operation."""

from __future__ import annotations

import sqlite3

from drift_store._layout import (
    DEFINITION_TABLES,
    definition_key,
    definition_row,
    format_history,
    parse_history,
    pointer_row,
)
from drift_store._sqlite_db import SqliteDatabase
from drift_store.backend import (
    RawDefinition,
    RawPointers,
    RawSummary,
    Stamp,
    WriteMode,
    next_activation,
)
from drift_store.errors import AlreadyExistsError, DefinitionNotFoundError
from drift_store.records import DefinitionKind

_POINTER_COLUMNS = "latest, active, activeHistory, updatedAt"


class SqliteDefinitions:
    """The :class:`~drift_store.backend.DefinitionBackend` of the embedded store."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def write_snapshot(
        self,
        tenant: str,
        kind: DefinitionKind,
        definition_id: str,
        data: bytes,
        *,
        mode: WriteMode,
        now: int,
    ) -> bool:
        """Store the SNAPSHOT (see the protocol)."""

        def work(c: sqlite3.Connection) -> bool:
            exists = _pointers(c, tenant, kind, definition_id) is not None
            if exists and mode is WriteMode.CREATE:
                msg = f"tenant {tenant!r} already has a {kind} definition {definition_id!r}"
                raise AlreadyExistsError(msg)
            if not exists and mode is WriteMode.UPDATE:
                raise _unknown(tenant, kind, definition_id)
            if exists:
                c.execute(
                    "UPDATE DefinitionPointerHB SET updatedAt = ? WHERE rowKey = ?",
                    (now, pointer_row(tenant, kind, definition_id)),
                )
            else:
                c.execute(
                    "INSERT INTO DefinitionPointerHB (rowKey, tenant, kind, definitionId, "
                    "createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        pointer_row(tenant, kind, definition_id),
                        tenant,
                        kind.value,
                        definition_id,
                        now,
                        now,
                    ),
                )
            _put_version(
                c,
                tenant=tenant,
                kind=kind,
                definition_id=definition_id,
                version=None,
                data=data,
                now=now,
            )
            return not exists

        return await self._db.write(work)

    async def read(
        self, tenant: str, kind: DefinitionKind, definition_id: str, version: int | None
    ) -> RawDefinition | None:
        """One stored version (see the protocol)."""
        table = DEFINITION_TABLES[kind]
        row_key = definition_row(tenant, definition_id, version)

        def work(c: sqlite3.Connection) -> RawDefinition | None:
            row = c.execute(
                f"SELECT {table.data_qualifier}, updatedAt FROM {table.name} "  # noqa: S608
                "WHERE rowKey = ?",
                (row_key,),
            ).fetchone()
            if row is None:
                return None
            return RawDefinition(version=version, data=bytes(row[0]), updated_at=row[1])

        return await self._db.read(work)

    async def read_pointers(
        self, tenant: str, kind: DefinitionKind, definition_id: str
    ) -> RawPointers | None:
        """The pointer row (see the protocol)."""
        return await self._db.read(lambda c: _pointers(c, tenant, kind, definition_id))

    async def publish(
        self, tenant: str, kind: DefinitionKind, definition_id: str, stamp: Stamp, *, now: int
    ) -> RawDefinition:
        """Freeze the SNAPSHOT as the next number (see the protocol)."""
        table = DEFINITION_TABLES[kind]

        def work(c: sqlite3.Connection) -> RawDefinition:
            snapshot = c.execute(
                f"SELECT {table.data_qualifier} FROM {table.name} WHERE rowKey = ?",  # noqa: S608
                (definition_row(tenant, definition_id, None),),
            ).fetchone()
            if snapshot is None:
                raise _unknown(tenant, kind, definition_id)
            (number,) = c.execute(
                "UPDATE DefinitionPointerHB SET counter = counter + 1, updatedAt = ? "
                "WHERE rowKey = ? RETURNING counter",
                (now, pointer_row(tenant, kind, definition_id)),
            ).fetchone()
            data = stamp(bytes(snapshot[0]), number)
            _put_version(
                c,
                tenant=tenant,
                kind=kind,
                definition_id=definition_id,
                version=number,
                data=data,
                now=now,
            )
            c.execute(
                "UPDATE DefinitionPointerHB SET latest = max(coalesce(latest, 0), ?) "
                "WHERE rowKey = ?",
                (number, pointer_row(tenant, kind, definition_id)),
            )
            return RawDefinition(version=number, data=data, updated_at=now)

        return await self._db.write(work)

    async def activate(
        self,
        tenant: str,
        kind: DefinitionKind,
        definition_id: str,
        version: int | None,
        *,
        now: int,
    ) -> RawPointers:
        """Move ACTIVE (see the protocol)."""

        def work(c: sqlite3.Connection) -> RawPointers:
            current = _pointers(c, tenant, kind, definition_id)
            if current is None:
                raise _unknown(tenant, kind, definition_id)
            active, history = next_activation(
                current, version, tenant=tenant, kind=kind, definition_id=definition_id
            )
            c.execute(
                "UPDATE DefinitionPointerHB SET active = ?, activeHistory = ?, updatedAt = ? "
                "WHERE rowKey = ?",
                (active, format_history(history), now, pointer_row(tenant, kind, definition_id)),
            )
            return RawPointers(
                latest=current.latest, active=active, previously_active=history, updated_at=now
            )

        return await self._db.write(work)

    async def list_definitions(
        self, tenant: str, kind: DefinitionKind, *, after: str | None, limit: int
    ) -> list[RawSummary]:
        """A page of definitions ordered by id (see the protocol)."""

        def work(c: sqlite3.Connection) -> list[RawSummary]:
            rows = c.execute(
                "SELECT definitionId, latest, active, updatedAt FROM DefinitionPointerHB "
                "WHERE tenant = ? AND kind = ? AND definitionId > ? "
                "ORDER BY definitionId LIMIT ?",
                (tenant, kind.value, after or "", limit),
            ).fetchall()
            return [
                RawSummary(definition_id=r[0], latest=r[1], active=r[2], updated_at=r[3])
                for r in rows
            ]

        return await self._db.read(work)

    async def list_versions(
        self, tenant: str, kind: DefinitionKind, definition_id: str
    ) -> list[tuple[int, int]]:
        """Published numbers with their times (see the protocol)."""
        table = DEFINITION_TABLES[kind]

        def work(c: sqlite3.Connection) -> list[tuple[int, int]]:
            rows = c.execute(
                f"SELECT version, updatedAt FROM {table.name} "  # noqa: S608
                "WHERE tenant = ? AND definitionId = ? AND version > 0 ORDER BY version",
                (tenant, definition_id),
            ).fetchall()
            return [(r[0], r[1]) for r in rows]

        return await self._db.read(work)


def _pointers(
    c: sqlite3.Connection, tenant: str, kind: DefinitionKind, definition_id: str
) -> RawPointers | None:
    row = c.execute(
        f"SELECT {_POINTER_COLUMNS} FROM DefinitionPointerHB WHERE rowKey = ?",  # noqa: S608
        (pointer_row(tenant, kind, definition_id),),
    ).fetchone()
    if row is None:
        return None
    return RawPointers(
        latest=row[0], active=row[1], previously_active=parse_history(row[2]), updated_at=row[3]
    )


def _put_version(
    c: sqlite3.Connection,
    *,
    tenant: str,
    kind: DefinitionKind,
    definition_id: str,
    version: int | None,
    data: bytes,
    now: int,
) -> None:
    table = DEFINITION_TABLES[kind]
    c.execute(
        f"INSERT OR REPLACE INTO {table.name} (rowKey, tenant, definitionId, version, "  # noqa: S608
        f"{table.key_qualifier}, {table.data_qualifier}, updatedAt) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            definition_row(tenant, definition_id, version),
            tenant,
            definition_id,
            version or 0,
            definition_key(definition_id, version),
            data,
            now,
        ),
    )


def _unknown(tenant: str, kind: DefinitionKind, definition_id: str) -> DefinitionNotFoundError:
    msg = f"tenant {tenant!r} has no {kind} definition {definition_id!r}"
    return DefinitionNotFoundError(msg, tenant=tenant, kind=str(kind), definition_id=definition_id)
