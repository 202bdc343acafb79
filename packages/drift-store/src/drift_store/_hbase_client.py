"""A typed, pooled HBase Thrift1 client over aiohappybase, with a timeout on every call.

aiohappybase is the transport (its ``Connection`` and the Thrift1 client it loads);
this module adds what the store needs from it:

- a pool of connections, each used by one coroutine at a time (one aiohappybase
  connection cannot serve concurrent coroutines), and replaced after any failure or
  timeout, since a call cut off mid-answer leaves its socket unusable;
- a bound on every call (the socket timeout and ``asyncio.wait_for``), with failures
  raised as :class:`~drift_store.BackendUnavailableError` naming host and port;
- the raw Thrift calls aiohappybase's ``Table`` does not wrap (``checkAndPut``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import sys
import types
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

from drift_store._layout import FAMILY
from drift_store.errors import BackendUnavailableError
from drift_store.urls import HBaseUrl

T = TypeVar("T")

Cells = dict[str, bytes]
"""A row's cells: qualifier (without the family) → value."""

DDL_TIMEOUT: Final = 60.0


def _load_aiohappybase() -> Any:
    """Import aiohappybase without setuptools' deprecated ``pkg_resources``.

    aiohappybase 1.4 reads its Thrift IDL through ``pkg_resources.resource_filename``
    at import time only. A stand-in module serves that one call during the import and
    is removed again, so nothing else in the process sees it.
    """
    loaded = sys.modules.get("aiohappybase")
    if loaded is not None:
        return loaded
    shim = types.ModuleType("pkg_resources")

    def resource_filename(module: str, name: str) -> str:
        # pkg_resources resolves a module name to the directory of its file.
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            msg = f"cannot locate {name!r} beside module {module!r}"
            raise FileNotFoundError(msg)
        return str(Path(spec.origin).parent / name)

    shim.resource_filename = resource_filename  # type: ignore[attr-defined]
    previous = sys.modules.get("pkg_resources")
    sys.modules["pkg_resources"] = shim
    try:
        return importlib.import_module("aiohappybase")
    finally:
        if previous is None:
            del sys.modules["pkg_resources"]
        else:
            sys.modules["pkg_resources"] = previous


_happybase = _load_aiohappybase()
_thrift: Any = sys.modules["Hbase_thrift"]


