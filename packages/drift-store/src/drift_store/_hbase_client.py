"""A typed, pooled HBase Thrift1 client over aiohappybase, with a timeout on every call.

aiohappybase is the transport (its ``Connection`` and the Thrift1 client it loads);
this module adds what the store needs from it:

- a pool of connections, each used by one coroutine at a time (one aiohappybase
  connection cannot serve concurrent coroutines), and replaced after any failure or
  timeout, since a call cut off mid-answer leaves its socket unusable;
- dead pooled connections replaced before use, and an idempotent call retried once on a
  fresh connection when its pooled one turns out dead (see :meth:`HBaseClient.call`);
- table creation that treats "created meanwhile by another process" as done;
- a bound on every call (the socket timeout and ``asyncio.wait_for``), with failures
  raised as :class:`~drift_store.BackendUnavailableError` naming host and port;
- the raw Thrift calls aiohappybase's ``Table`` does not wrap (``checkAndPut``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from drift_store._hbase_transport import (
    alive,
    connection_lost,
    describe,
    discard,
    happybase,
    make_client,
    table_exists,
    thrift,
)
from drift_store._layout import FAMILY
from drift_store.errors import BackendUnavailableError
from drift_store.urls import HBaseUrl

T = TypeVar("T")

_LOG = logging.getLogger(__name__)

Cells = dict[str, bytes]
"""A row's cells: qualifier (without the family) → value."""

DDL_TIMEOUT: Final = 60.0


def column(qualifier: str) -> bytes:
    """``main:<qualifier>`` as bytes."""
    return f"{FAMILY}:{qualifier}".encode()


def _cells(result: Any) -> Cells:
    prefix = len(FAMILY) + 1
    return {name[prefix:].decode(): cell.value for name, cell in result.columns.items()}


