"""The API-key half of the conformance suite (backends that keep API keys)."""

# A test suite shipped as code: plain asserts and literal expectations are its language.
# ruff: noqa: S101

from __future__ import annotations

import hashlib

import pytest

from drift_store import AlreadyExistsError, InvalidKeyError, Store


def digest(text: str) -> str:
    """A digest as a caller would make one."""
    return hashlib.sha256(text.encode()).hexdigest()


class ApiKeyConformance:
    """API keys: create, find by digest, list per tenant, revoke, tenancy, the clock."""

    async def test_a_key_is_found_by_its_digest_and_listed(self, store: Store, tenant: str) -> None:
        keys = store.api_keys
        created = await keys.create(tenant, "k1", digest(tenant + "one"), description="the UI")
        assert created.valid
        assert await keys.find(digest(tenant + "one")) == created
        assert await keys.find(digest(tenant + "nobody")) is None
        assert await keys.find("not hex") is None
        await keys.create(tenant, "k0", digest(tenant + "zero"))
        assert [k.key_id for k in await keys.list(tenant)] == ["k0", "k1"]
        assert await keys.list(tenant + "-other") == []

    async def test_ids_and_digests_are_taken_once(self, store: Store, tenant: str) -> None:
        keys = store.api_keys
        await keys.create(tenant, "k1", digest(tenant + "one"))
        with pytest.raises(AlreadyExistsError, match="k1"):
            await keys.create(tenant, "k1", digest(tenant + "two"))
        with pytest.raises(InvalidKeyError):
            await keys.create(tenant, "bad id", digest(tenant + "three"))
        with pytest.raises(InvalidKeyError):
            await keys.create(tenant, "k3", "plain text")

    async def test_revocation_is_kept_and_final(self, store: Store, tenant: str) -> None:
        keys = store.api_keys
        await keys.create(tenant, "k1", digest(tenant + "one"))
        revoked = await keys.revoke(tenant, "k1")
        assert revoked is not None
        assert revoked.revoked_at is not None
        assert not revoked.valid
        found = await keys.find(digest(tenant + "one"))
        assert found is not None
        assert found.revoked_at == revoked.revoked_at
        again = await keys.revoke(tenant, "k1")
        assert again is not None
        assert again.revoked_at == revoked.revoked_at
        assert await keys.revoke(tenant, "nope") is None
        assert await keys.revoke(tenant + "-other", "k1") is None

    async def test_the_stores_clock_stamps_keys(self, store: Store, tenant: str) -> None:
        created_at, revoked_at = 1_000_000, 2_000_000
        ticks = iter([created_at, revoked_at])
        clocked = Store(store.backend, clock=lambda: next(ticks))  # the same backend, a fake clock
        created = await clocked.api_keys.create(tenant, "k1", digest(tenant + "clock"))
        assert created.created_at == created_at
        revoked = await clocked.api_keys.revoke(tenant, "k1")
        assert revoked is not None
        assert revoked.revoked_at == revoked_at
        stored = await store.api_keys.find(digest(tenant + "clock"))
        assert stored is not None
        assert (stored.created_at, stored.revoked_at) == (created_at, revoked_at)
