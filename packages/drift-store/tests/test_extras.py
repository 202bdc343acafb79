"""Without its extras drift-store still stores in SQLite, and asking for more says which extra.

Each check runs in a fresh interpreter where the extras' modules cannot be imported (as in
a venv with ``pip install drift-store`` alone); the wheel-install CI step
(``scripts/wheels``) does the same on a real one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from drift_store import MissingExtraError, StoreError
from drift_store.extras import require_extra

_PROBE = textwrap.dedent(
    """
    import asyncio, json, sys
    for blocked in sys.argv[1].split(","):
        sys.modules[blocked] = None  # what an absent package looks like to the import system

    from drift_store import DefinitionCache, MissingExtraError, connect_redis, open_store

    async def main():
        answers = {}
        async with open_store("sqlite://:memory:") as store:
            answers["sqlite"] = await store.contexts.get("acme", "run-1") is None
            try:
                DefinitionCache(store.definitions, redis_url="redis://127.0.0.1:1/0")
            except MissingExtraError as error:
                answers["cache"] = [error.extra, str(error)]
        try:
            connect_redis("redis://127.0.0.1:1/0", timeout=1.0)
        except MissingExtraError as error:
            answers["connect_redis"] = [error.extra, str(error)]
        try:
            async with open_store("hbase://127.0.0.1:1?timeout=1"):
                pass
        except MissingExtraError as error:
            answers["hbase"] = [error.extra, str(error)]
        answers["loaded"] = sorted(
            m for m in ("redis", "aiohappybase", "thriftpy2") if sys.modules.get(m) is not None
        )
        print(json.dumps(answers))

    asyncio.run(main())
    """
)


def _probe(blocked: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, blocked], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    answers: dict[str, Any] = json.loads(result.stdout)
    return answers


def test_without_any_extra_sqlite_works_and_each_use_names_its_extra() -> None:
    answers = _probe("redis,aiohappybase,thriftpy2")
    assert answers["sqlite"] is True
    for use, extra in (("cache", "redis"), ("connect_redis", "redis"), ("hbase", "hbase")):
        named, message = answers[use]
        assert named == extra, use
        assert f'pip install "drift-store[{extra}]"' in message, message
    assert "not installed: aiohappybase, thriftpy2" in answers["hbase"][1]
    assert answers["loaded"] == []


def test_with_redis_only_hbase_is_still_refused() -> None:
    answers = _probe("aiohappybase")
    assert "cache" not in answers
    assert "connect_redis" not in answers
    assert answers["hbase"][0] == "hbase"
    assert "not installed: aiohappybase" in answers["hbase"][1]


_IMPORT_ONLY = (
    "import sys, drift_store; "
    "print(sorted(m for m in ('redis', 'aiohappybase', 'thriftpy2') if m in sys.modules))"
)


def test_the_sqlite_store_imports_no_optional_client() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ONLY], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_error_is_a_store_error_and_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(MissingExtraError) as raised:
        require_extra("redis")
    assert isinstance(raised.value, StoreError)
    assert isinstance(raised.value, ImportError)
    assert raised.value.missing == ("redis",)
    assert raised.value.name == "redis"
