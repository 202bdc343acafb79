"""The read API of definitions, shared by the store and the cache, and version references."""

from __future__ import annotations

from typing import Protocol

from drift_models import NodeDefinition, Pointer, WorkflowDefinition
from drift_store.errors import DefinitionNotFoundError, InvalidKeyError
from drift_store.records import Definition, DefinitionKind, Pointers, StoredDefinition

__all__ = ["DefinitionReader", "check_version_ref", "follow_pointer"]


def check_version_ref(version: object) -> int | Pointer:
    """Return ``version`` if it names a version (a number ≥ 1 or a pointer), else raise."""
    if isinstance(version, int) and not isinstance(version, bool) and version >= 1:
        return version
    if version in ("SNAPSHOT", "LATEST", "ACTIVE"):
        return version
    msg = f"version {version!r} is not a number ≥ 1, SNAPSHOT, LATEST or ACTIVE"
    raise InvalidKeyError(msg)


class DefinitionReader(Protocol):
    """The read API shared by :class:`DefinitionStore` and the definition cache."""

    async def get(
        self,
        tenant: str,
        kind: DefinitionKind,
        definition_id: str,
        version: int | Pointer = "LATEST",
    ) -> StoredDefinition[Definition]:
        """One version of a definition; pointers are resolved to their number.

        Raises:
            DefinitionNotFoundError: naming what is missing and what exists.
        """
        ...

    async def get_node(
        self, tenant: str, definition_id: str, version: int | Pointer = "LATEST"
    ) -> StoredDefinition[NodeDefinition]:
        """:meth:`get` for a node definition."""
        ...

    async def get_workflow(
        self, tenant: str, definition_id: str, version: int | Pointer = "LATEST"
    ) -> StoredDefinition[WorkflowDefinition]:
        """:meth:`get` for a workflow definition."""
        ...

    async def pointers(self, tenant: str, kind: DefinitionKind, definition_id: str) -> Pointers:
        """Where LATEST and ACTIVE point.

        Raises:
            DefinitionNotFoundError: when the definition does not exist.
        """
        ...


def follow_pointer(
    pointers: Pointers, ref: str, tenant: str, kind: DefinitionKind, definition_id: str
) -> int:
    """The number ``ref`` (``LATEST`` or ``ACTIVE``) points at, or a not-found error."""
    number = pointers.latest if ref == "LATEST" else pointers.active
    if number is None:
        hint = "publish it first" if ref == "LATEST" else "activate a published version first"
        msg = f"{kind} {definition_id!r} of tenant {tenant!r} has no {ref} version; {hint}"
        raise DefinitionNotFoundError(
            msg, tenant=tenant, kind=str(kind), definition_id=definition_id, version=ref
        )
    return number
