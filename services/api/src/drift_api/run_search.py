"""Listing and counting a tenant's runs through Temporal's visibility store.

The filter becomes a list query (:mod:`drift_api.run_query`); Temporal pages it, and
its page token travels to the caller sealed: an HMAC over the token and a digest of the
query it belongs to (which names the tenant), so a token cannot be forged, nor used
with another filter or by another tenant. A redriven run's superseded failed attempts
are left out of pages and counts (:mod:`drift_api.run_attempts`), so a run is listed
once, with its true status.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any, Final

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError

from drift_api.engine_errors import rpc_error
from drift_api.problems import ApiError
from drift_api.run_attempts import Attempts, attempt_of
from drift_api.run_query import MAX_LIMIT, QueryValueError, RunFilter, visibility_query
from drift_models import Problem, RunPage, RunStatus, RunSummary
from drift_models.visibility import SA_NODE, SA_STATUS, SA_VERSION, SA_WORKFLOW

__all__ = ["MAX_LIMIT", "RunSearch", "drift_status"]

_WORKFLOW: Final = SearchAttributeKey.for_keyword(SA_WORKFLOW)
_VERSION: Final = SearchAttributeKey.for_int(SA_VERSION)
_STATUS: Final = SearchAttributeKey.for_keyword(SA_STATUS)
_NODE: Final = SearchAttributeKey.for_keyword(SA_NODE)
_CLOSED_AS: Final = {
    WorkflowExecutionStatus.FAILED: RunStatus.FAILED,
    WorkflowExecutionStatus.TERMINATED: RunStatus.TERMINATED,
    WorkflowExecutionStatus.CANCELED: RunStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT: RunStatus.TERMINATED,
}


class RunSearch:
    """Lists and counts runs.

    Args:
        client: the Temporal client.
        secret: the key page tokens are sealed with (the same on every API replica,
            or tokens only work on the replica that made them).
        timeout: seconds one visibility call may take.
    """

    def __init__(
        self, client: Client, *, secret: bytes | None = None, timeout: float = 10.0
    ) -> None:
        self._client = client
        self._secret = secret or secrets.token_bytes(32)
        self._timeout = dt.timedelta(seconds=timeout)
        self._attempts = Attempts(client, timeout=self._timeout)

    async def page(
        self, tenant: str, run_filter: RunFilter, *, limit: int, page_token: str | None, total: bool
    ) -> RunPage:
        """One page of the tenant's runs that match ``run_filter``.

        Raises:
            ApiError: 400 for a page token that is not this listing's; 503 when
                Temporal cannot answer.
        """
        query = _query(tenant, run_filter)
        token = None if page_token is None else self._open(page_token, query)
        listing = self._client.list_workflows(
            query, page_size=limit, next_page_token=token, rpc_timeout=self._timeout
        )
        try:
            await listing.fetch_next_page()
            current = await self._attempts.current(tenant, listing.current_page or [])
            count = await self._count(tenant, query, run_filter) if total else None
        except RPCError as error:
            raise _unanswered(error) from None
        items = [_summary(tenant, execution) for execution in current]
        following = listing.next_page_token
        return RunPage(
            items=items,
            next_page_token=None if not following else self._seal(following, query),
            total=count,
        )

    async def count(self, tenant: str, run_filter: RunFilter) -> int:
        """How many of the tenant's runs match ``run_filter``."""
        try:
            return await self._count(tenant, _query(tenant, run_filter), run_filter)
        except RPCError as error:
            raise _unanswered(error) from None

    async def _count(self, tenant: str, query: str, run_filter: RunFilter) -> int:
        counted = await self._client.count_workflows(query, rpc_timeout=self._timeout)
        superseded = await self._attempts.superseded_count(tenant, query, run_filter)
        return counted.count - superseded

    # -- page tokens -------------------------------------------------------------------

    def _seal(self, token: bytes, query: str) -> str:
        body = json.dumps(
            {"q": _digest(query), "t": base64.b64encode(token).decode()}, separators=(",", ":")
        ).encode()
        mac = hmac.new(self._secret, body, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")

    def _open(self, sealed: str, query: str) -> bytes:
        token = self._unseal(sealed, query)
        if token is None:
            message = (
                "pageToken is not a token of this listing: pass the nextPageToken of the "
                "previous page, with the same filters"
            )
            raise ApiError(
                422,
                "Invalid Page Token",
                message,
                [Problem(path="$.pageToken", message=message, code="page-token-invalid")],
            )
        return token

    def _unseal(self, sealed: str, query: str) -> bytes | None:
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            mac, body = raw[:16], raw[16:]
            expected = hmac.new(self._secret, body, hashlib.sha256).digest()[:16]
            if not hmac.compare_digest(mac, expected):
                return None
            content: Any = json.loads(body)
            if not isinstance(content, dict) or content.get("q") != _digest(query):
                return None
            return base64.b64decode(str(content["t"]), validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None


def _query(tenant: str, run_filter: RunFilter) -> str:
    try:
        return visibility_query(tenant, run_filter)
    except QueryValueError as error:
        # The parameters were checked before; this is the last line of defence.
        raise ApiError(400, "Invalid Filter", f"a filter value cannot be used: {error}") from None


def _digest(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:32]


def _unanswered(error: RPCError) -> ApiError:
    mapped = rpc_error(error, "listing")
    if mapped.status == 404:  # noqa: PLR2004 - Temporal has no such namespace: not the caller's
        return ApiError(
            503, "Engine Unavailable", "Temporal cannot list runs now", headers={"Retry-After": "1"}
        )
    return mapped


def _summary(tenant: str, execution: WorkflowExecution) -> RunSummary:
    attributes = execution.typed_search_attributes
    shown = attributes.get(_STATUS)
    status = drift_status(execution.status, shown)
    return RunSummary(
        workflow_id=execution.id.removeprefix(f"{tenant}/"),
        workflow_definition_id=attributes.get(_WORKFLOW) or "",
        workflow_version=attributes.get(_VERSION),
        workflow_status=status,
        current_node=attributes.get(_NODE),
        started_at=execution.start_time.astimezone(dt.UTC),
        closed_at=None if execution.close_time is None else execution.close_time.astimezone(dt.UTC),
        redrives=attempt_of(execution),
    )


def drift_status(closed: WorkflowExecutionStatus | None, shown: str | None) -> RunStatus:
    """The Drift status, by the same rules as the query's status terms."""
    try:
        drift = RunStatus(shown) if shown else RunStatus.RUNNING
    except ValueError:
        drift = RunStatus.RUNNING
    if closed in (None, WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.CONTINUED_AS_NEW):
        return RunStatus.RUNNING if drift is RunStatus.CREATED else drift
    if closed is WorkflowExecutionStatus.COMPLETED:
        return drift if drift.is_final else RunStatus.COMPLETED
    return _CLOSED_AS.get(closed, RunStatus.TERMINATED)
