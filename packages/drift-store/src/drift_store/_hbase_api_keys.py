"""API keys in HBase: ``ApiKeyHB`` rows ``h/{digest}`` and the index ``t/{tenant}/{keyId}``.

A create writes the index row first, claimed by check-and-put so a key id is taken
once, then the digest row; a crash in between leaves a listed key that cannot be used
(and can be revoked), never a usable key that is not listed.
"""

from __future__ import annotations

from typing import Final

from drift_store._hbase_client import Cells, HBaseClient, prefix_stop
from drift_store.api_keys import API_KEY_TABLE, ApiKeyRecord
from drift_store.errors import AlreadyExistsError

_QUALIFIERS: Final = ("tenant", "keyId", "digest", "createdAt", "revokedAt", "description")


def _record(cells: Cells) -> ApiKeyRecord:
    revoked = cells.get("revokedAt")
    description = cells.get("description")
    return ApiKeyRecord(
        tenant=cells["tenant"].decode(),
        key_id=cells["keyId"].decode(),
        digest=cells["digest"].decode(),
        created_at=int(cells["createdAt"]),
        revoked_at=int(revoked) if revoked else None,
        description=description.decode() if description is not None else None,
    )


class HBaseApiKeys:
    """The :class:`~drift_store.api_keys.ApiKeyBackend` on HBase."""

    def __init__(self, client: HBaseClient) -> None:
        self._client = client
        self._ready = False

    async def _ensure(self) -> None:
        if not self._ready:
            await self._client.ensure_tables([API_KEY_TABLE])
            self._ready = True

    async def create(self, record: ApiKeyRecord) -> None:
        """Store a new key (see the protocol)."""
        await self._ensure()
        if await self._client.get(API_KEY_TABLE, f"h/{record.digest}", ("keyId",)) is not None:
            msg = "this key digest is already stored"
            raise AlreadyExistsError(msg)
        index = f"t/{record.tenant}/{record.key_id}"
        claimed = await self._client.check_and_put(
            API_KEY_TABLE, index, "digest", None, record.digest.encode()
        )
        if not claimed:
            msg = f"tenant {record.tenant!r} already has a key {record.key_id!r}"
            raise AlreadyExistsError(msg)
        cells: dict[str, bytes | None] = {
            "tenant": record.tenant.encode(),
            "keyId": record.key_id.encode(),
            "digest": record.digest.encode(),
            "createdAt": str(record.created_at).encode(),
            "description": record.description.encode() if record.description else None,
        }
        await self._client.put(API_KEY_TABLE, f"h/{record.digest}", cells)

    async def by_digest(self, digest: str) -> ApiKeyRecord | None:
        """The key with this digest (see the protocol)."""
        await self._ensure()
        cells = await self._client.get(API_KEY_TABLE, f"h/{digest}", _QUALIFIERS)
        if cells is None or "keyId" not in cells:
            return None
        return _record(cells)

    async def list(self, tenant: str) -> list[ApiKeyRecord]:
        """Every key of a tenant (see the protocol)."""
        await self._ensure()
        prefix = f"t/{tenant}/".encode()
        rows = await self._client.scan(
            API_KEY_TABLE, start=prefix, stop=prefix_stop(prefix), qualifiers=("digest",),
            limit=10_000,
        )  # fmt: skip
        records = []
        for _, cells in rows:
            found = await self.by_digest(cells["digest"].decode())
            if found is not None:
                records.append(found)
        return sorted(records, key=lambda r: r.key_id)

    async def revoke(self, tenant: str, key_id: str, now: int) -> ApiKeyRecord | None:
        """Revoke a key (see the protocol)."""
        await self._ensure()
        index = await self._client.get(API_KEY_TABLE, f"t/{tenant}/{key_id}", ("digest",))
        if index is None or "digest" not in index:
            return None
        row = f"h/{index['digest'].decode()}"
        await self._client.check_and_put(API_KEY_TABLE, row, "revokedAt", None, str(now).encode())
        return await self.by_digest(index["digest"].decode())
