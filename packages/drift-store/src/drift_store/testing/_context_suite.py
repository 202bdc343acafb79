"""The context half of the conformance suite."""

# A test suite shipped as code: plain asserts and literal expectations are its language.
# ruff: noqa: S101, PLR2004, FBT003

from __future__ import annotations

import asyncio

import pytest

from drift_models import RunStatus
from drift_store import (
    AlreadyExistsError,
    InvalidKeyError,
    RevisionConflict,
    RunNotFoundError,
    Store,
)
from drift_store.testing._samples import big_context, context, encoded_size


class ContextConformance:
    """Run contexts: create, read, compare-and-set updates, size, unicode, tenancy."""

    async def test_a_created_context_reads_back(self, store: Store, tenant: str) -> None:
        created = await store.contexts.create(
            tenant,
            "run-1",
            context(orderId="o-1"),
            current_node="lookup",
            status=RunStatus.RUNNING,
            workflow_id="refund",
            workflow_version=3,
        )
        assert created.revision == 1
        assert created.created_at == created.updated_at > 0
        read = await store.contexts.get(tenant, "run-1")
        assert read == created
        assert read is not None
        assert read.context.params == {"orderId": "o-1"}
        assert read.context.enum_store == {"region": "eu"}
        assert (read.current_node, read.status) == ("lookup", RunStatus.RUNNING)
        assert (read.workflow_id, read.workflow_version) == ("refund", 3)
        assert await store.contexts.get(tenant, "run-2") is None
        with pytest.raises(RunNotFoundError, match="run-2"):
            await store.contexts.require(tenant, "run-2")

    async def test_create_twice_conflicts(self, store: Store, tenant: str) -> None:
        await store.contexts.create(tenant, "run-1", context(n=1))
        with pytest.raises(AlreadyExistsError, match="run-1"):
            await store.contexts.create(tenant, "run-1", context(n=2))
        read = await store.contexts.require(tenant, "run-1")
        assert read.context.params == {"n": 1}

    async def test_updates_move_the_revision(self, store: Store, tenant: str) -> None:
        created = await store.contexts.create(tenant, "run-1", context(n=0), current_node="a")
        assert created.status is RunStatus.CREATED
        updated_context = context(n=0)
        updated_context.set_output("a", {"ok": True})
        first = await store.contexts.update(
            tenant,
            "run-1",
            expected_revision=1,
            context=updated_context,
            current_node="b",
            status=RunStatus.WAITING,
        )
        assert (first.revision, first.current_node, first.status) == (2, "b", RunStatus.WAITING)
        assert first.created_at == created.created_at
        assert first.updated_at >= created.updated_at
        # Fields left out keep their values; None clears the current node.
        second = await store.contexts.update(
            tenant, "run-1", expected_revision=2, status=RunStatus.COMPLETED, current_node=None
        )
        assert second.revision == 3
        assert second.context.output("a") == {"ok": True}
        read = await store.contexts.require(tenant, "run-1")
        assert read == second
        assert read.current_node is None
        assert read.status is RunStatus.COMPLETED

    async def test_a_stale_revision_is_a_conflict(self, store: Store, tenant: str) -> None:
        await store.contexts.create(tenant, "run-1", context())
        await store.contexts.update(tenant, "run-1", expected_revision=1, current_node="b")
        with pytest.raises(RevisionConflict, match="revision 2") as caught:
            await store.contexts.update(tenant, "run-1", expected_revision=1, current_node="c")
        assert (caught.value.expected, caught.value.actual) == (1, 2)
        assert (await store.contexts.require(tenant, "run-1")).current_node == "b"
        with pytest.raises(RunNotFoundError):
            await store.contexts.update(tenant, "missing", expected_revision=1, current_node="x")

    async def test_concurrent_writers_never_lose_a_write(self, store: Store, tenant: str) -> None:
        await store.contexts.create(tenant, "race", context(), status=RunStatus.RUNNING)
        # Ten writers based on the same revision: exactly one wins, nine get a conflict.
        results = await asyncio.gather(
            *(
                store.contexts.update(
                    tenant, "race", expected_revision=1, current_node=f"writer-{i}"
                )
                for i in range(10)
            ),
            return_exceptions=True,
        )
        winners = [r for r in results if not isinstance(r, BaseException)]
        assert len(winners) == 1
        assert all(isinstance(r, RevisionConflict) for r in results if r not in winners)
        stored = await store.contexts.require(tenant, "race")
        assert stored.current_node == winners[0].current_node
        assert stored.revision == 2

        # Writers that re-read on conflict and retry: every increment survives.
        async def increment(writer: int) -> None:
            while True:
                current = await store.contexts.require(tenant, "race")
                document = current.context
                document.set_output("counter", (document.output("counter") or 0) + 1)
                document.set_output(f"writer-{writer}", True)
                try:
                    await store.contexts.update(
                        tenant, "race", expected_revision=current.revision, context=document
                    )
                except RevisionConflict:
                    continue
                return

        await asyncio.gather(*(increment(i) for i in range(8)))
        final = await store.contexts.require(tenant, "race")
        assert final.context.output("counter") == 8
        assert all(final.context.output(f"writer-{i}") for i in range(8))
        assert final.revision == 2 + 8

    async def test_a_five_megabyte_context_round_trips(self, store: Store, tenant: str) -> None:
        big = big_context(5)
        assert encoded_size(big) >= 5_000_000
        await store.contexts.create(tenant, "big", big)
        read = await store.contexts.require(tenant, "big")
        assert read.context == big
        big.set_output("after", "more")
        updated = await store.contexts.update(tenant, "big", expected_revision=1, context=big)
        assert (await store.contexts.require(tenant, "big")).context == updated.context == big

    async def test_unicode_run_ids_and_values(self, store: Store, tenant: str) -> None:
        run_id = "läuft/数据 #1 ✓"
        document = context(name="Zoë", city="東京", emoji="🚀", rtl="مرحبا")
        document.set_output("ask:viewResponse", {"selectedOptions": {"größe": ["XL ☃"]}})
        await store.contexts.create(tenant, run_id, document, current_node="ask—ü")
        read = await store.contexts.require(tenant, run_id)
        assert read.context == document
        assert read.current_node == "ask—ü"
        assert read.run_id == run_id

    async def test_a_tenant_never_sees_another_tenants_runs(
        self, store: Store, tenant: str
    ) -> None:
        other = f"{tenant}-eu"
        await store.contexts.create(tenant, "run-1", context(owner="a"))
        assert await store.contexts.get(other, "run-1") is None
        with pytest.raises(RunNotFoundError):
            await store.contexts.update(other, "run-1", expected_revision=1, current_node="x")
        await store.contexts.create(other, "run-1", context(owner="b"))
        mine = await store.contexts.require(tenant, "run-1")
        theirs = await store.contexts.require(other, "run-1")
        assert (mine.context.params, theirs.context.params) == ({"owner": "a"}, {"owner": "b"})

    async def test_keys_and_statuses_are_checked(self, store: Store, tenant: str) -> None:
        with pytest.raises(InvalidKeyError, match="run id"):
            await store.contexts.create(tenant, "", context())
        with pytest.raises(InvalidKeyError, match="tenant"):
            await store.contexts.get("a/b", "run-1")
        with pytest.raises(InvalidKeyError, match="status"):
            await store.contexts.create(tenant, "r", context(), status="DONE")  # type: ignore[arg-type]
        assert await store.contexts.get(tenant, "r") is None
