"""The API-key half of the conformance suite (backends that keep API keys)."""

# A test suite shipped as code: plain asserts and literal expectations are its language.
# ruff: noqa: S101

from __future__ import annotations

import hashlib

import pytest

from drift_store import AlreadyExistsError, InvalidKeyError, Store, api_key_store


def digest(text: str) -> str:
    """A digest as a caller would make one."""
    return hashlib.sha256(text.encode()).hexdigest()


class ApiKeyConformance:
    """API keys: create, find by digest, list per tenant, revoke, tenancy."""

    async def test_a_key_is_found_by_its_digest_and_listed(self, store: Store, tenant: str) -> None:
        keys = api_key_store(store)
        created = await keys.create(tenant, "k1", digest(tenant + "one"), description="the UI")
        assert created.valid
        assert await keys.find(digest(tenant + "one")) == created
        assert await keys.find(digest(tenant + "nobody")) is None
        assert await keys.find("not hex") is None
        await keys.create(tenant, "k0", digest(tenant + "zero"))
        assert [k.key_id for k in await keys.list(tenant)] == ["k0", "k1"]
        assert await keys.list(tenant + "-other") == []

    async def test_ids_and_digests_are_taken_once(self, store: Store, tenant: str) -> None:
        keys = api_key_store(store)
        await keys.create(tenant, "k1", digest(tenant + "one"))
        with pytest.raises(AlreadyExistsError, match="k1"):
            await keys.create(tenant, "k1", digest(tenant + "two"))
        with pytest.raises(InvalidKeyError):
            await keys.create(tenant, "bad id", digest(tenant + "three"))
        with pytest.raises(InvalidKeyError):
            await keys.create(tenant, "k3", "plain text")

    async def test_revocation_is_kept_and_final(self, store: Store, tenant: str) -> None:
        keys = api_key_store(store)
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
