"""The embedded backend: one SQLite file in WAL mode, or an in-memory database for tests.

It keeps the tables, row keys and column names of the HBase layout (SPEC "Storage"), so
both backends hold the same data the same way and pass one conformance suite.
"""

from __future__ import annotations

from pathlib import Path

from drift_store._sqlite_api_keys import SqliteApiKeys
from drift_store._sqlite_blobs import SqliteBlobs
from drift_store._sqlite_contexts import SqliteContexts
from drift_store._sqlite_db import SqliteDatabase
from drift_store._sqlite_definitions import SqliteDefinitions
from drift_store._sqlite_scenarios import SqliteScenarios

__all__ = ["SqliteBackend"]


class SqliteBackend:
    """Definitions and contexts in one SQLite database.

    Use :meth:`open`; the instance holds a writer thread and reader threads until
    :meth:`close`.
    """

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        self._definitions = SqliteDefinitions(db)
        self._contexts = SqliteContexts(db)
        self._api_keys = SqliteApiKeys(db)
        self._blobs = SqliteBlobs(db)
        self._scenarios = SqliteScenarios(db)

    @classmethod
    async def open(cls, path: Path | None, *, busy_timeout: float = 10.0) -> SqliteBackend:
        """Open (creating it and its directory if needed) the database at ``path``.

        Args:
            path: the file, or ``None`` for a private in-memory database.
            busy_timeout: seconds a write waits while another process writes.

        Raises:
            BackendUnavailableError: when the file cannot be opened or created.
        """
        db = SqliteDatabase(path, busy_timeout=busy_timeout)
        try:
            await db.start()
        except BaseException:
            await db.close()
            raise
        return cls(db)

    @property
    def definitions(self) -> SqliteDefinitions:
        """The definition half."""
        return self._definitions

    @property
    def contexts(self) -> SqliteContexts:
        """The context half."""
        return self._contexts

    @property
    def api_keys(self) -> SqliteApiKeys:
        """The API keys of the REST API (see :mod:`drift_store.api_keys`)."""
        return self._api_keys

    @property
    def blobs(self) -> SqliteBlobs:
        """The blobs of the claim check (see :mod:`drift_store.blobs`)."""
        return self._blobs

    @property
    def scenarios(self) -> SqliteScenarios:
        """The workflows' scenario documents (see :mod:`drift_store.scenarios`)."""
        return self._scenarios

    @property
    def description(self) -> str:
        """``sqlite <path>``."""
        return self._db.description

    async def close(self) -> None:
        """Close the connections and stop the threads."""
        await self._db.close()
