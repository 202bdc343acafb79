"""The API-key conformance suite against a real HBase."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from drift_store import Store, open_store
from drift_store.testing import ApiKeyConformance, new_tenant


class TestHBaseApiKeys(ApiKeyConformance):
    @pytest.fixture
    def tenant(self) -> str:
        return new_tenant()

    @pytest.fixture
    async def store(self, hbase_url: str) -> AsyncIterator[Store]:
        async with open_store(hbase_url) as store:
            yield store
