"""One SQLite database shared by async callers: a writer thread and reader threads.

Why threads over the stdlib ``sqlite3`` and not aiosqlite: every store operation is one
whole function (a transaction) that runs in the thread owning the connection, so the
statements of two coroutines can never interleave inside one transaction — with one
aiosqlite connection shared by coroutines they can, unless every caller also holds a
lock. Writes go to a single writer thread (``BEGIN IMMEDIATE``, so writers in other
processes queue on the file lock for ``busy_timeout``); in WAL mode readers run in
their own threads and connections and never wait for the writer. No dependency is
needed beyond the standard library.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final, TypeVar

from drift_store.errors import BackendUnavailableError

T = TypeVar("T")

_READERS: Final = 2
_SCHEMA_VERSION: Final = 1

_DEFINITION_TABLE: Final = """
CREATE TABLE IF NOT EXISTS {table} (
    rowKey TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    definitionId TEXT NOT NULL,
    version INTEGER NOT NULL,  -- 0 is the SNAPSHOT
    {key} TEXT NOT NULL,
    {data} BLOB NOT NULL,
    updatedAt INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS {table}_byVersion ON {table} (tenant, definitionId, version);
"""

_SCHEMA: Final = (
    _DEFINITION_TABLE.format(table="WorkflowHB", key="workflowKey", data="workflowData")
    + _DEFINITION_TABLE.format(table="NodeHB", key="nodeKey", data="nodeData")
    + """
CREATE TABLE IF NOT EXISTS DefinitionPointerHB (
    rowKey TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    definitionId TEXT NOT NULL,
    counter INTEGER NOT NULL DEFAULT 0,
    latest INTEGER,
    active INTEGER,
    activeHistory TEXT NOT NULL DEFAULT '',
    createdAt INTEGER NOT NULL,
    updatedAt INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS DefinitionPointerHB_byId
    ON DefinitionPointerHB (tenant, kind, definitionId);
CREATE TABLE IF NOT EXISTS WorkflowContextHB (
    rowKey TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    contextKey TEXT NOT NULL,
    context BLOB NOT NULL,
    currentNode TEXT,
    status TEXT NOT NULL,
    createdAt INTEGER NOT NULL,
    updatedAt INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    workflowId TEXT,
    workflowVersion INTEGER
);
"""
)


class SqliteDatabase:
    """A SQLite file (or an in-memory database) with a writer thread and reader threads.

    Args:
        path: the database file (created with its directory), or ``None`` for an
            in-memory database private to this object.
        busy_timeout: seconds a write waits for another process's write lock.
    """

    def __init__(self, path: Path | None, *, busy_timeout: float = 10.0) -> None:
        self.path = path
        self.description = f"sqlite {path if path is not None else ':memory:'}"
        self._busy_ms = int(busy_timeout * 1000)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="drift-sqlite-writer")
        # An in-memory database exists only on its one connection: reads use the writer.
        self._readers = (
            ThreadPoolExecutor(_READERS, thread_name_prefix="drift-sqlite-reader")
            if path is not None
            else self._writer
        )
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    async def start(self) -> None:
        """Open the writer connection, switch to WAL and create the tables."""
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise BackendUnavailableError(self.description, str(error)) from None
        await self._run(self._writer, _create_schema)

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` as one write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``)."""
        return await self._run(self._writer, lambda c: _transaction(c, work, "BEGIN IMMEDIATE"))

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` as one read transaction on a reader connection (a consistent view)."""
        return await self._run(self._readers, lambda c: _transaction(c, work, "BEGIN"))

    async def close(self) -> None:
        """Close every connection and stop the threads."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._shutdown)

    def _shutdown(self) -> None:
        self._writer.shutdown(wait=True)
        if self._readers is not self._writer:
            self._readers.shutdown(wait=True)
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    async def _run(
        self, executor: ThreadPoolExecutor, work: Callable[[sqlite3.Connection], T]
    ) -> T:
        if self._closed:
            raise BackendUnavailableError(self.description, "the store is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(executor, lambda: work(self._connection()))
        except sqlite3.OperationalError as error:
            raise BackendUnavailableError(self.description, str(error)) from None
        except sqlite3.DatabaseError as error:
            raise BackendUnavailableError(self.description, f"database error: {error}") from None

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            target = str(self.path) if self.path is not None else ":memory:"
            connection = sqlite3.connect(
                target, isolation_level=None, check_same_thread=False, timeout=self._busy_ms / 1000
            )
            connection.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            if self.path is not None:
                connection.execute("PRAGMA journal_mode = WAL")
                # WAL with NORMAL keeps every commit atomic and durable across a crash of
                # the process; only a power loss may lose the last commits.
                connection.execute("PRAGMA synchronous = NORMAL")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection


def _transaction(
    connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], begin: str
) -> T:
    connection.execute(begin)
    try:
        result = work(connection)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result


def _create_schema(connection: sqlite3.Connection) -> None:
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version > _SCHEMA_VERSION:
        msg = (
            f"the database has schema version {version}, newer than this drift-store "
            f"({_SCHEMA_VERSION}); upgrade drift-store"
        )
        raise sqlite3.OperationalError(msg)
    connection.executescript(_SCHEMA + f"PRAGMA user_version = {_SCHEMA_VERSION};")
