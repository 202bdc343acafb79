"""The conformance suite against the embedded store: in memory and in a WAL file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drift_store import Store, open_store
from drift_store.testing import StoreConformance


class TestSqliteInMemory(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[Store]:
        async with open_store("sqlite://:memory:") as store:
            yield store


class TestSqliteFile(StoreConformance):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[Store]:
        async with open_store(f"sqlite:///{tmp_path}/nested/drift.db") as store:
            yield store
