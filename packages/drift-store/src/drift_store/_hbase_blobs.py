"""Blobs in HBase: ``BlobHB`` rows named by the SHA-256 of their bytes.

A blob is written in one put (``data``, ``size``, ``createdAt``); writing the same key
twice writes the same bytes, so no check-and-put is needed.
"""

from __future__ import annotations

from drift_store._hbase_client import HBaseClient
from drift_store.blobs import BLOB_TABLE


class HBaseBlobs:
    """The :class:`~drift_store.blobs.BlobBackend` on HBase."""

    def __init__(self, client: HBaseClient) -> None:
        self._client = client
        self._ready = False

    async def _ensure(self) -> None:
        if not self._ready:
            await self._client.ensure_tables([BLOB_TABLE])
            self._ready = True

    async def put_blob(self, key: str, data: bytes, now: int) -> None:
        """Store a blob (see the protocol)."""
        await self._ensure()
        cells: dict[str, bytes | None] = {
            "data": data,
            "size": str(len(data)).encode(),
            "createdAt": str(now).encode(),
        }
        await self._client.put(BLOB_TABLE, key, cells)

    async def get_blob(self, key: str) -> bytes | None:
        """A blob's bytes (see the protocol)."""
        await self._ensure()
        cells = await self._client.get(BLOB_TABLE, key, ("data",))
        if cells is None or "data" not in cells:
            return None
        return cells["data"]
