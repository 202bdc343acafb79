"""The blob half of the conformance suite (backends that keep claim-checked payloads)."""

# A test suite shipped as code: plain asserts and literal expectations are its language.
# ruff: noqa: S101

from __future__ import annotations

import asyncio
import hashlib
import os

import pytest

from drift_store import (
    BlobNotFoundError,
    ClaimCheck,
    InvalidKeyError,
    Store,
    blob_store,
)


class BlobConformance:
    """Blobs: named by content, idempotent, big, verified; the claim check over them."""

    async def test_a_blob_is_named_by_its_content(self, store: Store) -> None:
        blobs = blob_store(store)
        data = os.urandom(1000)
        key = await blobs.put(data)
        assert key == hashlib.sha256(data).hexdigest()
        assert await blobs.get(key) == data
        assert await blobs.put(data) == key  # twice is once
        assert await blobs.get(key) == data

    async def test_concurrent_writes_of_one_blob_agree(self, store: Store) -> None:
        blobs = blob_store(store)
        data = os.urandom(50_000)
        keys = await asyncio.gather(*(blobs.put(data) for _ in range(8)))
        assert set(keys) == {hashlib.sha256(data).hexdigest()}
        assert await blobs.get(keys[0]) == data

    async def test_megabytes_round_trip(self, store: Store) -> None:
        blobs = blob_store(store)
        data = os.urandom(3 * 1024 * 1024)
        key = await blobs.put(data)
        assert await blobs.get(key) == data

    async def test_missing_and_malformed_keys_are_told_apart(self, store: Store) -> None:
        blobs = blob_store(store)
        with pytest.raises(BlobNotFoundError, match="no blob"):
            await blobs.get(hashlib.sha256(os.urandom(16)).hexdigest())
        for bad in ("", "abc", "Z" * 64, "a" * 64 + "\n", "../" + "a" * 61):
            with pytest.raises(InvalidKeyError):
                await blobs.get(bad)

    async def test_the_claim_check_keeps_small_bytes_out(self, store: Store) -> None:
        claims = ClaimCheck(blob_store(store), threshold=100)
        assert not claims.wants(100)
        assert claims.wants(101)
        data = b"x" * 5000
        key = await claims.check_in(data)
        assert await claims.check_out(key) == data
