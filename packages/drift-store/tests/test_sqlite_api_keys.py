"""API keys on the embedded store: reached as ``store.api_keys`` (the conformance suite,
``StoreConformance``, runs the API-key tests on SQLite in test_sqlite_conformance.py)."""

from __future__ import annotations

import pytest

from drift_store import api_key_store, blob_store, open_store


async def test_a_store_without_a_key_table_says_so() -> None:
    with pytest.raises(TypeError, match="keeps no API keys"):
        api_key_store(object())


async def test_the_older_accessors_give_the_stores_own_tables() -> None:
    async with open_store("sqlite://:memory:") as store:
        assert api_key_store(store) is store.api_keys
        assert blob_store(store) is store.blobs
