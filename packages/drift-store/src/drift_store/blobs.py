"""Content-addressed blobs and the claim check that keeps big values out of Temporal.

Temporal refuses a payload over 2 MB and slows down well before; Drift's contexts,
start parameters, answers and outputs may be megabytes. So the services' Temporal
data converters check big payloads in here: :class:`ClaimCheck` puts the bytes of a
payload over its threshold into the blob table and the payload travels as a small
reference (the SHA-256 of the bytes); reading the payload back fetches and verifies
them. A blob is immutable and named by its content, so writing it twice is harmless,
two processes writing it at once agree, and a reader can tell a damaged blob.

Both backends keep the table ``BlobHB`` (family ``main``): row ``{sha256 hex}`` with
``data`` (the bytes), ``size`` and ``createdAt``. It is created on first use. Blobs are
not scoped by tenant: a reference is only ever seen inside the Temporal payloads of
the run that made it, and the API never serves blobs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Final, Protocol, TypeVar

from drift_models.engine import CLAIM_ENCODING, CLAIM_KEY
from drift_store.errors import (
    BackendUnavailableError,
    InvalidKeyError,
    NotFoundError,
    StoreError,
)

__all__ = [
    "CLAIM_ENCODING",
    "CLAIM_KEY",
    "DEFAULT_CLAIM_THRESHOLD",
    "BlobBackend",
    "BlobNotFoundError",
    "BlobStore",
    "ClaimCheck",
    "CorruptBlobError",
    "blob_store",
]

BLOB_TABLE: Final = "BlobHB"
DEFAULT_CLAIM_THRESHOLD: Final = 128 * 1024
"""Payloads above this many bytes are checked in (Temporal warns from 512 KiB)."""

_REMEMBERED: Final = 1024
_KEY: Final = re.compile(r"^[0-9a-f]{64}(?!\n)$")
_LOG = logging.getLogger(__name__)
T = TypeVar("T")


class BlobNotFoundError(NotFoundError):
    """No blob is stored under the key a reference names."""


class CorruptBlobError(StoreError):
    """A stored blob whose bytes do not hash to its key."""


class BlobBackend(Protocol):
    """Where a backend keeps blobs."""

    async def put_blob(self, key: str, data: bytes, now: int) -> None:
        """Store ``data`` under ``key``; storing the same key again changes nothing."""
        ...

    async def get_blob(self, key: str) -> bytes | None:
        """The bytes under ``key``, or ``None``."""
        ...


class BlobStore:
    """Immutable blobs named by the SHA-256 of their bytes.

    Args:
        backend: the storage engine's blob table.
        clock: epoch milliseconds now.
    """

    def __init__(self, backend: BlobBackend, *, clock: Callable[[], int] | None = None) -> None:
        self._backend = backend
        self._clock = clock or _epoch_millis

    @staticmethod
    def key_of(data: bytes) -> str:
        """The key ``data`` is stored under (the lowercase hex SHA-256)."""
        return hashlib.sha256(data).hexdigest()

    async def put(self, data: bytes) -> str:
        """Store ``data``; return its key (the lowercase hex SHA-256).

        Raises:
            BackendUnavailableError: when the backend cannot be reached.
        """
        key = self.key_of(data)
        await self._backend.put_blob(key, data, self._clock())
        return key

    async def get(self, key: str) -> bytes:
        """The bytes stored under ``key``.

        Raises:
            InvalidKeyError: for a key that is not a SHA-256 in hex.
            BlobNotFoundError: when nothing is stored under it.
            CorruptBlobError: when the stored bytes do not match it.
            BackendUnavailableError: when the backend cannot be reached.
        """
        _check_key(key)
        data = await self._backend.get_blob(key)
        if data is None:
            msg = f"no blob {key} is stored"
            raise BlobNotFoundError(msg)
        if hashlib.sha256(data).hexdigest() != key:
            msg = f"blob {key} is damaged: its bytes hash to something else"
            raise CorruptBlobError(msg)
        return data


class ClaimCheck:
    """Decides which bytes travel by reference, and checks them in and out.

    Args:
        blobs: where the bytes go.
        threshold: bytes above which a payload is checked in.
        patient: whether a store that cannot be reached is waited for (with backoff,
            for as long as it takes) instead of failing the call. A worker is patient:
            a workflow task or an activity whose payload cannot be read yet is delayed,
            never failed. The API is not: it answers ``503`` before anything is sent,
            or ``202`` once something has happened.
        max_backoff: the longest pause between two attempts when patient.
    """

    def __init__(
        self,
        blobs: BlobStore,
        *,
        threshold: int = DEFAULT_CLAIM_THRESHOLD,
        patient: bool = False,
        max_backoff: float = 5.0,
    ) -> None:
        self.blobs = blobs
        self.threshold = threshold
        self._patient = patient
        self._max_backoff = max_backoff
        self._stored: OrderedDict[str, None] = OrderedDict()

    def wants(self, size: int) -> bool:
        """Whether a payload of ``size`` bytes travels by reference."""
        return size > self.threshold

    async def check_in(self, data: bytes) -> str:
        """Store ``data``; return the key its reference names.

        Blobs are immutable, so bytes this process stored a moment ago are not sent
        again: a caller can check a payload in ahead of a timed call, and the call's
        own encoding then needs no store at all.
        """
        key = self.blobs.key_of(data)
        if key in self._stored:
            self._stored.move_to_end(key)
            return key
        await self._attempt(lambda: self.blobs.put(data), "store")
        self._stored[key] = None
        if len(self._stored) > _REMEMBERED:
            self._stored.popitem(last=False)
        return key

    async def check_out(self, key: str) -> bytes:
        """The bytes a reference names."""
        return await self._attempt(lambda: self.blobs.get(key), f"read blob {key[:12]}")

    async def _attempt(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        pause = 0.1
        waited = 0.0
        while True:
            try:
                return await call()
            except BackendUnavailableError as error:
                if not self._patient:
                    raise
                waited += pause
                _LOG.warning(
                    "claim check: cannot %s (%s); retrying in %.1f s (%.0f s so far)",
                    what,
                    error,
                    pause,
                    waited,
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, self._max_backoff)


def blob_store(store: object) -> BlobStore:
    """``store.blobs`` of a :class:`~drift_store.Store` (kept for older callers).

    Raises:
        TypeError: for anything but a :class:`~drift_store.Store`.
    """
    from drift_store.store import Store  # noqa: PLC0415 - the store module imports this one

    if not isinstance(store, Store):
        msg = f"{store!r} is no drift_store.Store: it keeps no blobs"
        raise TypeError(msg)
    return store.blobs


def _epoch_millis() -> int:
    return time.time_ns() // 1_000_000


def _check_key(key: str) -> None:
    if not _KEY.match(key):
        msg = f"blob key {key[:80]!r} is not a SHA-256 in lowercase hex"
        raise InvalidKeyError(msg)
