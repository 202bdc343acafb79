"""``drift runs``: list the tenant's runs with the filters of ``GET /v3/workflow``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import urlencode

from drift_cli.client import ApiClient
from drift_cli.commands import iso_time
from drift_models import RunPage, RunSummary

__all__ = ["RunListOptions", "list_runs"]


@dataclass
class RunListOptions:
    """The filters (each optional; they combine with AND, statuses with OR).

    Attributes:
        workflow: runs of this workflow definition.
        version: runs pinned to this version.
        statuses: runs in any of these statuses.
        node: runs at (or ended at) this state.
        client: runs started by this client id.
        user: runs started by this user id.
        started_after: ISO 8601 time.
        started_before: ISO 8601 time.
        closed_after: ISO 8601 time.
        closed_before: ISO 8601 time.
        limit: the most runs to show (pages of up to 200 are fetched until then).
    """

    workflow: str | None = None
    version: int | None = None
    statuses: list[str] = field(default_factory=list)
    node: str | None = None
    client: str | None = None
    user: str | None = None
    started_after: str | None = None
    started_before: str | None = None
    closed_after: str | None = None
    closed_before: str | None = None
    limit: int = 50

    def query(self) -> list[tuple[str, str]]:
        """The query parameters, in the API's names."""
        named: list[tuple[str, str | int | None]] = [
            ("workflowDefinitionId", self.workflow),
            ("version", self.version),
            ("currentNode", self.node),
            ("clientId", self.client),
            ("userId", self.user),
            ("startedAfter", self.started_after),
            ("startedBefore", self.started_before),
            ("closedAfter", self.closed_after),
            ("closedBefore", self.closed_before),
        ]
        pairs = [(name, str(value)) for name, value in named if value is not None]
        pairs += [("status", status.upper()) for status in self.statuses]
        return pairs


async def list_runs(api: ApiClient, options: RunListOptions, out: TextIO, *, as_json: bool) -> int:
    """Print the matching runs, newest first, and how many match in all.

    ``--json`` prints the items as the API sent them.
    """
    items: list[dict[str, Any]] = []
    runs: list[RunSummary] = []
    token: str | None = None
    total: int | None = None
    while len(items) < options.limit:
        pairs = [*options.query(), ("limit", str(min(200, options.limit - len(items))))]
        if token is None:
            pairs.append(("total", "true"))
        else:
            pairs.append(("pageToken", token))
        page = await api.answer("GET", "/v3/workflow?" + urlencode(pairs), RunPage)
        items += page.json()["items"]
        runs += page.body.items
        total = page.body.total if total is None else total
        token = page.body.next_page_token
        if not token:
            break
    if as_json:
        out.write(json.dumps({"items": items, "total": total}, indent=2) + "\n")
        return 0
    for run in runs:
        version = run.workflow_version
        closed = "" if run.closed_at is None else f"  closed {iso_time(run.closed_at)}"
        out.write(
            f"{run.workflow_id}  {run.workflow_definition_id}"
            f"{'' if version is None else f' v{version}'}  {run.workflow_status}"
            f"  {run.current_node or '-'}  started {iso_time(run.started_at)}{closed}\n"
        )
    out.write(f"{len(runs)} of {total} runs\n")
    return 0
