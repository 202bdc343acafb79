"""Run contexts in SQLite: ``WorkflowContextHB`` with a compare-and-set on ``revision``."""

from __future__ import annotations

import sqlite3

from drift_store._layout import context_row
from drift_store._sqlite_db import SqliteDatabase
from drift_store.backend import RawContext
from drift_store.errors import AlreadyExistsError, RevisionConflict, RunNotFoundError

_META = "currentNode, status, revision, createdAt, updatedAt, workflowId, workflowVersion"


class SqliteContexts:
    """The :class:`~drift_store.backend.ContextBackend` of the embedded store."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def create(self, tenant: str, record: RawContext) -> None:
        """Store a new run's context (see the protocol)."""

        def work(c: sqlite3.Connection) -> None:
            try:
                c.execute(
                    "INSERT INTO WorkflowContextHB (rowKey, tenant, contextKey, context, "  # noqa: S608
                    f"{_META}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        context_row(tenant, record.run_id),
                        tenant,
                        record.run_id,
                        record.data,
                        record.current_node,
                        record.status,
                        record.revision,
                        record.created_at,
                        record.updated_at,
                        record.workflow_id,
                        record.workflow_version,
                    ),
                )
            except sqlite3.IntegrityError:
                msg = f"tenant {tenant!r} already has a run {record.run_id!r}"
                raise AlreadyExistsError(msg) from None

        await self._db.write(work)

    async def read(self, tenant: str, run_id: str, *, with_context: bool) -> RawContext | None:
        """A run's row (see the protocol)."""
        columns = f"{_META}, context" if with_context else _META

        def work(c: sqlite3.Connection) -> RawContext | None:
            row = c.execute(
                f"SELECT {columns} FROM WorkflowContextHB WHERE rowKey = ?",  # noqa: S608
                (context_row(tenant, run_id),),
            ).fetchone()
            if row is None:
                return None
            return RawContext(
                run_id=run_id,
                data=bytes(row[7]) if with_context else b"",
                current_node=row[0],
                status=row[1],
                revision=row[2],
                created_at=row[3],
                updated_at=row[4],
                workflow_id=row[5],
                workflow_version=row[6],
            )

        return await self._db.read(work)

    async def replace(self, tenant: str, record: RawContext, *, expected_revision: int) -> None:
        """Compare-and-set the mutable columns on ``revision`` (see the protocol)."""
        key = context_row(tenant, record.run_id)

        def work(c: sqlite3.Connection) -> None:
            cursor = c.execute(
                "UPDATE WorkflowContextHB SET context = ?, currentNode = ?, status = ?, "
                "updatedAt = ?, revision = ? WHERE rowKey = ? AND revision = ?",
                (
                    record.data,
                    record.current_node,
                    record.status,
                    record.updated_at,
                    record.revision,
                    key,
                    expected_revision,
                ),
            )
            if cursor.rowcount == 1:
                return
            row = c.execute(
                "SELECT revision FROM WorkflowContextHB WHERE rowKey = ?", (key,)
            ).fetchone()
            if row is None:
                raise RunNotFoundError(tenant, record.run_id)
            raise RevisionConflict(tenant, record.run_id, expected=expected_revision, actual=row[0])

        await self._db.write(work)
