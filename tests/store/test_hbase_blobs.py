"""The blob conformance suite against a real HBase (started from Maven Central jars)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from drift_store import Store, open_store
from drift_store.testing import BlobConformance


class TestHBaseBlobs(BlobConformance):
    @pytest.fixture
    async def store(self, hbase_url: str) -> AsyncIterator[Store]:
        async with open_store(hbase_url) as store:
            yield store
