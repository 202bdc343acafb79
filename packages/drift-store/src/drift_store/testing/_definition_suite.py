"""The definition half of the conformance suite."""

# A test suite shipped as code: plain asserts and literal expectations are its language.
# ruff: noqa: S101, PLR2004

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from drift_models import NodeDefinition, NodeTypes, define_node_type
from drift_store import (
    AlreadyExistsError,
    DefinitionKind,
    DefinitionNotFoundError,
    DefinitionStore,
    InvalidDefinitionError,
    InvalidKeyError,
    Store,
    UndecodableDefinitionError,
)
from drift_store.testing._samples import new_tenant, script_node, workflow

NODE = DefinitionKind.NODE
WORKFLOW = DefinitionKind.WORKFLOW


class _SlackConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    channel: str
    text: str


_SLACK = define_node_type("acme.SLACK", _SlackConfig)


class DefinitionConformance:
    """Definitions: SNAPSHOT, publish, pointers, history, listing, tenancy."""

    async def test_a_created_snapshot_reads_back(self, store: Store, tenant: str) -> None:
        node = script_node(description="adds")
        stored = await store.definitions.create(tenant, node)
        assert stored.version == "SNAPSHOT"
        read = await store.definitions.get_node(tenant, "compute", "SNAPSHOT")
        assert read.definition == node
        assert read.kind is NODE
        assert read.updated_at == stored.updated_at
        flow = workflow()
        await store.definitions.create(tenant, flow)
        assert (await store.definitions.get_workflow(tenant, "flow", "SNAPSHOT")).definition == flow

    async def test_create_twice_conflicts_and_update_needs_the_definition(
        self, store: Store, tenant: str
    ) -> None:
        await store.definitions.create(tenant, script_node())
        with pytest.raises(AlreadyExistsError, match="compute"):
            await store.definitions.create(tenant, script_node(script="2"))
        with pytest.raises(DefinitionNotFoundError, match="missing"):
            await store.definitions.update(tenant, script_node("missing"))
        await store.definitions.update(tenant, script_node(script="3"))
        read = await store.definitions.get_node(tenant, "compute", "SNAPSHOT")
        assert msgspec.to_builtins(read.definition)["config"]["script"] == "3"
        await store.definitions.put(tenant, script_node("fresh"))
        await store.definitions.put(tenant, script_node("fresh", script="4"))
        fresh = await store.definitions.get_node(tenant, "fresh", "SNAPSHOT")
        assert msgspec.to_builtins(fresh.definition)["config"]["script"] == "4"

    async def test_only_the_snapshot_is_written(self, store: Store, tenant: str) -> None:
        numbered = msgspec.structs.replace(script_node(), version=3)
        with pytest.raises(InvalidDefinitionError, match="SNAPSHOT"):
            await store.definitions.create(tenant, numbered)

    async def test_nodes_and_workflows_are_apart(self, store: Store, tenant: str) -> None:
        await store.definitions.create(tenant, script_node("same"))
        with pytest.raises(DefinitionNotFoundError):
            await store.definitions.get_workflow(tenant, "same", "SNAPSHOT")
        await store.definitions.create(tenant, workflow("same"))
        assert (await store.definitions.get_workflow(tenant, "same", "SNAPSHOT")).kind is WORKFLOW

    async def test_publish_freezes_numbered_versions(self, store: Store, tenant: str) -> None:
        defs = store.definitions
        await defs.create(tenant, script_node(script="1"))
        with pytest.raises(DefinitionNotFoundError, match="LATEST"):
            await defs.get_node(tenant, "compute")
        first = await defs.publish(tenant, NODE, "compute")
        assert first.version == 1
        assert first.definition.version == 1
        await defs.update(tenant, script_node(script="2"))
        second = await defs.publish(tenant, NODE, "compute")
        assert second.version == 2
        one = await defs.get_node(tenant, "compute", 1)
        assert msgspec.to_builtins(one.definition)["config"]["script"] == "1"
        assert one.definition.version == 1
        latest = await defs.get_node(tenant, "compute", "LATEST")
        assert latest.version == 2
        assert msgspec.to_builtins(latest.definition)["config"]["script"] == "2"
        snapshot = await defs.get_node(tenant, "compute", "SNAPSHOT")
        assert snapshot.version == "SNAPSHOT"
        with pytest.raises(DefinitionNotFoundError, match="no version 3"):
            await defs.get_node(tenant, "compute", 3)
        with pytest.raises(DefinitionNotFoundError):
            await defs.publish(tenant, NODE, "unknown")

    async def test_twenty_concurrent_publishes_get_twenty_numbers(
        self, store: Store, tenant: str
    ) -> None:
        await store.definitions.create(tenant, workflow())
        published = await asyncio.gather(
            *(store.definitions.publish(tenant, WORKFLOW, "flow") for _ in range(20))
        )
        numbers = sorted(int(p.version) for p in published)
        assert len(set(numbers)) == 20
        pointers = await store.definitions.pointers(tenant, WORKFLOW, "flow")
        assert pointers.latest == numbers[-1]
        history = await store.definitions.history(tenant, WORKFLOW, "flow")
        assert [v.version for v in history] == numbers
        for number in numbers:
            stored = await store.definitions.get_workflow(tenant, "flow", number)
            assert stored.definition.version == number

    async def test_activate_and_roll_back(self, store: Store, tenant: str) -> None:
        defs = store.definitions
        await defs.create(tenant, workflow())
        with pytest.raises(DefinitionNotFoundError, match="publish"):
            await defs.activate(tenant, WORKFLOW, "flow", 1)
        for comment in ("one", "two", "three"):
            await defs.update(tenant, workflow(comment=comment))
            await defs.publish(tenant, WORKFLOW, "flow")
        with pytest.raises(DefinitionNotFoundError, match="ACTIVE"):
            await defs.get_workflow(tenant, "flow", "ACTIVE")
        with pytest.raises(DefinitionNotFoundError, match="roll back"):
            await defs.rollback(tenant, WORKFLOW, "flow")
        assert (await defs.activate(tenant, WORKFLOW, "flow", 2)).active == 2
        assert (await defs.get_workflow(tenant, "flow", "ACTIVE")).definition.comment == "two"
        pointers = await defs.activate(tenant, WORKFLOW, "flow", 3)
        assert (pointers.latest, pointers.active, pointers.previously_active) == (3, 3, (2,))
        await defs.activate(tenant, WORKFLOW, "flow", 1)
        assert (await defs.rollback(tenant, WORKFLOW, "flow")).active == 3
        assert (await defs.rollback(tenant, WORKFLOW, "flow")).active == 2
        assert (await defs.get_workflow(tenant, "flow", "ACTIVE")).version == 2
        with pytest.raises(DefinitionNotFoundError, match="no published version 9"):
            await defs.activate(tenant, WORKFLOW, "flow", 9)
        history = await defs.history(tenant, WORKFLOW, "flow")
        assert [(v.version, v.is_latest, v.is_active) for v in history] == [
            (1, False, False),
            (2, False, True),
            (3, True, False),
        ]
        assert history[0].published_at <= history[2].published_at

    async def test_listing_pages_are_stable(self, store: Store, tenant: str) -> None:
        ids = [f"node-{i:02d}" for i in range(0, 14, 2)]
        for definition_id in ids:
            await store.definitions.create(tenant, script_node(definition_id))
        await store.definitions.create(tenant, workflow("not-a-node"))
        seen: list[str] = []
        page = await store.definitions.list(tenant, NODE, limit=3)
        seen += [s.id for s in page.items]
        # A definition created between pages, before the cursor, shifts nothing.
        await store.definitions.create(tenant, script_node("node-01"))
        while page.next_cursor is not None:
            page = await store.definitions.list(tenant, NODE, after=page.next_cursor, limit=3)
            assert len(page.items) <= 3
            seen += [s.id for s in page.items]
        assert seen == ids
        everything = await store.definitions.list(tenant, NODE, limit=100)
        assert [s.id for s in everything.items] == sorted([*ids, "node-01"])
        assert everything.next_cursor is None
        with pytest.raises(InvalidKeyError, match="limit"):
            await store.definitions.list(tenant, NODE, limit=0)

    async def test_listing_shows_pointers(self, store: Store, tenant: str) -> None:
        await store.definitions.create(tenant, script_node())
        await store.definitions.publish(tenant, NODE, "compute")
        await store.definitions.activate(tenant, NODE, "compute", 1)
        (summary,) = (await store.definitions.list(tenant, NODE)).items
        assert (summary.id, summary.latest, summary.active) == ("compute", 1, 1)
        assert summary.updated_at > 0

    async def test_unicode_ids_and_values(self, store: Store, tenant: str) -> None:
        node = script_node(
            "überprüfung-数据", name="Prüfe 数据 ✓ 🚀", script="'naïve — ☃'", description="ÆØÅ"
        )
        await store.definitions.create(tenant, node)
        await store.definitions.publish(tenant, NODE, "überprüfung-数据")
        read = await store.definitions.get_node(tenant, "überprüfung-数据")
        assert read.definition.name == "Prüfe 数据 ✓ 🚀"
        assert msgspec.to_builtins(read.definition)["config"]["script"] == "'naïve — ☃'"
        unicode_tenant = new_tenant("мандант")
        await store.definitions.create(unicode_tenant, node)
        listed = await store.definitions.list(unicode_tenant, NODE)
        assert [s.id for s in listed.items] == ["überprüfung-数据"]

    async def test_a_tenant_never_sees_another_tenants_definitions(
        self, store: Store, tenant: str
    ) -> None:
        other = f"{tenant}-eu"  # shares a prefix with the tenant on purpose
        await store.definitions.create(tenant, script_node())
        await store.definitions.publish(tenant, NODE, "compute")
        with pytest.raises(DefinitionNotFoundError):
            await store.definitions.get_node(other, "compute", "SNAPSHOT")
        with pytest.raises(DefinitionNotFoundError):
            await store.definitions.get_node(other, "compute", 1)
        with pytest.raises(DefinitionNotFoundError):
            await store.definitions.history(other, NODE, "compute")
        with pytest.raises(DefinitionNotFoundError):
            await store.definitions.publish(other, NODE, "compute")
        assert (await store.definitions.list(other, NODE)).items == []
        await store.definitions.create(other, script_node(script="'other'"))
        mine = await store.definitions.get_node(tenant, "compute", "SNAPSHOT")
        assert msgspec.to_builtins(mine.definition)["config"]["script"] == "1 + 1"

    async def test_keys_are_checked(self, store: Store, tenant: str) -> None:
        for bad_tenant in ("", "a/b", "x" * 129, "line\n"):
            with pytest.raises(InvalidKeyError, match="tenant"):
                await store.definitions.create(bad_tenant, script_node())
        with pytest.raises(InvalidKeyError, match="definition id"):
            await store.definitions.get_node(tenant, "no/slash")
        with pytest.raises(InvalidKeyError, match="version"):
            await store.definitions.get_node(tenant, "compute", 0)
        with pytest.raises(InvalidKeyError, match="version"):
            await store.definitions.get_node(tenant, "compute", "NEWEST")  # type: ignore[arg-type]

    async def test_plugin_node_types_round_trip(self, store: Store, tenant: str) -> None:
        types = NodeTypes()
        types.register(_SLACK, source="acme-nodes")
        definitions = DefinitionStore(store.backend.definitions, types)
        document: dict[str, Any] = {
            "type": "acme.SLACK",
            "id": "notify",
            "name": "Notify",
            "config": {"channel": "#ops", "text": "hi"},
        }
        node: NodeDefinition = types.convert_node(document)
        await definitions.create(tenant, node)
        published = await definitions.publish(tenant, NODE, "notify")
        assert published.version == 1
        read = await definitions.get_node(tenant, "notify", 1)
        assert isinstance(read.definition, _SLACK)
        assert read.definition == msgspec.structs.replace(node, version=1)
        # A process without the plugin says so instead of returning half a document.
        with pytest.raises(UndecodableDefinitionError, match="plugin"):
            await store.definitions.get_node(tenant, "notify", 1)
