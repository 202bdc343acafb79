"""Definitions in HBase: versions, pointers and the version counter.

Version rows live in ``WorkflowHB`` / ``NodeHB``; pointers and the counter in
``DefinitionPointerHB``.

A publish takes its number from an HBase atomic counter (``atomicIncrement`` on the
pointer row), so concurrent publishes — from any number of processes — never share a
number; it writes the version row, then moves ``latest`` forward with check-and-put.
``active`` holds the ACTIVE number followed by the earlier activations (``"3,2,1"``) in
one cell, so an activation is one check-and-put.
"""

from __future__ import annotations

from drift_store._hbase_client import Cells, HBaseClient, prefix_stop
from drift_store._layout import (
    DEFINITION_TABLES,
    POINTER_TABLE,
    definition_key,
    definition_prefix,
    definition_row,
    format_history,
    parse_history,
    parse_version,
    pointer_prefix,
    pointer_row,
)
from drift_store.backend import (
    RawDefinition,
    RawPointers,
    RawSummary,
    Stamp,
    WriteMode,
    next_activation,
)
from drift_store.errors import AlreadyExistsError, DefinitionNotFoundError
from drift_store.records import DefinitionKind

_POINTER_CELLS = ("definitionId", "latest", "active", "updatedAt")
_MAX_VERSIONS = 100_000


def _int(cells: Cells, qualifier: str) -> int | None:
    value = cells.get(qualifier)
    return int(value) if value else None


def _text(number: int) -> bytes:
    return str(number).encode()


def _pointers(cells: Cells) -> RawPointers:
    active_cell = cells.get("active", b"").decode()
    active, _, history = active_cell.partition(",")
    return RawPointers(
        latest=_int(cells, "latest"),
        active=int(active) if active else None,
        previously_active=parse_history(history),
        updated_at=_int(cells, "updatedAt") or 0,
    )


