"""The search attributes and memo every run carries in Temporal's visibility store.

The API sets them when it starts a run (they travel in the start event, so they cost no
history event) and the workflow upserts the ones that change at each stable point.
Anything that registers them (``temporal server start-dev --search-attribute``,
``temporal operator search-attribute create``, ``drift-worker setup-search-attributes``,
a cluster harness) reads :data:`SEARCH_ATTRIBUTES` from here, so the names and types
have one owner.

The set is sized for SQL visibility (MySQL, PostgreSQL, SQLite, the dev server): it
holds a fixed number of custom attributes per type and refuses ``ORDER BY``, so Drift
uses six Keywords and two Ints, and never sorts in a query (SQL visibility answers
newest first by itself).

Plain data only: the services build Temporal's typed keys from these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "MEMO_TENANT",
    "MEMO_VERSION",
    "MEMO_WORKFLOW",
    "SA_ATTEMPT",
    "SA_CLIENT",
    "SA_NODE",
    "SA_STATUS",
    "SA_TENANT",
    "SA_USER",
    "SA_VERSION",
    "SA_WORKFLOW",
    "SEARCH_ATTRIBUTES",
    "SearchAttribute",
    "dev_server_flags",
    "run_attributes",
]


@dataclass(frozen=True, slots=True)
class SearchAttribute:
    """One custom search attribute.

    Attributes:
        name: its name in visibility queries.
        type: Temporal's type name (``Keyword`` or ``Int``).
        meaning: what it holds, for people.
    """

    name: str
    type: str
    meaning: str


SA_TENANT: Final = "DriftTenant"
SA_WORKFLOW: Final = "DriftWorkflow"
SA_VERSION: Final = "DriftVersion"
SA_STATUS: Final = "DriftStatus"
SA_NODE: Final = "DriftNode"
SA_CLIENT: Final = "DriftClient"
SA_USER: Final = "DriftUser"
SA_ATTEMPT: Final = "DriftAttempt"

SEARCH_ATTRIBUTES: Final = (
    SearchAttribute(SA_TENANT, "Keyword", "the tenant the run belongs to"),
    SearchAttribute(SA_WORKFLOW, "Keyword", "the workflow definition id"),
    SearchAttribute(SA_VERSION, "Int", "the pinned workflow version"),
    SearchAttribute(SA_STATUS, "Keyword", "the Drift status (RUNNING, WAITING, FAILED, ...)"),
    SearchAttribute(SA_NODE, "Keyword", "the state the run is at (or ended at)"),
    SearchAttribute(SA_CLIENT, "Keyword", "the client id that started the run"),
    SearchAttribute(SA_USER, "Keyword", "the user id that started the run, when given"),
    SearchAttribute(
        SA_ATTEMPT,
        "Int",
        "how many times the run had been redriven when this execution started (unset: 0); "
        "an execution with a higher one under the same workflow id supersedes it",
    ),
)
"""Every custom search attribute Drift sets, with its Temporal type."""

MEMO_WORKFLOW: Final = "workflowDefinitionId"
"""The memo key holding the workflow a run executes."""
MEMO_VERSION: Final = "workflowVersion"
"""The memo key holding the version a run was started with (when it was a number)."""
MEMO_TENANT: Final = "tenantId"
"""The memo key holding the run's tenant."""


def dev_server_flags() -> list[str]:
    """``temporal server start-dev`` arguments that register every attribute."""
    flags: list[str] = []
    for attribute in SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{attribute.name}={attribute.type}"]
    return flags


def run_attributes(
    *,
    tenant: str,
    workflow: str,
    version: int | None = None,
    status: str | None = None,
    node: str | None = None,
    client: str | None = None,
    user: str | None = None,
    attempt: int = 0,
) -> dict[str, str | int]:
    """The attribute values a run should show (unknown ones left out)."""
    values: dict[str, str | int] = {SA_TENANT: tenant, SA_WORKFLOW: workflow}
    optional: dict[str, str | int | None] = {
        SA_VERSION: version,
        SA_STATUS: status,
        SA_NODE: node,
        SA_CLIENT: client,
        SA_USER: user,
        SA_ATTEMPT: attempt or None,
    }
    values.update({name: value for name, value in optional.items() if value not in (None, "")})
    return values
