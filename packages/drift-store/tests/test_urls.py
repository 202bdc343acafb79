"""Store URLs: every accepted form, and a clear error for everything else."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from drift_store import HBaseUrl, SqliteUrl, StoreUrlError, open_store, parse_store_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite://:memory:", SqliteUrl(path=None)),
        ("sqlite:///:memory:", SqliteUrl(path=None)),
        ("sqlite:///.drift/drift.db", SqliteUrl(path=Path(".drift/drift.db"))),
        ("sqlite:////srv/drift/drift.db", SqliteUrl(path=Path("/srv/drift/drift.db"))),
        ("SQLITE:///a.db?busy_timeout=2.5", SqliteUrl(path=Path("a.db"), busy_timeout=2.5)),
        ("hbase://hbase.internal", HBaseUrl(host="hbase.internal")),
        (
            "hbase://10.0.0.5:9091?prefix=drift_&pool=4&timeout=2",
            HBaseUrl(host="10.0.0.5", port=9091, prefix="drift_", pool=4, timeout=2.0),
        ),
    ],
)
def test_accepted_forms(url: str, expected: SqliteUrl | HBaseUrl) -> None:
    assert parse_store_url(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("", "is not a URL"),
        ("/var/drift.db", "is not a URL"),
        ("postgres://db/drift", "unknown scheme 'postgres'"),
        ("sqlite://host/drift.db", "has no host"),
        ("sqlite:///", "names no database file"),
        ("sqlite:///dir/", "names no database file"),
        ("sqlite:///a.db?journal=wal", "unknown option(s) journal"),
        ("sqlite:///a.db?busy_timeout=soon", "busy_timeout='soon' must be a number"),
        ("hbase://", "names no host"),
        ("hbase://h:port", "invalid port"),
        ("hbase://h:9090/tables", "has a path"),
        ("hbase://h?prefix=bad/prefix", "prefix 'bad/prefix'"),
        ("hbase://h?pool=0", "pool='0' must be a number from 1 to 64"),
        ("hbase://h?pool=2.5", "whole number"),
        ("hbase://h?timeout=-1", "timeout='-1'"),
        ("hbase://h?tls=1", "unknown option(s) tls"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, complaint: str) -> None:
    with pytest.raises(StoreUrlError) as caught:
        parse_store_url(url)
    message = str(caught.value)
    assert complaint in message
    assert repr(url) in message


async def test_open_store_rejects_a_bad_url_before_touching_anything(tmp_path: Path) -> None:
    with pytest.raises(StoreUrlError, match=re.escape("sqlite:///relative/path.db")):
        async with open_store(f"mysql://{tmp_path}/x"):
            pass
    assert await asyncio.to_thread(lambda: list(tmp_path.iterdir())) == []