class HBaseDefinitions:
    """The :class:`~drift_store.backend.DefinitionBackend` on HBase."""

    def __init__(self, client: HBaseClient) -> None:
        self._client = client

    async def write_snapshot(
        self,
        tenant: str,
        kind: DefinitionKind,
        definition_id: str,
        data: bytes,
        *,
        mode: WriteMode,
        now: int,
    ) -> bool:
        """Store the SNAPSHOT (see the protocol)."""
        pointer = pointer_row(tenant, kind, definition_id)
        if mode is WriteMode.UPDATE:
            if await self.read_pointers(tenant, kind, definition_id) is None:
                raise _unknown(tenant, kind, definition_id)
            created = False
        else:
            # Claiming the id is one atomic step: only one of two concurrent creates wins.
            created = await self._client.check_and_put(
                POINTER_TABLE, pointer, "definitionId", None, definition_id.encode()
            )
            if not created and mode is WriteMode.CREATE:
                msg = f"tenant {tenant!r} already has a {kind} definition {definition_id!r}"
                raise AlreadyExistsError(msg)
        await self._put_version(
            tenant=tenant,
            kind=kind,
            definition_id=definition_id,
            version=None,
            data=data,
            now=now,
        )
        cells: dict[str, bytes | None] = {"updatedAt": _text(now)}
        if created:
            cells |= {"tenant": tenant.encode(), "kind": kind.value.encode(),
                      "createdAt": _text(now)}  # fmt: skip
        await self._client.put(POINTER_TABLE, pointer, cells)
        return created

    async def read(
        self, tenant: str, kind: DefinitionKind, definition_id: str, version: int | None
    ) -> RawDefinition | None:
        """One stored version (see the protocol)."""
        table = DEFINITION_TABLES[kind]
        cells = await self._client.get(
            table.name, definition_row(tenant, definition_id, version),
            (table.data_qualifier, "updatedAt"),
        )  # fmt: skip
        if cells is None or table.data_qualifier not in cells:
            return None
        return RawDefinition(
            version=version,
            data=cells[table.data_qualifier],
            updated_at=_int(cells, "updatedAt") or 0,
        )

    async def read_pointers(
        self, tenant: str, kind: DefinitionKind, definition_id: str
    ) -> RawPointers | None:
        """The pointer row (see the protocol)."""
        cells = await self._client.get(
            POINTER_TABLE, pointer_row(tenant, kind, definition_id), _POINTER_CELLS
        )
        if cells is None or "definitionId" not in cells:
            return None
        return _pointers(cells)

    async def publish(
        self, tenant: str, kind: DefinitionKind, definition_id: str, stamp: Stamp, *, now: int
    ) -> RawDefinition:
        """Freeze the SNAPSHOT as the next number (see the protocol)."""
        snapshot = await self.read(tenant, kind, definition_id, None)
        if snapshot is None:
            raise _unknown(tenant, kind, definition_id)
        pointer = pointer_row(tenant, kind, definition_id)
        number = await self._client.increment(POINTER_TABLE, pointer, "counter")
        data = stamp(snapshot.data, number)
        # The version row exists before LATEST can point at it.
        await self._put_version(
            tenant=tenant,
            kind=kind,
            definition_id=definition_id,
            version=number,
            data=data,
            now=now,
        )
        while True:
            cells = await self._client.get(POINTER_TABLE, pointer, ("latest",)) or {}
            current = cells.get("latest")
            if current is not None and int(current) >= number:
                break  # a later publish already moved LATEST past this one
            if await self._client.check_and_put(
                POINTER_TABLE, pointer, "latest", current, _text(number)
            ):
                break
        await self._client.put(POINTER_TABLE, pointer, {"updatedAt": _text(now)})
        return RawDefinition(version=number, data=data, updated_at=now)

    async def activate(
        self,
        tenant: str,
        kind: DefinitionKind,
        definition_id: str,
        version: int | None,
        *,
        now: int,
    ) -> RawPointers:
        """Move ACTIVE with check-and-put on its cell (see the protocol)."""
        pointer = pointer_row(tenant, kind, definition_id)
        if version is not None and await self.read(tenant, kind, definition_id, version) is None:
            current = await self.read_pointers(tenant, kind, definition_id)
            if current is None:
                raise _unknown(tenant, kind, definition_id)
            # Beyond LATEST: next_activation says so; below it, a number lost to a crash.
            next_activation(current, version, tenant=tenant, kind=kind,
                            definition_id=definition_id)  # fmt: skip
            raise _unknown(tenant, kind, definition_id, version)
        while True:
            cells = await self._client.get(POINTER_TABLE, pointer, _POINTER_CELLS)
            if cells is None or "definitionId" not in cells:
                raise _unknown(tenant, kind, definition_id)
            current = _pointers(cells)
            active, history = next_activation(
                current, version, tenant=tenant, kind=kind, definition_id=definition_id
            )
            cell = ",".join(filter(None, (str(active), format_history(history)))).encode()
            if await self._client.check_and_put(
                POINTER_TABLE, pointer, "active", cells.get("active"), cell
            ):
                break
        await self._client.put(POINTER_TABLE, pointer, {"updatedAt": _text(now)})
        return RawPointers(
            latest=current.latest, active=active, previously_active=history, updated_at=now
        )

    async def list_definitions(
        self, tenant: str, kind: DefinitionKind, *, after: str | None, limit: int
    ) -> list[RawSummary]:
        """A page of definitions ordered by id: a scan of the pointer rows."""
        prefix = pointer_prefix(tenant, kind).encode()
        start = prefix + after.encode() + b"\x00" if after is not None else prefix
        rows = await self._client.scan(
            POINTER_TABLE, start=start, stop=prefix_stop(prefix), qualifiers=_POINTER_CELLS,
            limit=limit,
        )  # fmt: skip
        summaries = []
        for _, cells in rows:
            if "definitionId" not in cells:
                continue
            pointers = _pointers(cells)
            summaries.append(
                RawSummary(
                    definition_id=cells["definitionId"].decode(),
                    latest=pointers.latest,
                    active=pointers.active,
                    updated_at=pointers.updated_at,
                )
            )
        return summaries

    async def list_versions(
        self, tenant: str, kind: DefinitionKind, definition_id: str
    ) -> list[tuple[int, int]]:
        """Published numbers with their times: a scan of ``{tenant}/{id}_``."""
        table = DEFINITION_TABLES[kind]
        prefix = definition_prefix(tenant, definition_id).encode()
        rows = await self._client.scan(
            table.name, start=prefix, stop=prefix_stop(prefix), qualifiers=("updatedAt",),
            limit=_MAX_VERSIONS,
        )  # fmt: skip
        versions = []
        for key, cells in rows:
            number = parse_version(key, definition_id)
            if isinstance(number, int) and not isinstance(number, bool):
                versions.append((number, _int(cells, "updatedAt") or 0))
        return sorted(versions)

    async def _put_version(
        self,
        *,
        tenant: str,
        kind: DefinitionKind,
        definition_id: str,
        version: int | None,
        data: bytes,
        now: int,
    ) -> None:
        table = DEFINITION_TABLES[kind]
        await self._client.put(
            table.name,
            definition_row(tenant, definition_id, version),
            {
                table.key_qualifier: definition_key(definition_id, version).encode(),
                table.data_qualifier: data,
                "updatedAt": _text(now),
            },
        )


def _unknown(
    tenant: str, kind: DefinitionKind, definition_id: str, version: int | None = None
) -> DefinitionNotFoundError:
    what = f"{kind} {definition_id!r} of tenant {tenant!r}"
    msg = (
        f"tenant {tenant!r} has no {kind} definition {definition_id!r}"
        if version is None
        else f"{what} has no published version {version}"
    )
    return DefinitionNotFoundError(
        msg, tenant=tenant, kind=str(kind), definition_id=definition_id, version=version
    )