async def _make_client(
    *,
    service: Any,
    host: str,
    port: int,
    timeout: int,  # noqa: ASYNC109 -- aiohappybase passes the socket timeout (ms)
    connect_timeout: int,
    trans_factory: Any,
    proto_factory: Any,
) -> Any:
    """thriftpy2's ``make_client``, but closing the socket when the connect fails.

    (thriftpy2 0.7 leaves the socket of a refused connection open; aiohappybase calls
    this through ``Connection._client_factory``.)
    """
    from thriftpy2.contrib.aio.client import TAsyncClient  # noqa: PLC0415
    from thriftpy2.contrib.aio.socket import TAsyncSocket  # noqa: PLC0415

    client_socket = TAsyncSocket(
        host, port, socket_timeout=timeout, connect_timeout=connect_timeout
    )
    transport = trans_factory.get_transport(client_socket)
    try:
        await transport.open()
    except BaseException:
        if client_socket.raw_sock is not None:
            client_socket.raw_sock.close()
        raise
    # thriftpy2 also bounds every read of a frame by the connect timeout, which costs a
    # task and a timer per read (a get took 2-3 ms instead of 1). Every call is bounded
    # as a whole by HBaseClient.call instead.
    client_socket.connect_timeout = None
    return TAsyncClient(service, proto_factory.get_protocol(transport))  # type: ignore[no-untyped-call]


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
        connection = _happybase.Connection(
            host=self.url.host,
            port=self.url.port,
            timeout=millis,
            connect_timeout=millis,
            autoconnect=False,
        )
        connection._client_factory = _make_client  # noqa: SLF001
        return connection

    async def call(
        self, what: str, work: Callable[[Any], Awaitable[T]], *, limit: float | None = None
    ) -> T:
        """Run ``work(thrift_client)`` on a pooled connection within the timeout.

        Raises:
            BackendUnavailableError: on a timeout or any transport or server error.
        """
        if self._closed:
            raise BackendUnavailableError(self.description, "the store is closed")
        limit = limit or self._timeout
        try:
            connection = self._idle.get_nowait()
        except asyncio.QueueEmpty:
            try:
                connection = await asyncio.wait_for(self._idle.get(), limit)
            except TimeoutError:
                detail = f"{what}: no pooled connection free within {limit:g} s"
                raise BackendUnavailableError(self.description, detail) from None
        healthy = False
        try:
            async with asyncio.timeout(limit):
                result = await self._run(connection, work)
            healthy = True
        except TimeoutError:
            detail = f"{what}: no answer within {limit:g} s"
            raise BackendUnavailableError(self.description, detail) from None
        except Exception as error:
            detail = f"{what}: {type(error).__name__}: {error}"
            raise BackendUnavailableError(self.description, detail) from error
        finally:
            if not healthy:
                # A call cut off mid-answer leaves the socket out of step: replace it.
                with contextlib.suppress(Exception):
                    connection.close()
                connection = self._new_connection()
            self._idle.put_nowait(connection)
        return result

    @staticmethod
    async def _run(connection: Any, work: Callable[[Any], Awaitable[T]]) -> T:
        await connection.open()
        return await work(connection.client)

    async def close(self) -> None:
        """Close every idle connection; calls fail afterwards."""
        self._closed = True
        while not self._idle.empty():
            with contextlib.suppress(Exception):
                self._idle.get_nowait().close()

    # -- tables --------------------------------------------------------------------------

    async def ensure_tables(self, names: Sequence[str]) -> None:
        """Create the tables that do not exist yet (family ``main``); others are kept."""
        existing = await self.call("list tables", lambda c: c.getTableNames(), limit=DDL_TIMEOUT)
        for name in names:
            full = self.table(name)
            if full in existing:
                continue
            descriptor = _thrift.ColumnDescriptor(name=f"{FAMILY}:".encode(), maxVersions=1)

            async def create(c: Any, full: bytes = full, descriptor: Any = descriptor) -> None:
                # Created meanwhile by another process: that is the goal. HBase 2's
                # gateway reports it as an IOError naming TableExistsException, not as
                # the AlreadyExists its IDL declares.
                try:
                    await c.createTable(full, [descriptor])
                except _thrift.AlreadyExists:
                    return
                except _thrift.IOError as error:
                    if b"TableExistsException" not in (error.message or b""):
                        raise

            await self.call(f"create table {full.decode()}", create, limit=DDL_TIMEOUT)

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
            _thrift.Mutation(column=column(q), isDelete=True)
            if value is None
            else _thrift.Mutation(column=column(q), value=value)
            for q, value in cells.items()
        ]

        async def work(c: Any) -> None:
            await c.mutateRow(self.table(table), row.encode(), mutations, {})

        await self.call(f"put {table} {row!r}", work)

    async def check_and_put(
        self, table: str, row: str, qualifier: str, expected: bytes | None, value: bytes
    ) -> bool:
        """Set ``qualifier`` to ``value`` if it holds ``expected`` (``None``: is absent)."""
        mutation = _thrift.Mutation(column=column(qualifier), value=value)

        async def work(c: Any) -> bool:
            done: bool = await c.checkAndPut(
                self.table(table), row.encode(), column(qualifier), expected, mutation, {}
            )
            return done

        return await self.call(f"checkAndPut {table} {row!r}", work)

    async def increment(self, table: str, row: str, qualifier: str) -> int:
        """Atomically add one to a counter cell and return the new value."""

        async def work(c: Any) -> int:
            value: int = await c.atomicIncrement(
                self.table(table), row.encode(), column(qualifier), 1
            )
            return value

        return await self.call(f"increment {table} {row!r}", work)

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
        scan = _thrift.TScan(
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
