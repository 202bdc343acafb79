"""The context store: each run's context document, where the run is, and its revision.

Every update names the revision it was based on and succeeds only if that is still the
stored one (compare-and-set), so two writers can never silently overwrite each other:
the later one gets :class:`~drift_store.RevisionConflict`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec
from msgspec import UNSET, UnsetType

from drift_models import RunContext, RunStatus
from drift_store._layout import check_run_id, check_tenant
from drift_store.backend import ContextBackend, RawContext
from drift_store.errors import InvalidKeyError, RevisionConflict, RunNotFoundError, StoreError
from drift_store.records import ContextRecord

__all__ = ["ContextStore", "UndecodableContextError"]

_CONTEXT_DECODER = msgspec.json.Decoder(RunContext)


class UndecodableContextError(StoreError):
    """A stored context document that does not decode as a :class:`RunContext`."""


class ContextStore:
    """Run contexts of every tenant, over one backend.

    Args:
        backend: the storage engine.
        clock: epoch milliseconds now (tests pass a fake one).
    """

    def __init__(self, backend: ContextBackend, *, clock: Callable[[], int] | None = None) -> None:
        self._backend = backend
        self._clock = clock or _epoch_millis

    async def create(
        self,
        tenant: str,
        run_id: str,
        context: RunContext,
        *,
        current_node: str | None = None,
        status: RunStatus = RunStatus.CREATED,
        workflow_id: str | None = None,
        workflow_version: int | None = None,
    ) -> ContextRecord:
        """Store a new run's context at revision 1.

        Raises:
            AlreadyExistsError: when the tenant already has a run with this id.
        """
        check_tenant(tenant)
        check_run_id(run_id)
        status = _status(status)
        now = self._clock()
        raw = RawContext(
            run_id=run_id,
            data=msgspec.json.encode(context),
            status=status.value,
            revision=1,
            created_at=now,
            updated_at=now,
            current_node=current_node,
            workflow_id=workflow_id,
            workflow_version=workflow_version,
        )
        await self._backend.create(tenant, raw)
        return _record(tenant, raw, context)

    async def get(self, tenant: str, run_id: str) -> ContextRecord | None:
        """A run's context, or ``None`` when the tenant has no such run."""
        check_tenant(tenant)
        check_run_id(run_id)
        raw = await self._backend.read(tenant, run_id, with_context=True)
        if raw is None:
            return None
        return _record(tenant, raw, _decode(tenant, raw))

    async def require(self, tenant: str, run_id: str) -> ContextRecord:
        """A run's context.

        Raises:
            RunNotFoundError: when the tenant has no such run.
        """
        record = await self.get(tenant, run_id)
        if record is None:
            raise RunNotFoundError(tenant, run_id)
        return record

    async def update(
        self,
        tenant: str,
        run_id: str,
        *,
        expected_revision: int,
        context: RunContext | UnsetType = UNSET,
        current_node: str | UnsetType | None = UNSET,
        status: RunStatus | UnsetType = UNSET,
    ) -> ContextRecord:
        """Change a run's context, current node and/or status; the revision goes up by one.

        Fields left ``UNSET`` keep their stored value; ``current_node=None`` clears it.

        Args:
            tenant: the run's tenant.
            run_id: the run.
            expected_revision: the revision this update is based on.
            context: the new context document.
            current_node: the state the run is at now.
            status: the run's status now.

        Raises:
            RevisionConflict: when the stored revision is not ``expected_revision``.
            RunNotFoundError: when the tenant has no such run.
        """
        check_tenant(tenant)
        check_run_id(run_id)
        if isinstance(expected_revision, bool) or not isinstance(expected_revision, int):
            msg = f"expected_revision must be an int, got {expected_revision!r}"
            raise InvalidKeyError(msg)
        current = await self._backend.read(
            tenant, run_id, with_context=isinstance(context, UnsetType)
        )
        if current is None:
            raise RunNotFoundError(tenant, run_id)
        if current.revision != expected_revision:
            raise RevisionConflict(
                tenant, run_id, expected=expected_revision, actual=current.revision
            )
        document = _decode(tenant, current) if isinstance(context, UnsetType) else context
        data = current.data if isinstance(context, UnsetType) else msgspec.json.encode(context)
        new = msgspec.structs.replace(
            current,
            data=data,
            revision=expected_revision + 1,
            updated_at=max(self._clock(), current.updated_at),
            current_node=current.current_node
            if isinstance(current_node, UnsetType)
            else current_node,
            status=current.status if isinstance(status, UnsetType) else _status(status).value,
        )
        await self._backend.replace(tenant, new, expected_revision=expected_revision)
        return _record(tenant, new, document)


def _status(status: RunStatus) -> RunStatus:
    try:
        return RunStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in RunStatus)
        msg = f"status {status!r} is not one of {allowed}"
        raise InvalidKeyError(msg) from None


def _decode(tenant: str, raw: RawContext) -> RunContext:
    try:
        return _CONTEXT_DECODER.decode(raw.data)
    except msgspec.DecodeError as error:
        msg = f"stored context of run {raw.run_id!r} (tenant {tenant!r}) cannot be read: {error}"
        raise UndecodableContextError(msg) from None


def _record(tenant: str, raw: RawContext, context: RunContext) -> ContextRecord:
    return ContextRecord(
        tenant=tenant,
        run_id=raw.run_id,
        context=context,
        status=RunStatus(raw.status),
        revision=raw.revision,
        created_at=raw.created_at,
        updated_at=raw.updated_at,
        current_node=raw.current_node,
        workflow_id=raw.workflow_id,
        workflow_version=raw.workflow_version,
    )


def _epoch_millis() -> int:
    return time.time_ns() // 1_000_000
