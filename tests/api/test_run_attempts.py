"""Unit tests of the superseded-attempt checks against a fake visibility client."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from drift_api.run_attempts import Attempts
from drift_api.run_query import RunFilter
from drift_models import RunStatus


class _Visibility:
    """Answers every list query with one error, and remembers the queries."""

    def __init__(self, status: RPCStatusCode) -> None:
        self.status = status
        self.queries: list[str] = []

    def list_workflows(self, query: str, **_: Any) -> _Failing:
        self.queries.append(query)

        return _Failing(RPCError("unknown search attribute DriftAttempt", self.status, b""))


class _Failing:
    """An async iterator whose first step raises ``error``."""

    def __init__(self, error: RPCError) -> None:
        self.error = error

    def __aiter__(self) -> _Failing:
        return self

    async def __anext__(self) -> Any:
        raise self.error


def _attempts(visibility: _Visibility) -> Attempts:
    return Attempts(cast("Client", visibility), timeout=dt.timedelta(seconds=1))


async def test_a_namespace_without_drift_attempt_has_no_superseded_runs() -> None:
    visibility = _Visibility(RPCStatusCode.INVALID_ARGUMENT)
    counted = await _attempts(visibility).superseded_count("t1", "q", RunFilter())
    assert counted == 0
    assert len(visibility.queries) == 1
    assert "DriftAttempt >= 1" in visibility.queries[0]
    assert "DriftTenant = 't1'" in visibility.queries[0]


async def test_other_visibility_errors_are_not_hidden() -> None:
    visibility = _Visibility(RPCStatusCode.UNAVAILABLE)
    with pytest.raises(RPCError):
        await _attempts(visibility).superseded_count("t1", "q", RunFilter())


async def test_a_filter_without_failed_asks_nothing() -> None:
    visibility = _Visibility(RPCStatusCode.UNAVAILABLE)
    only_open = RunFilter(statuses=(RunStatus.WAITING, RunStatus.COMPLETED))
    assert await _attempts(visibility).superseded_count("t1", "q", only_open) == 0
    assert visibility.queries == []
