"""The two local activities of a redrive: snapshot the context, restore it.

When a state's failure is final, :meth:`RedriveSteps.snapshot` copies the run's stored
context (it has not been written since the state failed, so it is the context before
that state) into the store's content-addressed blobs and answers the key; the run's
redrive point names it (:class:`drift_models.RedrivePoint`). A redriven execution first
runs :meth:`RedriveSteps.restore`: a compare-and-set that puts the snapshot back, with
status RUNNING and the failed state as the current node, only while the stored context
is still FAILED at the revision the failed attempt closed with. A retry of a restore
whose write went through finds its own write and answers it.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import msgspec
from temporalio import activity
from temporalio.exceptions import ApplicationError

from drift_models import RunContext, RunStatus
from drift_store import BlobNotFoundError, BlobStore, ContextStore, CorruptBlobError
from drift_worker.store_guard import StoreOutages, start_attempt, store_io

__all__ = [
    "ACTIVITY_RESTORE",
    "ACTIVITY_SNAPSHOT",
    "REDRIVE_CONFLICT",
    "RedriveSteps",
    "RestoreRequest",
    "SnapshotRequest",
]

ACTIVITY_SNAPSHOT: Final = "drift.snapshot"
"""Local activity: copy the run's context into the blobs (answers the key, or ``None``)."""
ACTIVITY_RESTORE: Final = "drift.restore"
"""Local activity: put a snapshot back as the run's context (answers the new revision)."""
REDRIVE_CONFLICT: Final = "RedriveConflict"
"""The error type of a restore whose stored context is no longer the failed attempt's."""

_LOG = logging.getLogger(__name__)
_CONTEXT: Final = msgspec.json.Decoder(RunContext)


class _Struct(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of these activities' messages."""


class SnapshotRequest(_Struct, kw_only=True):
    """Snapshot a run's context.

    Attributes:
        tenant_id: the tenant.
        run_id: the run.
        revision: the revision the workflow last saw (the snapshot must be of it).
    """

    tenant_id: str
    run_id: str
    revision: int


class RestoreRequest(_Struct, kw_only=True):
    """Put a snapshot back as a failed run's context.

    Attributes:
        tenant_id: the tenant.
        run_id: the run.
        snapshot: the snapshot's blob key.
        expected_revision: the stored revision the failed attempt closed with.
        state: the state the run goes on at.
    """

    tenant_id: str
    run_id: str
    snapshot: str
    expected_revision: int
    state: str


class RedriveSteps:
    """The snapshot and restore activities, over one worker's store.

    Args:
        contexts: where run contexts live.
        blobs: the store's blobs (``None``: the store keeps none, so no run gets a
            redrive point).
        outages: the watch of store outages.
    """

    def __init__(
        self, contexts: ContextStore, blobs: BlobStore | None, outages: StoreOutages
    ) -> None:
        self._contexts = contexts
        self._blobs = blobs
        self._outages = outages

    def all(self) -> list[Any]:
        """Both activities, for ``Worker(activities=...)``."""
        return [self.snapshot, self.restore]

    @activity.defn(name=ACTIVITY_SNAPSHOT)
    async def snapshot(self, request: SnapshotRequest) -> str | None:
        """Copy the run's stored context into the blobs; answer its key."""
        start_attempt()
        if self._blobs is None:
            return None
        tenant, run_id = request.tenant_id, request.run_id
        async with store_io(self._outages, tenant, run_id, "reading the context to keep"):
            record = await self._contexts.require(tenant, run_id)
        if record.revision != request.revision:
            # Something else wrote the context since the state failed: a snapshot of it
            # would not be the context before that state, so the run gets no point.
            _LOG.warning(
                "run %s: context at revision %s, not %s; no redrive point",
                run_id,
                record.revision,
                request.revision,
            )
            return None
        async with store_io(self._outages, tenant, run_id, "keeping the context"):
            key = await self._blobs.put(msgspec.json.encode(record.context))
        self._outages.succeeded(tenant, run_id)
        return key

    @activity.defn(name=ACTIVITY_RESTORE)
    async def restore(self, request: RestoreRequest) -> int:
        """Put the snapshot back (status RUNNING at the failed state); answer the revision.

        Raises:
            ApplicationError: ``RedriveConflict`` (non-retryable) when the stored context
                is not the failed attempt's any more, or the snapshot is gone.
        """
        start_attempt()
        tenant, run_id = request.tenant_id, request.run_id
        expected = request.expected_revision
        async with store_io(self._outages, tenant, run_id, "reading the failed context"):
            record = await self._contexts.require(tenant, run_id)
        if (
            record.status is RunStatus.RUNNING
            and record.revision == expected + 1
            and record.current_node == request.state
        ):
            return record.revision  # an earlier try's write went through
        if record.status is not RunStatus.FAILED or record.revision != expected:
            msg = (
                f"run {run_id!r} cannot be redriven: its stored context is {record.status} at "
                f"revision {record.revision}, not FAILED at revision {expected}"
            )
            raise ApplicationError(msg, type=REDRIVE_CONFLICT, non_retryable=True)
        if self._blobs is None:
            msg = f"run {run_id!r} cannot be redriven: this worker's store keeps no blobs"
            raise ApplicationError(msg, type=REDRIVE_CONFLICT, non_retryable=True)
        try:
            async with store_io(self._outages, tenant, run_id, "reading the kept context"):
                data = await self._blobs.get(request.snapshot)
            context = _CONTEXT.decode(data)
        except (BlobNotFoundError, CorruptBlobError, msgspec.DecodeError) as error:
            msg = f"run {run_id!r} cannot be redriven: its kept context cannot be read: {error}"
            raise ApplicationError(msg, type=REDRIVE_CONFLICT, non_retryable=True) from None
        async with store_io(self._outages, tenant, run_id, "restoring the context"):
            written = await self._contexts.update(
                tenant,
                run_id,
                expected_revision=expected,
                context=context,
                current_node=request.state,
                status=RunStatus.RUNNING,
            )
        self._outages.succeeded(tenant, run_id)
        return written.revision