class HBaseClient:
    """The tables of one store on one HBase Thrift gateway.

    Args:
        url: where, with the table prefix, pool size and per-call timeout.
    """

    def __init__(self, url: HBaseUrl) -> None:
        self.url = url
        self.description = f"hbase {url.host}:{url.port}"
        self._timeout = url.timeout
        self._idle: asyncio.LifoQueue[Any] = asyncio.LifoQueue()
        for _ in range(url.pool):
            self._idle.put_nowait(self._new_connection())
        self._closed = False

    def table(self, name: str) -> bytes:
        """The full name of one of the store's tables (with the URL's prefix)."""
        return f"{self.url.prefix}{name}".encode()

    def _new_connection(self) -> Any:
        millis = int(self._timeout * 1000)
        connection = happybase.Connection(
            host=self.url.host,
            port=self.url.port,
            timeout=millis,
            connect_timeout=millis,
            autoconnect=False,
        )
        connection._client_factory = make_client  # noqa: SLF001
        return connection

    async def call(
        self,
        what: str,
        work: Callable[[Any], Awaitable[T]],
        *,
        limit: float | None = None,
        idempotent: bool = True,
    ) -> T:
        """Run ``work(thrift_client)`` on a pooled connection within the timeout.

        A pooled connection the gateway has closed is replaced before use. If the
        connection still dies under the call (the gateway went away between the check
        and the call), an ``idempotent`` call is sent once more on a fresh connection,
        within the same time limit; a call that is not idempotent (a counter increment,
        a check-and-put) is not, since its first send may have been applied.

        Raises:
            BackendUnavailableError: on a timeout or any transport or server error.
        """
        if self._closed:
            raise BackendUnavailableError(self.description, "the store is closed")
        limit = limit or self._timeout
        connection = await self._checkout(what, limit)
        healthy = False
        try:
            async with asyncio.timeout(limit):
                reused = connection.client is not None
                try:
                    result = await self._run(connection, work)
                except Exception as error:
                    if not (idempotent and reused and connection_lost(error)):
                        raise
                    _LOG.info("%s: %s; retrying on a new connection", what, describe(error))
                    discard(connection)
                    connection = self._new_connection()
                    result = await self._run(connection, work)
            healthy = True
        except TimeoutError:
            detail = f"{what}: no answer within {limit:g} s"
            raise BackendUnavailableError(self.description, detail) from None
        except Exception as error:
            detail = f"{what}: {describe(error)}"
            raise BackendUnavailableError(self.description, detail) from error
        finally:
            if not healthy:
                # A call cut off mid-answer leaves the socket out of step: replace it.
                discard(connection)
                connection = self._new_connection()
            self._idle.put_nowait(connection)
        return result

    async def _checkout(self, what: str, limit: float) -> Any:
        """An idle connection that is not known to be dead (waiting up to ``limit``)."""
        try:
            connection = self._idle.get_nowait()
        except asyncio.QueueEmpty:
            try:
                connection = await asyncio.wait_for(self._idle.get(), limit)
            except TimeoutError:
                detail = f"{what}: no pooled connection free within {limit:g} s"
                raise BackendUnavailableError(self.description, detail) from None
        if not alive(connection):
            discard(connection)
            connection = self._new_connection()
        return connection

    @staticmethod
    async def _run(connection: Any, work: Callable[[Any], Awaitable[T]]) -> T:
        await connection.open()
        return await work(connection.client)

    async def close(self) -> None:
        """Close every idle connection; calls fail afterwards."""
        self._closed = True
        while not self._idle.empty():
            discard(self._idle.get_nowait())

    # -- tables --------------------------------------------------------------------------

    async def ensure_tables(self, names: Sequence[str]) -> None:
        """Create the tables that do not exist yet (family ``main``); others are kept.

        Any number of processes may do this at once on a fresh HBase: a table another
        process created meanwhile counts as created, once HBase serves it.
        """
        existing = await self.call("list tables", lambda c: c.getTableNames(), limit=DDL_TIMEOUT)
        for name in names:
            full = self.table(name)
            if full in existing:
                continue
            descriptor = thrift.ColumnDescriptor(name=f"{FAMILY}:".encode(), maxVersions=1)

            async def create(c: Any, full: bytes = full, descriptor: Any = descriptor) -> bool:
                try:
                    await c.createTable(full, [descriptor])
                except Exception as error:
                    if not table_exists(error):
                        raise
                    return False
                return True

            created = await self.call(f"create table {full.decode()}", create, limit=DDL_TIMEOUT)
            if not created:
                await self._wait_enabled(full)

    async def _wait_enabled(self, full: bytes) -> None:
        """Wait until a table another process is creating is enabled (it may be midway)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DDL_TIMEOUT

        async def enabled(c: Any) -> bool:
            try:
                return bool(await c.isTableEnabled(full))
            except thrift.IOError:
                return False  # not in the catalogue yet

        while not await self.call(f"check table {full.decode()}", enabled, limit=DDL_TIMEOUT):
            if loop.time() > deadline:
                detail = f"table {full.decode()} was created by another process but is not enabled"
                raise BackendUnavailableError(self.description, detail)
            await asyncio.sleep(0.2)

    # -- rows ----------------------------------------------------------------------------

    async def get(self, table: str, row: str, qualifiers: Sequence[str]) -> Cells | None:
        """The named cells of one row, or ``None`` if it has none of them."""
        columns = [column(q) for q in qualifiers]

        async def work(c: Any) -> Any:
            return await c.getRowWithColumns(self.table(table), row.encode(), columns, {})

        rows = await self.call(f"get {table} {row!r}", work)
        if not rows:
            return None
        return _cells(rows[0])

    async def put(self, table: str, row: str, cells: Mapping[str, bytes | None]) -> None:
        """Write (``None``: delete) cells of one row, atomically."""
        mutations = [
            thrift.Mutation(column=column(q), isDelete=True)
            if value is None
            else thrift.Mutation(column=column(q), value=value)
            for q, value in cells.items()
        ]

        async def work(c: Any) -> None:
            await c.mutateRow(self.table(table), row.encode(), mutations, {})

        await self.call(f"put {table} {row!r}", work)

    async def check_and_put(
        self, table: str, row: str, qualifier: str, expected: bytes | None, value: bytes
    ) -> bool:
        """Set ``qualifier`` to ``value`` if it holds ``expected`` (``None``: is absent)."""
        mutation = thrift.Mutation(column=column(qualifier), value=value)

        async def work(c: Any) -> bool:
            done: bool = await c.checkAndPut(
                self.table(table), row.encode(), column(qualifier), expected, mutation, {}
            )
            return done

        # Not resent: a first send that was applied would make the second one fail.
        return await self.call(f"checkAndPut {table} {row!r}", work, idempotent=False)

    async def increment(self, table: str, row: str, qualifier: str) -> int:
        """Atomically add one to a counter cell and return the new value."""

        async def work(c: Any) -> int:
            value: int = await c.atomicIncrement(
                self.table(table), row.encode(), column(qualifier), 1
            )
            return value

        # Not resent: a first send that was applied would skip a number.
        return await self.call(f"increment {table} {row!r}", work, idempotent=False)

    async def scan(
        self,
        table: str,
        *,
        start: bytes,
        stop: bytes,
        qualifiers: Sequence[str],
        limit: int,
    ) -> list[tuple[str, Cells]]:
        """Up to ``limit`` rows with ``start <= key < stop``, in key order."""
        scan = thrift.TScan(
            startRow=start,
            stopRow=stop,
            columns=[column(q) for q in qualifiers],
            caching=min(limit, 1000),
        )

        async def work(c: Any) -> list[Any]:
            scanner = await c.scannerOpenWithScan(self.table(table), scan, {})
            try:
                found: list[Any] = []
                while len(found) < limit:
                    batch = await c.scannerGetList(scanner, min(limit - len(found), 1000))
                    if not batch:
                        break
                    found.extend(batch)
                return found
            finally:
                await c.scannerClose(scanner)

        rows = await self.call(f"scan {table}", work)
        return [(r.row.decode(), _cells(r)) for r in rows]


def prefix_stop(prefix: bytes) -> bytes:
    """The first key after every key that starts with ``prefix``."""
    trimmed = prefix.rstrip(b"\xff")
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


async def thrift_answers(host: str, port: int) -> bool:
    """Whether a Thrift gateway at ``host:port`` lists its tables within two seconds."""
    client = HBaseClient(HBaseUrl(host=host, port=port, pool=1, timeout=2.0))
    try:
        await client.call("list tables", lambda c: c.getTableNames())
    except BackendUnavailableError:
        return False
    finally:
        await client.close()
    return True
