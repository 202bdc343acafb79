"""Store URLs: which backend, where, and its options.

- ``sqlite:///relative/path.db`` and ``sqlite:////absolute/path.db`` (three slashes,
  then the path, as SQLAlchemy writes them); ``sqlite://:memory:`` for a private
  in-memory database. Option: ``busy_timeout`` (seconds, default 10).
- ``hbase://host:port`` (port 9090 by default). Options: ``prefix`` (prepended to every
  table name), ``pool`` (connections, default 8), ``timeout`` (seconds per call,
  default 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from drift_store.errors import StoreUrlError

__all__ = ["HBaseUrl", "SqliteUrl", "parse_store_url"]

_FORMS: Final = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite://:memory: or "
    "hbase://host:port?prefix=…"
)
_PREFIX: Final = re.compile(r"^[A-Za-z0-9_.\-]{0,64}$")
_MEMORY: Final = ":memory:"
_MAX_POOL: Final = 64
_MAX_TIMEOUT: Final = 600.0


@dataclass(frozen=True, slots=True)
class SqliteUrl:
    """An embedded store.

    Attributes:
        path: the database file, or ``None`` for an in-memory database.
        busy_timeout: seconds a write waits while another process writes.
    """

    path: Path | None
    busy_timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class HBaseUrl:
    """An HBase store reached through its Thrift1 gateway.

    Attributes:
        host: the Thrift gateway's host.
        port: its port.
        prefix: prepended to every table name (``drift_`` → ``drift_WorkflowHB``).
        pool: how many connections the pool keeps.
        timeout: seconds one call may take before it fails.
    """

    host: str
    port: int = 9090
    prefix: str = ""
    pool: int = 8
    timeout: float = 10.0
    options: dict[str, str] = field(default_factory=dict, compare=False)


def parse_store_url(url: str) -> SqliteUrl | HBaseUrl:
    """Read a store URL.

    Raises:
        StoreUrlError: saying what is wrong and showing the accepted forms.
    """
    if "://" not in url:
        msg = f"store URL {url!r} is not a URL; use {_FORMS}"
        raise StoreUrlError(msg)
    scheme, rest = url.strip().split("://", 1)
    scheme = scheme.lower()
    if scheme == "sqlite":
        return _sqlite(url, rest)
    if scheme == "hbase":
        return _hbase(url, rest)
    msg = f"store URL {url!r} has an unknown scheme {scheme!r}; use {_FORMS}"
    raise StoreUrlError(msg)


def _options(url: str, query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        msg = f"store URL {url!r} has a malformed query {query!r}"
        raise StoreUrlError(msg) from None
    options = dict(pairs)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        msg = (
            f"store URL {url!r} has unknown option(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}"
        )
        raise StoreUrlError(msg)
    return options


def _number(url: str, name: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        msg = f"store URL {url!r}: option {name}={text!r} must be a number from {low:g} to {high:g}"
        raise StoreUrlError(msg)
    return value


def _sqlite(url: str, rest: str) -> SqliteUrl:
    location, _, query = rest.partition("?")
    options = _options(url, query, ("busy_timeout",))
    busy = _number(url, "busy_timeout", options.get("busy_timeout", "10"), 0, _MAX_TIMEOUT)
    if location in (_MEMORY, f"/{_MEMORY}"):
        return SqliteUrl(path=None, busy_timeout=busy)
    if not location.startswith("/"):
        msg = (
            f"store URL {url!r}: a sqlite URL has no host; write sqlite:///relative/path.db, "
            "sqlite:////absolute/path.db or sqlite://:memory:"
        )
        raise StoreUrlError(msg)
    path = location[1:]
    if not path or path.endswith("/"):
        msg = f"store URL {url!r} names no database file after 'sqlite:///'"
        raise StoreUrlError(msg)
    return SqliteUrl(path=Path(path), busy_timeout=busy)


def _hbase(url: str, rest: str) -> HBaseUrl:
    parts = urlsplit(f"hbase://{rest}")
    if parts.path not in ("", "/"):
        msg = f"store URL {url!r} has a path {parts.path!r}; use hbase://host:port?prefix=…"
        raise StoreUrlError(msg)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        msg = f"store URL {url!r} has an invalid port"
        raise StoreUrlError(msg) from None
    if not host:
        msg = f"store URL {url!r} names no host; use hbase://host:port"
        raise StoreUrlError(msg)
    options = _options(url, parts.query, ("prefix", "pool", "timeout"))
    prefix = options.get("prefix", "")
    if not _PREFIX.match(prefix):
        msg = (
            f"store URL {url!r}: prefix {prefix!r} may hold only letters, digits, '_', '.' "
            "and '-' (it becomes part of HBase table names)"
        )
        raise StoreUrlError(msg)
    pool = _number(url, "pool", options.get("pool", "8"), 1, _MAX_POOL)
    if pool != int(pool):
        msg = f"store URL {url!r}: option pool must be a whole number"
        raise StoreUrlError(msg)
    timeout = _number(url, "timeout", options.get("timeout", "10"), 0.001, _MAX_TIMEOUT)
    return HBaseUrl(
        host=host,
        port=port or 9090,
        prefix=prefix,
        pool=int(pool),
        timeout=timeout,
        options=options,
    )
