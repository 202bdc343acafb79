"""API keys of the REST API, kept as hashes: create, look up by hash, list, revoke.

The store never sees a usable key: callers hand it a digest (the API uses an
HMAC-SHA256 under a pepper), and a lookup is by digest, so a leaked table grants
nothing. Each key belongs to one tenant and has an id of its own, by which it is
listed and revoked; a revoked key stays listed with the moment of its revocation.

Both backends keep the table ``ApiKeyHB`` (family ``main``): row ``h/{digest}`` with
``tenant``, ``keyId``, ``createdAt``, ``revokedAt``, ``description``, and the index row
``t/{tenant}/{keyId}`` holding ``digest``. The table is created on first use.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Final, Protocol

import msgspec

from drift_store._layout import check_tenant
from drift_store.errors import InvalidKeyError

__all__ = ["ApiKeyBackend", "ApiKeyRecord", "ApiKeyStore", "api_key_store"]

API_KEY_TABLE: Final = "ApiKeyHB"
_KEY_ID: Final = re.compile(r"^[\w.\-]{1,64}(?!\n)$")
_DIGEST: Final = re.compile(r"^[0-9a-f]{32,128}(?!\n)$")
_MAX_DESCRIPTION: Final = 500


class ApiKeyRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One API key, without the key.

    Attributes:
        tenant: the tenant the key acts for.
        key_id: the key's id within the tenant (shown in listings, used to revoke).
        digest: the key's hash, as the caller made it.
        created_at: when it was created (epoch millis).
        revoked_at: when it was revoked, or ``None`` while it is valid.
        description: what the key is for.
    """

    tenant: str
    key_id: str
    digest: str
    created_at: int
    revoked_at: int | None = None
    description: str | None = None

    @property
    def valid(self) -> bool:
        """Whether the key may still be used."""
        return self.revoked_at is None


class ApiKeyBackend(Protocol):
    """Where a backend keeps API keys."""

    async def create(self, record: ApiKeyRecord) -> None:
        """Store a new key.

        Raises:
            AlreadyExistsError: when the tenant has the key id, or the digest is known.
        """
        ...

    async def by_digest(self, digest: str) -> ApiKeyRecord | None:
        """The key with this digest, revoked or not."""
        ...

    async def list(self, tenant: str) -> list[ApiKeyRecord]:
        """Every key of a tenant, ordered by key id."""
        ...

    async def revoke(self, tenant: str, key_id: str, now: int) -> ApiKeyRecord | None:
        """Mark a key revoked (once: a second revocation keeps the first moment).

        Returns ``None`` when the tenant has no such key.
        """
        ...


class ApiKeyStore:
    """API keys of every tenant, over one backend.

    Args:
        backend: the storage engine's key table.
        clock: epoch milliseconds now (tests pass a fake one).
    """

    def __init__(self, backend: ApiKeyBackend, *, clock: Callable[[], int] | None = None) -> None:
        self._backend = backend
        self._clock = clock or (lambda: time.time_ns() // 1_000_000)

    async def create(
        self, tenant: str, key_id: str, digest: str, *, description: str | None = None
    ) -> ApiKeyRecord:
        """Store a new key's digest for ``tenant``.

        Raises:
            AlreadyExistsError: when the key id or the digest is taken.
            InvalidKeyError: for a bad tenant, key id, digest or description.
        """
        check_tenant(tenant)
        _check(key_id, digest)
        if description is not None and len(description) > _MAX_DESCRIPTION:
            msg = f"a key's description is at most {_MAX_DESCRIPTION} characters"
            raise InvalidKeyError(msg)
        record = ApiKeyRecord(
            tenant=tenant,
            key_id=key_id,
            digest=digest,
            created_at=self._clock(),
            description=description,
        )
        await self._backend.create(record)
        return record

    async def find(self, digest: str) -> ApiKeyRecord | None:
        """The key with ``digest`` (revoked ones too), or ``None``."""
        if not _DIGEST.match(digest):
            return None
        return await self._backend.by_digest(digest)

    async def list(self, tenant: str) -> list[ApiKeyRecord]:
        """Every key of ``tenant``, revoked ones included, ordered by key id."""
        check_tenant(tenant)
        return await self._backend.list(tenant)

    async def revoke(self, tenant: str, key_id: str) -> ApiKeyRecord | None:
        """Revoke a key; ``None`` when the tenant has no such key."""
        check_tenant(tenant)
        if not _KEY_ID.match(key_id):
            return None
        return await self._backend.revoke(tenant, key_id, self._clock())


def _check(key_id: str, digest: str) -> None:
    if not _KEY_ID.match(key_id):
        msg = f"key id {key_id!r} is not 1-64 letters, digits, '_', '.' or '-'"
        raise InvalidKeyError(msg)
    if not _DIGEST.match(digest):
        msg = "a key digest is 32-128 lowercase hexadecimal digits"
        raise InvalidKeyError(msg)


def api_key_store(store: object) -> ApiKeyStore:
    """``store.api_keys`` of a :class:`~drift_store.Store` (kept for older callers).

    Every backend keeps API keys (:class:`~drift_store.backend.Backend`), and the store
    stamps them with its own clock: read ``store.api_keys`` directly.

    Raises:
        TypeError: for anything but a :class:`~drift_store.Store`.
    """
    from drift_store.store import Store  # noqa: PLC0415 - the store module imports this one

    if not isinstance(store, Store):
        msg = f"{store!r} is no drift_store.Store: it keeps no API keys"
        raise TypeError(msg)
    return store.api_keys
