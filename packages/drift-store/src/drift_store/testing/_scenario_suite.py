"""The scenario half of the conformance suite: each workflow's scenario document."""

# A test suite shipped as code: plain asserts and literal expectations are its language.
# ruff: noqa: S101

from __future__ import annotations

import pytest

from drift_store import InvalidKeyError, Store
from drift_store.scenarios import MAX_SCENARIO_BYTES


class ScenarioConformance:
    """Scenario documents: kept per tenant and workflow, replaced whole, clock-stamped."""

    async def test_a_document_is_kept_per_tenant_and_workflow(
        self, store: Store, tenant: str
    ) -> None:
        assert await store.scenarios.get(tenant, "refund") is None
        first = b'{"workflow": "refund", "scenarios": []}'
        await store.scenarios.put(tenant, "refund", first)
        kept = await store.scenarios.get(tenant, "refund")
        assert kept is not None
        assert kept.data == first
        assert await store.scenarios.get(tenant, "refund-other") is None
        assert await store.scenarios.get(tenant + "-other", "refund") is None

    async def test_a_put_replaces_the_whole_document(self, store: Store, tenant: str) -> None:
        await store.scenarios.put(tenant, "w", b'{"workflow": "w", "scenarios": [1, 2, 3]}')
        await store.scenarios.put(tenant, "w", b"{}")
        kept = await store.scenarios.get(tenant, "w")
        assert kept is not None
        assert kept.data == b"{}"

    async def test_the_stores_clock_stamps_documents(self, store: Store, tenant: str) -> None:
        first, second = 5_000_000, 6_000_000
        ticks = iter([first, second])
        clocked = Store(store.backend, clock=lambda: next(ticks))  # the same backend, a fake clock
        assert (await clocked.scenarios.put(tenant, "w", b"{}")).updated_at == first
        kept = await store.scenarios.get(tenant, "w")
        assert kept is not None
        assert kept.updated_at == first
        await clocked.scenarios.put(tenant, "w", b"[]")
        again = await store.scenarios.get(tenant, "w")
        assert again is not None
        assert (again.data, again.updated_at) == (b"[]", second)

    async def test_bad_keys_and_oversized_documents_are_refused(
        self, store: Store, tenant: str
    ) -> None:
        for bad_tenant, bad_id in (("", "w"), ("a/b", "w"), (tenant, "a/b"), (tenant, "")):
            with pytest.raises(InvalidKeyError):
                await store.scenarios.put(bad_tenant, bad_id, b"{}")
            with pytest.raises(InvalidKeyError):
                await store.scenarios.get(bad_tenant, bad_id)
        with pytest.raises(InvalidKeyError, match="at most"):
            await store.scenarios.put(tenant, "w", b" " * (MAX_SCENARIO_BYTES + 1))
        assert await store.scenarios.get(tenant, "w") is None
