"""The visibility query composer: typed values only, one quoting function, tenant sealed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from temporalio.client import WorkflowExecutionStatus

from drift_api.run_query import ID_PATTERN, QueryValueError, RunFilter, literal, visibility_query
from drift_api.run_search import drift_status
from drift_models import RunStatus

_ID = re.compile(ID_PATTERN)
_STRING = re.compile(r"'[^'\"\\]*'")


def _outside_strings(query: str) -> str:
    """The query with every string literal blanked: what the server parses as syntax."""
    return _STRING.sub("''", query)


@given(st.text(max_size=300))
def test_literal_quotes_plain_text_or_refuses(value: str) -> None:
    try:
        quoted = literal(value)
    except QueryValueError:
        assert not re.fullmatch(r"[\w.:@/\-]{1,257}", value)
    else:
        assert quoted == f"'{value}'"
        assert not set(value) & set("'\"\\`\n\r\t ()=<>!")


@given(st.text(max_size=60))
def test_a_value_that_passes_the_parameter_pattern_never_becomes_syntax(value: str) -> None:
    if not _ID.fullmatch(value):
        return
    for run_filter in (
        RunFilter(workflow_definition_id=value),
        RunFilter(current_node=value, client_id=value, user_id=value),
    ):
        query = visibility_query("acme", run_filter)
        # With the values blanked, the syntax is the same whatever the value was.
        same = visibility_query(
            "acme",
            RunFilter(
                workflow_definition_id="x" if run_filter.workflow_definition_id else None,
                current_node="x" if run_filter.current_node else None,
                client_id="x" if run_filter.client_id else None,
                user_id="x" if run_filter.user_id else None,
            ),
        )
        assert _outside_strings(query) == _outside_strings(same)


@pytest.mark.parametrize(
    "attack",
    [
        "x' OR DriftTenant = 'other",
        'x" OR 1=1',
        "x\\' OR 1=1",
        "x') OR ('1'='1",
        "x\nOR",
        "",
    ],
)
def test_injection_attempts_are_refused(attack: str) -> None:
    assert not _ID.fullmatch(attack)
    with pytest.raises(QueryValueError):
        visibility_query("acme", RunFilter(current_node=attack))


def test_the_tenant_is_always_sealed_in() -> None:
    query = visibility_query("acme", RunFilter())
    assert "DriftTenant = 'acme'" in query
    assert "WorkflowId STARTS_WITH 'acme/'" in query
    assert "WorkflowType = 'drift.run'" in query
    with pytest.raises(QueryValueError):
        visibility_query("acme' OR '1'='1", RunFilter())


def test_every_filter_in_one_query() -> None:
    at = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    query = visibility_query(
        "acme",
        RunFilter(
            workflow_definition_id="refund",
            version=3,
            statuses=(RunStatus.WAITING, RunStatus.FAILED, RunStatus.TERMINATED),
            current_node="confirmRefund",
            client_id="console",
            started_after=at,
            closed_before=at + dt.timedelta(hours=1),
        ),
    )
    assert "DriftWorkflow = 'refund'" in query
    assert "DriftVersion = 3" in query
    assert "DriftNode = 'confirmRefund'" in query
    assert "(ExecutionStatus = 'Running' AND DriftStatus IN ('WAITING'))" in query
    assert "ExecutionStatus = 'Failed'" in query
    assert "StartTime >= '2026-12-01T12:00:00.000000Z'" in query
    assert "CloseTime < '2026-12-01T13:00:00.000000Z'" in query
    assert "ORDER BY" not in query  # SQL visibility refuses it


def test_a_time_without_offset_is_refused() -> None:
    with pytest.raises(QueryValueError):
        literal(dt.datetime(2026, 12, 1, 12))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("closed", "shown", "status"),
    [
        (None, "WAITING", RunStatus.WAITING),
        (WorkflowExecutionStatus.RUNNING, None, RunStatus.RUNNING),
        (WorkflowExecutionStatus.COMPLETED, "COMPLETED", RunStatus.COMPLETED),
        (WorkflowExecutionStatus.COMPLETED, "TERMINATED", RunStatus.TERMINATED),
        (WorkflowExecutionStatus.FAILED, "FAILED", RunStatus.FAILED),
        (WorkflowExecutionStatus.CANCELED, "TERMINATED", RunStatus.TERMINATED),
        (WorkflowExecutionStatus.TERMINATED, "WAITING", RunStatus.TERMINATED),
    ],
)
def test_an_items_status_follows_the_query_rules(
    closed: WorkflowExecutionStatus | None, shown: str | None, status: RunStatus
) -> None:
    assert drift_status(closed, shown) is status
