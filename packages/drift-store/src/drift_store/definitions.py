"""The definition store: SNAPSHOT drafts, numbered versions, LATEST and ACTIVE.

:class:`DefinitionStore` is what the API and the worker call. It checks keys, encodes
and decodes the DSL documents through a :class:`drift_models.NodeTypes` (so plugin node
types round-trip) and leaves the atomic steps to its backend. :class:`DefinitionReader`
(:mod:`drift_store.reader`) is the read half, which the cache implements too.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import cast

import msgspec

from drift_models import (
    DocumentError,
    NodeDefinition,
    NodeTypes,
    Pointer,
    WorkflowDefinition,
)
from drift_store._layout import check_definition_id, check_tenant
from drift_store.backend import DefinitionBackend, RawDefinition, RawPointers, WriteMode
from drift_store.errors import (
    DefinitionNotFoundError,
    InvalidDefinitionError,
    InvalidKeyError,
    UndecodableDefinitionError,
)
from drift_store.reader import check_version_ref, follow_pointer
from drift_store.records import (
    Definition,
    DefinitionKind,
    DefinitionSummary,
    Page,
    Pointers,
    StoredDefinition,
    VersionInfo,
)

__all__ = ["ChangeListener", "DefinitionStore"]

ChangeListener = Callable[[str, DefinitionKind, str], Awaitable[None]]
"""Called with ``(tenant, kind, id)`` after a publish, an activation or a rollback."""

_MAX_PAGE = 1000


class DefinitionStore:
    """Node and workflow definitions of every tenant, over one backend.

    Args:
        backend: the storage engine.
        node_types: the node types documents are decoded with (built-ins by default).
        clock: epoch milliseconds now (tests pass a fake one).
    """

    def __init__(
        self,
        backend: DefinitionBackend,
        node_types: NodeTypes | None = None,
        *,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self._backend = backend
        self._types = node_types if node_types is not None else NodeTypes()
        self._clock = clock or _epoch_millis
        self._listeners: list[ChangeListener] = []

    @property
    def node_types(self) -> NodeTypes:
        """The node types stored documents are decoded with."""
        return self._types

    def add_listener(self, listener: ChangeListener) -> None:
        """Call ``listener`` after every publish, activation and rollback through this store."""
        self._listeners.append(listener)

    def remove_listener(self, listener: ChangeListener) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    # -- writes --------------------------------------------------------------------------

    async def create(self, tenant: str, definition: Definition) -> StoredDefinition[Definition]:
        """Store a new definition as its SNAPSHOT.

        Raises:
            AlreadyExistsError: when the tenant already has a definition with this id.
            InvalidDefinitionError: when ``definition.version`` is not ``SNAPSHOT``.
        """
        return await self._write(tenant, definition, WriteMode.CREATE)

    async def update(self, tenant: str, definition: Definition) -> StoredDefinition[Definition]:
        """Replace the SNAPSHOT of an existing definition (published versions never change).

        Raises:
            DefinitionNotFoundError: when the definition does not exist.
            InvalidDefinitionError: when ``definition.version`` is not ``SNAPSHOT``.
        """
        return await self._write(tenant, definition, WriteMode.UPDATE)

    async def put(self, tenant: str, definition: Definition) -> StoredDefinition[Definition]:
        """Create the definition or replace its SNAPSHOT (``drift apply`` of a file)."""
        return await self._write(tenant, definition, WriteMode.UPSERT)

    async def publish(
        self, tenant: str, kind: DefinitionKind, definition_id: str
    ) -> StoredDefinition[Definition]:
        """Freeze the SNAPSHOT as the next number and move LATEST to it.

        Concurrent publishes never receive the same number. The stored document's
        ``version`` is the new number.

        Raises:
            DefinitionNotFoundError: when the definition does not exist.
        """
        check_tenant(tenant)
        check_definition_id(definition_id)

        def stamp(snapshot: bytes, number: int) -> bytes:
            document = self._decode(kind, snapshot, tenant, definition_id, None)
            return msgspec.json.encode(msgspec.structs.replace(document, version=number))

        raw = await self._backend.publish(tenant, kind, definition_id, stamp, now=self._clock())
        await self._notify(tenant, kind, definition_id)
        return self._stored(tenant, kind, definition_id, raw)

    async def activate(
        self, tenant: str, kind: DefinitionKind, definition_id: str, version: int
    ) -> Pointers:
        """Point ACTIVE at a published number (a rollback is an activation of an older one).

        Raises:
            DefinitionNotFoundError: when that number is not published.
        """
        check_tenant(tenant)
        check_definition_id(definition_id)
        if check_version_ref(version) != version or not isinstance(version, int):
            msg = f"only a published number can be activated, not {version!r}"
            raise InvalidKeyError(msg)
        raw = await self._backend.activate(tenant, kind, definition_id, version, now=self._clock())
        await self._notify(tenant, kind, definition_id)
        return _pointers(raw)

    async def rollback(self, tenant: str, kind: DefinitionKind, definition_id: str) -> Pointers:
        """Point ACTIVE back at the version that was active before the current one.

        Raises:
            DefinitionNotFoundError: when there is no earlier activation.
        """
        check_tenant(tenant)
        check_definition_id(definition_id)
        raw = await self._backend.activate(tenant, kind, definition_id, None, now=self._clock())
        await self._notify(tenant, kind, definition_id)
        return _pointers(raw)

    # -- reads ---------------------------------------------------------------------------

    async def get(
        self,
        tenant: str,
        kind: DefinitionKind,
        definition_id: str,
        version: int | Pointer = "LATEST",
    ) -> StoredDefinition[Definition]:
        """One version of a definition; LATEST and ACTIVE are resolved to their number.

        Raises:
            DefinitionNotFoundError: naming what is missing.
        """
        number = await self.resolve(tenant, kind, definition_id, version)
        return await self.get_exact(tenant, kind, definition_id, number)

    async def get_exact(
        self, tenant: str, kind: DefinitionKind, definition_id: str, version: int | None
    ) -> StoredDefinition[Definition]:
        """One stored version by number (``None``: the SNAPSHOT), without pointer lookups.

        Raises:
            DefinitionNotFoundError: when that version is not stored.
        """
        check_tenant(tenant)
        check_definition_id(definition_id)
        raw = await self._backend.read(tenant, kind, definition_id, version)
        if raw is None:
            shown = "SNAPSHOT" if version is None else version
            msg = f"{kind} {definition_id!r} of tenant {tenant!r} has no version {shown}"
            raise DefinitionNotFoundError(
                msg, tenant=tenant, kind=str(kind), definition_id=definition_id, version=shown
            )
        return self._stored(tenant, kind, definition_id, raw)

    async def get_node(
        self, tenant: str, definition_id: str, version: int | Pointer = "LATEST"
    ) -> StoredDefinition[NodeDefinition]:
        """:meth:`get` for a node definition."""
        stored = await self.get(tenant, DefinitionKind.NODE, definition_id, version)
        return cast("StoredDefinition[NodeDefinition]", stored)

    async def get_workflow(
        self, tenant: str, definition_id: str, version: int | Pointer = "LATEST"
    ) -> StoredDefinition[WorkflowDefinition]:
        """:meth:`get` for a workflow definition."""
        stored = await self.get(tenant, DefinitionKind.WORKFLOW, definition_id, version)
        return cast("StoredDefinition[WorkflowDefinition]", stored)

    async def resolve(
        self, tenant: str, kind: DefinitionKind, definition_id: str, version: int | Pointer
    ) -> int | None:
        """The concrete number a version reference names (``None``: the SNAPSHOT).

        A number is returned as it is (whether it exists is checked on read).

        Raises:
            DefinitionNotFoundError: when the definition is unknown or the pointer unset.
        """
        check_tenant(tenant)
        check_definition_id(definition_id)
        ref = check_version_ref(version)
        if isinstance(ref, int):
            return ref
        if ref == "SNAPSHOT":
            return None
        pointers = await self.pointers(tenant, kind, definition_id)
        return follow_pointer(pointers, ref, tenant, kind, definition_id)

    async def pointers(self, tenant: str, kind: DefinitionKind, definition_id: str) -> Pointers:
        """Where LATEST and ACTIVE point, with the earlier activations.

        Raises:
            DefinitionNotFoundError: when the definition does not exist.
        """
        check_tenant(tenant)
        check_definition_id(definition_id)
        raw = await self._backend.read_pointers(tenant, kind, definition_id)
        if raw is None:
            msg = f"tenant {tenant!r} has no {kind} definition {definition_id!r}"
            raise DefinitionNotFoundError(
                msg, tenant=tenant, kind=str(kind), definition_id=definition_id
            )
        return _pointers(raw)

    async def history(
        self, tenant: str, kind: DefinitionKind, definition_id: str
    ) -> list[VersionInfo]:
        """Every published version, oldest first, marked LATEST / ACTIVE.

        Raises:
            DefinitionNotFoundError: when the definition does not exist.
        """
        pointers = await self.pointers(tenant, kind, definition_id)
        versions = await self._backend.list_versions(tenant, kind, definition_id)
        return [
            VersionInfo(
                version=number,
                published_at=published_at,
                is_latest=number == pointers.latest,
                is_active=number == pointers.active,
            )
            for number, published_at in versions
        ]

    async def list(
        self, tenant: str, kind: DefinitionKind, *, after: str | None = None, limit: int = 50
    ) -> Page[DefinitionSummary]:
        """One page of a tenant's definitions of one kind, ordered by id.

        Args:
            tenant: whose definitions.
            kind: node or workflow.
            after: the ``next_cursor`` of the previous page (``None``: the first page).
            limit: at most this many items (1-1000).
        """
        check_tenant(tenant)
        if after is not None:
            check_definition_id(after)
        if not 1 <= limit <= _MAX_PAGE:
            msg = f"limit {limit} is out of range: a page holds 1-{_MAX_PAGE} items"
            raise InvalidKeyError(msg)
        rows = await self._backend.list_definitions(tenant, kind, after=after, limit=limit + 1)
        items = [
            DefinitionSummary(
                id=row.definition_id,
                kind=kind,
                latest=row.latest,
                active=row.active,
                updated_at=row.updated_at,
            )
            for row in rows[:limit]
        ]
        cursor = items[-1].id if len(rows) > limit else None
        return Page(items=items, next_cursor=cursor)

    # -- helpers -------------------------------------------------------------------------

    async def _write(
        self, tenant: str, definition: Definition, mode: WriteMode
    ) -> StoredDefinition[Definition]:
        check_tenant(tenant)
        kind = DefinitionKind.of(definition)
        check_definition_id(definition.id)
        if definition.version != "SNAPSHOT":
            msg = (
                f"{kind} {definition.id!r} has version {definition.version!r}: definitions "
                "are written as their SNAPSHOT; publish to make a numbered version"
            )
            raise InvalidDefinitionError(msg)
        now = self._clock()
        data = msgspec.json.encode(definition)
        await self._backend.write_snapshot(tenant, kind, definition.id, data, mode=mode, now=now)
        return StoredDefinition(tenant=tenant, kind=kind, definition=definition, updated_at=now)

    def _stored(
        self, tenant: str, kind: DefinitionKind, definition_id: str, raw: RawDefinition
    ) -> StoredDefinition[Definition]:
        document = self._decode(kind, raw.data, tenant, definition_id, raw.version)
        return StoredDefinition(
            tenant=tenant, kind=kind, definition=document, updated_at=raw.updated_at
        )

    def _decode(
        self,
        kind: DefinitionKind,
        data: bytes,
        tenant: str,
        definition_id: str,
        version: int | None,
    ) -> Definition:
        try:
            if kind is DefinitionKind.NODE:
                return self._types.decode_node(data)
            return self._types.decode_workflow(data)
        except DocumentError as error:
            shown = "SNAPSHOT" if version is None else version
            msg = (
                f"stored {kind} {definition_id!r} version {shown} of tenant {tenant!r} cannot "
                "be decoded (is the plugin of its node type installed here?)"
            )
            raise UndecodableDefinitionError(msg, error) from None

    async def _notify(self, tenant: str, kind: DefinitionKind, definition_id: str) -> None:
        for listener in list(self._listeners):
            await listener(tenant, kind, definition_id)


def _pointers(raw: RawPointers) -> Pointers:
    return Pointers(latest=raw.latest, active=raw.active, previously_active=raw.previously_active)


def _epoch_millis() -> int:
    return time.time_ns() // 1_000_000
