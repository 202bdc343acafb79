"""The API-key conformance suite against the embedded store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drift_store import Store, api_key_store, open_store
from drift_store.testing import ApiKeyConformance, new_tenant


class TestSqliteApiKeys(ApiKeyConformance):
    @pytest.fixture
    def tenant(self) -> str:
        return new_tenant()

    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[Store]:
        async with open_store(f"sqlite:///{tmp_path}/drift.db") as store:
            yield store


async def test_a_store_without_a_key_table_says_so() -> None:
    with pytest.raises(TypeError, match="keeps no API keys"):
        api_key_store(object())
