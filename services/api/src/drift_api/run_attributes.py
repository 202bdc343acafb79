"""What a run carries in Temporal's visibility store from its start: attributes and memo.

The values travel in the start event (no history event of their own); the workflow
upserts the ones that change at each stable point. Names and types:
:mod:`drift_models.visibility`.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from temporalio.client import WorkflowHandle
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from drift_models import RunInput, RunStatus
from drift_models.visibility import (
    MEMO_TENANT,
    MEMO_VERSION,
    MEMO_WORKFLOW,
    SA_VERSION,
    SEARCH_ATTRIBUTES,
    run_attributes,
)

__all__ = ["close_cancelled", "start_attributes", "start_memo"]

_KEYWORDS: Final = tuple(
    SearchAttributeKey.for_keyword(a.name) for a in SEARCH_ATTRIBUTES if a.type == "Keyword"
)
_VERSION: Final = SearchAttributeKey.for_int(SA_VERSION)
_LOG = logging.getLogger(__name__)


def start_attributes(run: RunInput) -> TypedSearchAttributes:
    """The search attributes a run starts with (status ``RUNNING`` until its first stable point)."""
    thread = run.thread_context
    values = run_attributes(
        tenant=run.tenant_id,
        workflow=run.workflow_definition_id,
        version=run.version if isinstance(run.version, int) else None,
        status=RunStatus.RUNNING.value,
        client=thread.client_id if thread else None,
        user=thread.user_id if thread else None,
    )
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(key, values[key.name])
        for key in _KEYWORDS
        if isinstance(values.get(key.name), str)
    ]
    version = values.get(SA_VERSION)
    if isinstance(version, int):
        pairs.append(SearchAttributePair(_VERSION, version))
    return TypedSearchAttributes(pairs)


def start_memo(run: RunInput) -> dict[str, Any]:
    """What ``temporal workflow describe`` (and the API, when nothing else answers) reads."""
    memo: dict[str, Any] = {MEMO_WORKFLOW: run.workflow_definition_id, MEMO_TENANT: run.tenant_id}
    if isinstance(run.version, int):
        memo[MEMO_VERSION] = run.version
    return memo


async def close_cancelled(handle: WorkflowHandle[Any, Any]) -> None:
    """Let a run the API terminated close as Cancelled in Temporal (best effort).

    The workflow has already written its end and answered; it waits a bounded time for
    this cancel, and completes (still reading ``TERMINATED``) when none comes.
    """
    try:
        await handle.cancel()
    except RPCError as error:
        _LOG.info("run %s was terminated; its cancel did not go through: %s", handle.id, error)
