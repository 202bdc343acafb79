"""The backend interface: what a storage engine implements to hold Drift's data.

The public :class:`~drift_store.DefinitionStore` and :class:`~drift_store.ContextStore`
validate keys, encode and decode documents and keep the clock; a backend stores bytes
under the keys of SPEC "Storage" and guarantees the atomic steps: a unique version
number per publish, pointers that only move as asked, and a compare-and-set on a run's
revision. The SQLite and HBase backends implement it; a new backend passes the same
conformance kit (:mod:`drift_store.testing`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Protocol

import msgspec

from drift_store.api_keys import ApiKeyBackend
from drift_store.blobs import BlobBackend
from drift_store.errors import DefinitionNotFoundError
from drift_store.records import DefinitionKind
from drift_store.scenarios import ScenarioBackend

__all__ = [
    "ACTIVATION_HISTORY",
    "Backend",
    "ContextBackend",
    "DefinitionBackend",
    "RawContext",
    "RawDefinition",
    "RawPointers",
    "RawSummary",
    "Stamp",
    "WriteMode",
    "next_activation",
]

ACTIVATION_HISTORY = 20
"""How many earlier activations a definition remembers for rollbacks."""

Stamp = Callable[[bytes, int], bytes]
"""Rewrites a snapshot's JSON for a publish: (snapshot bytes, new number) → stored bytes."""


class WriteMode(enum.Enum):
    """How a snapshot write treats an existing definition."""

    CREATE = "create"
    """Fail with ``AlreadyExistsError`` if the id is taken."""
    UPDATE = "update"
    """Fail with ``DefinitionNotFoundError`` if the id is not there."""
    UPSERT = "upsert"
    """Create or replace."""


class RawDefinition(msgspec.Struct, frozen=True, kw_only=True):
    """One stored version of a definition, as bytes.

    Attributes:
        version: the number, or ``None`` for the SNAPSHOT.
        data: the JSON document.
        updated_at: epoch millis of the write.
    """

    version: int | None
    data: bytes
    updated_at: int


class RawPointers(msgspec.Struct, frozen=True, kw_only=True):
    """The pointer row of a definition (see ``DefinitionPointerHB`` in the README)."""

    latest: int | None = None
    active: int | None = None
    previously_active: tuple[int, ...] = ()
    updated_at: int = 0


class RawSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One definition in a listing, as the backend keeps it."""

    definition_id: str
    latest: int | None = None
    active: int | None = None
    updated_at: int = 0


class RawContext(msgspec.Struct, frozen=True, kw_only=True):
    """A run's context row, with the document as JSON bytes.

    ``data`` is empty when the row was read without its context column.
    """

    run_id: str
    data: bytes
    status: str
    revision: int
    created_at: int
    updated_at: int
    current_node: str | None = None
    workflow_id: str | None = None
    workflow_version: int | None = None


class DefinitionBackend(Protocol):
    """Definitions and their pointers, scoped by tenant."""

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
        """Store the SNAPSHOT of a definition; return whether the definition is new."""
        ...

    async def read(
        self, tenant: str, kind: DefinitionKind, definition_id: str, version: int | None
    ) -> RawDefinition | None:
        """One version (``None``: the SNAPSHOT), or ``None`` if it is not stored."""
        ...

    async def read_pointers(
        self, tenant: str, kind: DefinitionKind, definition_id: str
    ) -> RawPointers | None:
        """The pointers of a definition, or ``None`` if the definition is unknown."""
        ...

    async def publish(
        self, tenant: str, kind: DefinitionKind, definition_id: str, stamp: Stamp, *, now: int
    ) -> RawDefinition:
        """Freeze the SNAPSHOT as the next number (unique under concurrency), move LATEST.

        Raises:
            DefinitionNotFoundError: when the definition has no SNAPSHOT.
        """
        ...

    async def activate(
        self,
        tenant: str,
        kind: DefinitionKind,
        definition_id: str,
        version: int | None,
        *,
        now: int,
    ) -> RawPointers:
        """Point ACTIVE at ``version``, or (``None``) back at the previous activation.

        Raises:
            DefinitionNotFoundError: when the version is not published, or there is no
                earlier activation to roll back to.
        """
        ...

    async def list_definitions(
        self, tenant: str, kind: DefinitionKind, *, after: str | None, limit: int
    ) -> list[RawSummary]:
        """Up to ``limit`` definitions with ids greater than ``after``, ordered by id."""
        ...

    async def list_versions(
        self, tenant: str, kind: DefinitionKind, definition_id: str
    ) -> list[tuple[int, int]]:
        """``(number, published_at)`` of every published version, in ascending order."""
        ...


class ContextBackend(Protocol):
    """Run contexts, scoped by tenant."""

    async def create(self, tenant: str, record: RawContext) -> None:
        """Store a new run's context at revision 1.

        Raises:
            AlreadyExistsError: when the run id is taken.
        """
        ...

    async def read(self, tenant: str, run_id: str, *, with_context: bool) -> RawContext | None:
        """A run's row (without the document unless ``with_context``), or ``None``."""
        ...

    async def replace(self, tenant: str, record: RawContext, *, expected_revision: int) -> None:
        """Write ``record`` (its mutable columns) if the stored revision is the expected one.

        Raises:
            RevisionConflict: when another write came first.
            RunNotFoundError: when the run has no context.
        """
        ...


class Backend(Protocol):
    """A storage engine: definitions, contexts, API keys, blobs and scenarios, one connection."""

    @property
    def definitions(self) -> DefinitionBackend:
        """The definition half."""
        ...

    @property
    def contexts(self) -> ContextBackend:
        """The context half."""
        ...

    @property
    def api_keys(self) -> ApiKeyBackend:
        """The API keys of the REST API (see :mod:`drift_store.api_keys`)."""
        ...

    @property
    def blobs(self) -> BlobBackend:
        """The blobs of the claim check (see :mod:`drift_store.blobs`)."""
        ...

    @property
    def scenarios(self) -> ScenarioBackend:
        """The workflows' scenario documents (see :mod:`drift_store.scenarios`)."""
        ...

    @property
    def description(self) -> str:
        """What and where, for messages (``sqlite /srv/drift.db``)."""
        ...

    async def close(self) -> None:
        """Release connections and threads; the backend is unusable afterwards."""
        ...


def next_activation(
    current: RawPointers,
    version: int | None,
    *,
    tenant: str,
    kind: DefinitionKind,
    definition_id: str,
) -> tuple[int, tuple[int, ...]]:
    """The ACTIVE number and history after activating ``version`` (``None``: roll back).

    Raises:
        DefinitionNotFoundError: when there is nothing to roll back to, or ``version``
            is beyond LATEST.
    """
    if version is None:
        if not current.previously_active:
            msg = (
                f"{kind} {definition_id!r} of tenant {tenant!r} has no earlier activation "
                "to roll back to; activate a version by number instead"
            )
            raise DefinitionNotFoundError(
                msg, tenant=tenant, kind=str(kind), definition_id=definition_id, version="ACTIVE"
            )
        return current.previously_active[0], current.previously_active[1:]
    if current.latest is None or version > current.latest:
        published = "none" if current.latest is None else f"1..{current.latest}"
        msg = (
            f"{kind} {definition_id!r} of tenant {tenant!r} has no published version "
            f"{version} (published: {published}); publish before activating"
        )
        raise DefinitionNotFoundError(
            msg, tenant=tenant, kind=str(kind), definition_id=definition_id, version=version
        )
    if current.active is None or current.active == version:
        return version, current.previously_active
    history = (current.active, *current.previously_active)[:ACTIVATION_HISTORY]
    return version, history
