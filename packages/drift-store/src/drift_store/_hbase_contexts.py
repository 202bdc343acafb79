"""Run contexts in HBase: ``WorkflowContextHB`` with a compare-and-set on ``revision``.

Thrift1's ``checkAndPut`` writes one cell, but an update changes several (context,
currentNode, status, updatedAt). So an update is two steps on the row:

1. **claim**: check-and-put ``revision`` from the expected ``n`` to a pending marker
   ``~{n+1}~{deadline}~{token}``. Only one writer can win it; every other writer based
   on ``n`` fails this step and gets ``RevisionConflict``.
2. **commit**: one atomic ``mutateRow`` of all changed cells with ``revision = n+1``.

Readers never see half an update: until the commit the row still holds revision ``n``'s
cells (a pending marker reads as ``n``). A writer that dies between the steps leaves
the marker; after its deadline another writer may take the claim over.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Awaitable
from typing import Final

from drift_store._hbase_client import Cells, HBaseClient
from drift_store._layout import CONTEXT_TABLE, context_row
from drift_store.backend import RawContext
from drift_store.errors import AlreadyExistsError, RevisionConflict, RunNotFoundError

_META: Final = (
    "contextKey", "currentNode", "status", "createdAt", "updatedAt", "revision",
    "workflowId", "workflowVersion",
)  # fmt: skip
_PENDING: Final = b"~"


def _pending(revision: int, lease: float) -> bytes:
    deadline = int((time.time() + lease) * 1000)
    return f"~{revision}~{deadline}~{uuid.uuid4().hex[:16]}".encode()


def _committed(cell: bytes) -> int:
    """The committed revision a ``revision`` cell stands for."""
    if cell.startswith(_PENDING):
        return int(cell.split(b"~")[1]) - 1
    return int(cell)


def _expired(cell: bytes) -> bool:
    return cell.startswith(_PENDING) and int(cell.split(b"~")[2]) < time.time() * 1000


def _optional(cells: Cells, qualifier: str) -> str | None:
    value = cells.get(qualifier)
    return value.decode() if value is not None else None


class HBaseContexts:
    """The :class:`~drift_store.backend.ContextBackend` on HBase."""

    def __init__(self, client: HBaseClient) -> None:
        self._client = client
        # A claim outlives every retry of a live writer by far.
        self._lease = max(60.0, 6 * client.url.timeout)

    async def create(self, tenant: str, record: RawContext) -> None:
        """Store a new run's context (see the protocol)."""
        row = context_row(tenant, record.run_id)
        claim = await self._claim(row, None, 1)
        if claim is None:
            msg = f"tenant {tenant!r} already has a run {record.run_id!r}"
            raise AlreadyExistsError(msg)
        cells: dict[str, bytes | None] = {
            "contextKey": record.run_id.encode(),
            "tenant": tenant.encode(),
            "createdAt": str(record.created_at).encode(),
            "workflowId": record.workflow_id.encode() if record.workflow_id else None,
            "workflowVersion": str(record.workflow_version).encode()
            if record.workflow_version is not None
            else None,
        }
        await self._commit(row, record, cells, claim, release=None)

    async def read(self, tenant: str, run_id: str, *, with_context: bool) -> RawContext | None:
        """A run's row (see the protocol)."""
        qualifiers = (*_META, "context") if with_context else _META
        cells = await self._client.get(CONTEXT_TABLE, context_row(tenant, run_id), qualifiers)
        if cells is None or "contextKey" not in cells or "revision" not in cells:
            return None  # absent, or a create that has claimed the row but not committed
        workflow_version = cells.get("workflowVersion")
        return RawContext(
            run_id=run_id,
            data=cells.get("context", b""),
            current_node=_optional(cells, "currentNode"),
            status=cells["status"].decode(),
            revision=_committed(cells["revision"]),
            created_at=int(cells["createdAt"]),
            updated_at=int(cells["updatedAt"]),
            workflow_id=_optional(cells, "workflowId"),
            workflow_version=int(workflow_version) if workflow_version else None,
        )

    async def replace(self, tenant: str, record: RawContext, *, expected_revision: int) -> None:
        """Compare-and-set on ``revision`` in two steps (see the module)."""
        row = context_row(tenant, record.run_id)
        expected = str(expected_revision).encode()
        claim = await self._claim(row, expected, expected_revision + 1)
        if claim is None:
            cells = await self._client.get(CONTEXT_TABLE, row, ("revision", "contextKey"))
            if cells is None or "contextKey" not in cells:
                raise RunNotFoundError(tenant, record.run_id)
            cell = cells["revision"]
            actual = int(cell.split(b"~")[1]) if cell.startswith(_PENDING) else int(cell)
            raise RevisionConflict(tenant, record.run_id, expected=expected_revision, actual=actual)
        await self._commit(row, record, {}, claim, release=expected)

    async def _claim(self, row: str, expected: bytes | None, revision: int) -> bytes | None:
        """Win the right to write ``revision``: the pending marker, or ``None`` if lost."""
        marker = _pending(revision, self._lease)
        if await self._client.check_and_put(CONTEXT_TABLE, row, "revision", expected, marker):
            return marker
        # Take over a claim whose writer died between its two steps.
        cells = await self._client.get(CONTEXT_TABLE, row, ("revision",))
        stale = (cells or {}).get("revision")
        if (
            stale is not None
            and _expired(stale)
            and _committed(stale) + 1 == revision
            and await self._client.check_and_put(CONTEXT_TABLE, row, "revision", stale, marker)
        ):
            return marker
        return None

    async def _commit(
        self,
        row: str,
        record: RawContext,
        extra: dict[str, bytes | None],
        claim: bytes,
        *,
        release: bytes | None,
    ) -> None:
        cells: dict[str, bytes | None] = {
            **extra,
            "context": record.data,
            "currentNode": record.current_node.encode() if record.current_node else None,
            "status": record.status.encode(),
            "updatedAt": str(record.updated_at).encode(),
            "revision": str(record.revision).encode(),
        }
        try:
            await self._client.put(CONTEXT_TABLE, row, cells)
        except BaseException:
            # Best effort: give the claim back so other writers need not wait for the
            # lease (an update returns to the old revision; a create leaves no row).
            if release is not None:
                await _quietly(self._client.check_and_put(
                    CONTEXT_TABLE, row, "revision", claim, release
                ))  # fmt: skip
            raise


async def _quietly(step: Awaitable[object]) -> None:
    # The original error is what the caller needs; this one would only hide it.
    with contextlib.suppress(Exception):
        await step
