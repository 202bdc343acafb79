"""Load definition files into a store idempotently: change only what changed.

A file's definition becomes the SNAPSHOT when it differs from the stored one; a SNAPSHOT
that differs from ``LATEST`` is published; a workflow whose ``ACTIVE`` is not its newest
version is activated. Running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from drift_models import DefinitionFiles, NodeDefinition, WorkflowDefinition
from drift_store import DefinitionKind, DefinitionNotFoundError, DefinitionStore

__all__ = ["SeedReport", "seed_definitions"]


@dataclass
class SeedReport:
    """What loading changed.

    Attributes:
        written: ``kind id`` of definitions whose SNAPSHOT was written.
        published: ``kind id vN`` of versions published.
        activated: ``workflow id vN`` of activations.
        unchanged: how many definitions were already up to date.
    """

    written: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    activated: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{len(self.written)} written, {len(self.published)} published, "
            f"{len(self.activated)} activated, {self.unchanged} unchanged"
        )


def _same(a: NodeDefinition | WorkflowDefinition, b: NodeDefinition | WorkflowDefinition) -> bool:
    mine = msgspec.structs.replace(a, version="SNAPSHOT")
    theirs = msgspec.structs.replace(b, version="SNAPSHOT")
    return msgspec.json.encode(mine) == msgspec.json.encode(theirs)


async def seed_definitions(
    store: DefinitionStore, tenant: str, files: DefinitionFiles, *, activate: bool = True
) -> SeedReport:
    """Write, publish and activate what the files hold and the store does not."""
    report = SeedReport()
    documents: list[NodeDefinition | WorkflowDefinition] = [n for _, n in files.nodes]
    documents.extend(w for _, w in files.workflows)
    for definition in documents:
        kind = (
            DefinitionKind.WORKFLOW
            if isinstance(definition, WorkflowDefinition)
            else DefinitionKind.NODE
        )
        changed = False
        try:
            snapshot = await store.get(tenant, kind, definition.id, "SNAPSHOT")
        except DefinitionNotFoundError:
            snapshot = None
        if snapshot is None or not _same(snapshot.definition, definition):
            await store.put(tenant, msgspec.structs.replace(definition, version="SNAPSHOT"))
            report.written.append(f"{kind} {definition.id}")
            changed = True
        try:
            latest = await store.get(tenant, kind, definition.id, "LATEST")
        except DefinitionNotFoundError:
            latest = None
        if latest is None or not _same(latest.definition, definition):
            latest = await store.publish(tenant, kind, definition.id)
            report.published.append(f"{kind} {definition.id} v{latest.definition.version}")
            changed = True
        number = latest.definition.version
        if activate and kind is DefinitionKind.WORKFLOW and isinstance(number, int):
            pointers = await store.pointers(tenant, kind, definition.id)
            if pointers.active != number:
                await store.activate(tenant, kind, definition.id, number)
                report.activated.append(f"workflow {definition.id} v{number}")
                changed = True
        if not changed:
            report.unchanged += 1
    return report
