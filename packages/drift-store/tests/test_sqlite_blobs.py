"""The blob conformance suite against the embedded store, and the claim check's patience."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drift_store import (
    BackendUnavailableError,
    BlobStore,
    ClaimCheck,
    Store,
    blob_store,
    open_store,
)
from drift_store.testing import BlobConformance


class TestSqliteBlobs(BlobConformance):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[Store]:
        async with open_store(f"sqlite:///{tmp_path}/drift.db") as store:
            yield store


async def test_a_store_without_a_blob_table_says_so() -> None:
    with pytest.raises(TypeError, match="keeps no blobs"):
        blob_store(object())


class _Outage:
    """A blob backend that is unreachable for its first ``failures`` calls (unit test)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.kept: dict[str, bytes] = {}

    async def put_blob(self, key: str, data: bytes, now: int) -> None:
        del now
        self._maybe_fail()
        self.kept[key] = data

    async def get_blob(self, key: str) -> bytes | None:
        self._maybe_fail()
        return self.kept.get(key)

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise BackendUnavailableError("test backend", "down")


async def test_a_patient_claim_check_waits_for_the_store_and_an_impatient_one_does_not() -> None:
    backend = _Outage(failures=3)
    patient = ClaimCheck(BlobStore(backend), patient=True, max_backoff=0.01)
    key = await asyncio.wait_for(patient.check_in(b"data"), timeout=10)
    assert backend.calls == 4
    assert await patient.check_out(key) == b"data"
    impatient = ClaimCheck(BlobStore(_Outage(failures=1)))
    with pytest.raises(BackendUnavailableError):
        await impatient.check_in(b"data")


async def test_bytes_checked_in_a_moment_ago_are_not_sent_again() -> None:
    backend = _Outage(failures=0)
    claims = ClaimCheck(BlobStore(backend))
    first = await claims.check_in(b"payload")
    assert await claims.check_in(b"payload") == first
    assert backend.calls == 1
    await claims.check_in(b"other")
    assert backend.calls == 2
