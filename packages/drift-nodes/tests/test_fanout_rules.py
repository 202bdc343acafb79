"""The pure fan-out rules the worker and the scenario runner share."""

from __future__ import annotations

import pytest

from drift_models import RunContext, WorkflowDefinition, decode_strict
from drift_nodes.fanout_rules import (
    FanoutRuleError,
    PathOutcome,
    map_failure,
    map_items,
    map_value,
    parallel_join,
    path_refusal,
)

MAP_WORKFLOW = b"""{
  "id": "lines", "parameters": ["ids"], "startNode": "each",
  "states": {
    "each": {"map": {"items": "$.params.ids", "itemNode": "read"}, "nextNode": "done"},
    "read": {"resourceId": "read"},
    "done": {"resourceId": "done"}
  }
}"""


def test_a_parallel_join_records_completed_branches_then_statuses_then_the_join() -> None:
    records, failure = parallel_join(
        "checks",
        [
            ("order", PathOutcome(outputs=[("readOrder", 1), ("summarize", 2)])),
            ("account", PathOutcome(outputs=[("readAccount", 3)])),
        ],
    )
    assert failure is None
    assert records == [
        ("readOrder", 1),
        ("summarize", 2),
        ("readAccount", 3),
        ("checks:branches", {"order": {"status": "COMPLETED"}, "account": {"status": "COMPLETED"}}),
        ("checks", {"order": 2, "account": 3}),
    ]


def test_a_failed_branch_fails_the_join_and_keeps_no_join_value() -> None:
    records, failure = parallel_join(
        "checks",
        [
            ("order", PathOutcome(outputs=[("readOrder", 1)], error="HTTP 500")),
            ("account", PathOutcome(cancelled=True)),
        ],
    )
    assert failure == "branch 'order' failed: HTTP 500"
    assert records == [
        (
            "checks:branches",
            {
                "order": {"status": "FAILED", "error": "HTTP 500"},
                "account": {"status": "CANCELLED"},
            },
        )
    ]


def test_a_map_fails_only_past_its_tolerance() -> None:
    failures = [(1, "missing"), (4, "gone")]
    assert map_value([1, None], failures[:1]) == {
        "results": [1, None],
        "failures": [{"index": 1, "error": "missing"}],
    }
    assert map_failure(5, 2, failures) is None
    assert map_failure(5, 1, failures) == "2 item(s) of 5 failed, 1 tolerated; item 1: missing"
    assert path_refusal("ask") == (
        "'ask' shows a view, waits, starts a child run or ends the run, which a branch or "
        "MAP item cannot do"
    )


def test_map_items_must_be_a_readable_list() -> None:
    workflow = decode_strict(MAP_WORKFLOW, WorkflowDefinition, what="workflow")
    assert map_items(workflow, "each", RunContext.start({"ids": ["a", "b"]})) == ["a", "b"]
    with pytest.raises(FanoutRuleError, match=r"\$\.params\.ids is a str, not a list"):
        map_items(workflow, "each", RunContext.start({"ids": "a"}))
    with pytest.raises(FanoutRuleError, match="cannot be read"):
        map_items(workflow, "each", RunContext.start({}))
    with pytest.raises(FanoutRuleError, match="'read' is not a MAP state"):
        map_items(workflow, "read", RunContext.start({}))
