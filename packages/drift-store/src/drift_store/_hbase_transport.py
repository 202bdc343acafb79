"""The transport under the HBase client, and how to read its failures.

aiohappybase is loaded without ``pkg_resources``; thriftpy2's client factory closes the
socket of a failed connect; and small predicates tell a dead connection, a server error
and a table that already exists apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

from drift_store.extras import require_extra

__all__ = [
    "TTransportException",
    "alive",
    "connection_lost",
    "describe",
    "discard",
    "happybase",
    "make_client",
    "table_exists",
    "thrift",
]


def _load_aiohappybase() -> Any:
    """Import aiohappybase without setuptools' deprecated ``pkg_resources``.

    aiohappybase 1.4 reads its Thrift IDL through ``pkg_resources.resource_filename``
    at import time only. A stand-in module serves that one call during the import and
    is removed again, so nothing else in the process sees it.

    Raises:
        MissingExtraError: when the ``hbase`` extra is not installed.
    """
    require_extra("hbase")
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


happybase = _load_aiohappybase()
thrift: Any = sys.modules["Hbase_thrift"]
TTransportException: type[Exception] = importlib.import_module(
    "thriftpy2.transport"
).TTransportException


async def make_client(
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
    client = TAsyncClient(service, proto_factory.get_protocol(transport))  # type: ignore[no-untyped-call]
    # Kept so the pool can tell a connection the gateway has closed (see alive).
    client.drift_socket = client_socket  # type: ignore[attr-defined]
    return client


def alive(connection: Any) -> bool:
    """Whether a pooled connection can still be used (or has not been opened yet).

    The socket's asyncio transport keeps reading while the connection is idle, so a
    gateway that closed it (a restart, its idle timeout) has already left an end of
    file or an error on the reader: no round trip is needed to see it.
    """
    client = connection.client
    if client is None:
        return True
    sock = getattr(client, "drift_socket", None)
    reader = getattr(sock, "reader", None)
    writer = getattr(sock, "writer", None)
    if sock is None or reader is None or writer is None or not sock.is_open():
        return False
    return not (reader.at_eof() or reader.exception() is not None or writer.is_closing())


def connection_lost(error: BaseException) -> bool:
    """Whether ``error`` says the connection died (not that the server refused the call)."""
    return isinstance(
        error, TTransportException | ConnectionError | asyncio.IncompleteReadError | EOFError
    )


def describe(error: BaseException) -> str:
    """A short account of a transport or server error (Java stack traces cut off)."""
    message = getattr(error, "message", None)
    if isinstance(message, bytes):
        message = message.decode(errors="replace")
    text = str(message) if message else str(error)
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return f"{type(error).__name__}: {first[:300]}"


def table_exists(error: BaseException) -> bool:
    """Whether a createTable failure says the table is there (a race with another opener)."""
    if isinstance(error, thrift.AlreadyExists):
        return True
    message = getattr(error, "message", None) if isinstance(error, thrift.IOError) else None
    if isinstance(message, bytes):
        message = message.decode(errors="replace")
    return isinstance(message, str) and "TableExistsException" in message


def discard(connection: Any) -> None:
    with contextlib.suppress(Exception):
        connection.close()
