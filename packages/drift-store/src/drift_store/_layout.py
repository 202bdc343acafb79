"""The storage layout shared by every backend: table names, qualifiers and row keys.

SPEC "Storage" names the tables and qualifiers; tenancy is a prefix of every row key,
``{tenant}/``. A tenant id may not contain ``/``, so the first ``/`` of a key always
ends the tenant and a prefix scan of ``{tenant}/`` never reaches another tenant's rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from drift_models.nodes.base import DEFINITION_ID_PATTERN
from drift_store.errors import InvalidKeyError
from drift_store.records import DefinitionKind

TENANT_PATTERN: Final = r"^[\w.\-]{1,128}(?!\n)$"
_TENANT: Final = re.compile(TENANT_PATTERN)
_DEFINITION_ID: Final = re.compile(DEFINITION_ID_PATTERN)
_MAX_RUN_ID: Final = 512
SEPARATOR: Final = "/"
SNAPSHOT_KEY: Final = "SNAPSHOT"

CONTEXT_TABLE: Final = "WorkflowContextHB"
POINTER_TABLE: Final = "DefinitionPointerHB"
FAMILY: Final = "main"


@dataclass(frozen=True, slots=True)
class DefinitionTable:
    """Where one kind of definition lives: its table and its two SPEC qualifiers."""

    name: str
    key_qualifier: str
    data_qualifier: str


DEFINITION_TABLES: Final = {
    DefinitionKind.WORKFLOW: DefinitionTable("WorkflowHB", "workflowKey", "workflowData"),
    DefinitionKind.NODE: DefinitionTable("NodeHB", "nodeKey", "nodeData"),
}
ALL_TABLES: Final = (
    DEFINITION_TABLES[DefinitionKind.WORKFLOW].name,
    DEFINITION_TABLES[DefinitionKind.NODE].name,
    POINTER_TABLE,
    CONTEXT_TABLE,
)


def check_tenant(tenant: str) -> str:
    """Return ``tenant`` if it can scope rows, else raise :class:`InvalidKeyError`."""
    if not _TENANT.match(tenant):
        msg = (
            f"tenant {tenant!r} cannot be stored: a tenant id is 1-128 letters (any "
            "script), digits, '_', '.' or '-'"
        )
        raise InvalidKeyError(msg)
    return tenant


def check_definition_id(definition_id: str) -> str:
    """Return ``definition_id`` if it is a valid DSL id, else raise :class:`InvalidKeyError`."""
    if not _DEFINITION_ID.match(definition_id):
        msg = (
            f"definition id {definition_id!r} cannot be stored: an id is 1-128 letters "
            "(any script), digits, '_', '.' or '-'"
        )
        raise InvalidKeyError(msg)
    return definition_id


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it can key a context row, else raise :class:`InvalidKeyError`."""
    if not run_id or len(run_id) > _MAX_RUN_ID or not run_id.isprintable():
        msg = (
            f"run id {run_id!r} cannot be stored: a run id is 1-{_MAX_RUN_ID} printable characters"
        )
        raise InvalidKeyError(msg)
    return run_id


def version_key(version: int | None) -> str:
    """The version part of a definition key: the number, or ``SNAPSHOT``."""
    return SNAPSHOT_KEY if version is None else str(version)


def definition_key(definition_id: str, version: int | None) -> str:
    """SPEC's ``{id}_{version}``: the value of ``workflowKey`` / ``nodeKey``."""
    return f"{definition_id}_{version_key(version)}"


def definition_row(tenant: str, definition_id: str, version: int | None) -> str:
    """The row key of one version: ``{tenant}/{id}_{version}``."""
    return f"{tenant}{SEPARATOR}{definition_key(definition_id, version)}"


def definition_prefix(tenant: str, definition_id: str) -> str:
    """The prefix of every version row of one definition (and of ids extending it)."""
    return f"{tenant}{SEPARATOR}{definition_id}_"


def parse_version(row_key: str, definition_id: str) -> int | bool | None:
    """The version in a definition row key, ``False`` if the row is another id's."""
    rest = row_key.split(SEPARATOR, 1)[1][len(definition_id) + 1 :]
    if rest == SNAPSHOT_KEY:
        return None
    if rest.isdigit() and row_key.split(SEPARATOR, 1)[1] == f"{definition_id}_{rest}":
        return int(rest)
    return False


def pointer_row(tenant: str, kind: DefinitionKind, definition_id: str) -> str:
    """The row key of a definition's pointers and counter: ``{tenant}/{kind}/{id}``."""
    return f"{pointer_prefix(tenant, kind)}{definition_id}"


def pointer_prefix(tenant: str, kind: DefinitionKind) -> str:
    """The prefix of the pointer rows of every definition of one kind and tenant."""
    return f"{tenant}{SEPARATOR}{kind.value}{SEPARATOR}"


def context_row(tenant: str, run_id: str) -> str:
    """The row key of a run's context: ``{tenant}/{runId}``."""
    return f"{tenant}{SEPARATOR}{run_id}"


def format_history(history: tuple[int, ...]) -> str:
    """Earlier activations as stored: ``"3,2"`` (most recent first)."""
    return ",".join(str(v) for v in history)


def parse_history(text: str | None) -> tuple[int, ...]:
    """Read :func:`format_history`'s form back."""
    if not text:
        return ()
    return tuple(int(v) for v in text.split(","))
