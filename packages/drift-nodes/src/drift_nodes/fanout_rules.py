"""The pure rules of PARALLEL and MAP states: a MAP's items, what a path may do, the joins.

The worker runs fan-out paths side by side through Temporal
(``drift_worker.fanout``); the scenario runner runs them one after the other. Both read
these rules, so a join records the same values and fails with the same message:

- a path runs from its first state to the state that has no ``nextNode``; a state that
  shows a view, waits, starts a child run or ends the run fails the path;
- PARALLEL: the outputs of each completed branch are recorded in branch order, then
  ``{state}:branches`` (each branch's status) and, when no branch failed, ``{state}``:
  branch name → the output of the branch's last state;
- MAP: ``{state}`` is ``{"results": [...], "failures": [{"index", "error"}]}`` (results
  in item order, ``null`` for a failed item); more failures than tolerated fail it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from drift_models import PathNotFoundError, RunContext, WorkflowDefinition, parameter_ref

__all__ = [
    "PATH_REFUSAL",
    "FanoutRuleError",
    "PathOutcome",
    "map_failure",
    "map_items",
    "map_value",
    "parallel_join",
    "path_refusal",
]

PATH_REFUSAL: Final = "shows a view, waits, starts a child run or ends the run"
"""What a state of a fan-out path may not do."""


class FanoutRuleError(Exception):
    """A fan-out state cannot run (its MAP items are not a list, say); final, no retry."""


@dataclass(frozen=True, slots=True)
class PathOutcome:
    """How one path (a branch or a MAP item) ended.

    Attributes:
        outputs: each state's output, in the order run.
        error: why the path failed (``None``: it completed).
        cancelled: it was stopped because another branch failed first.
    """

    outputs: list[tuple[str, Any]] = field(default_factory=list)
    error: str | None = None
    cancelled: bool = False


def path_refusal(state: str) -> str:
    """The failure of a path whose ``state`` did what a path may not do."""
    return f"{state!r} {PATH_REFUSAL}, which a branch or MAP item cannot do"


def map_items(workflow: WorkflowDefinition, owner: str, context: RunContext) -> list[Any]:
    """The items of MAP ``owner`` in ``context``.

    Raises:
        FanoutRuleError: when ``owner`` is no MAP or its items are not a readable list.
    """
    spec = workflow.states[owner].map
    if spec is None:
        msg = f"{owner!r} is not a MAP state"
        raise FanoutRuleError(msg)
    ref = parameter_ref(spec.items)
    if ref is None:  # pragma: no cover - the DSL requires a $.-path
        msg = f"MAP {owner!r}: items {spec.items!r} is not a $.-path"
        raise FanoutRuleError(msg)
    try:
        items = context.lookup(ref.path)
    except PathNotFoundError as error:
        msg = f"MAP {owner!r}: {spec.items} cannot be read: {error.reason}"
        raise FanoutRuleError(msg) from None
    if not isinstance(items, list):
        kind = type(items).__name__
        msg = f"MAP {owner!r}: {spec.items} is a {kind}, not a list of items"
        raise FanoutRuleError(msg)
    return items


def parallel_join(
    state: str, branches: Sequence[tuple[str, PathOutcome]]
) -> tuple[list[tuple[str, Any]], str | None]:
    """The records of a PARALLEL join, in order, and its failure (``None``: it joined)."""
    records: list[tuple[str, Any]] = []
    joined: dict[str, Any] = {}
    outcomes: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    for name, outcome in branches:
        if outcome.cancelled:
            outcomes[name] = {"status": "CANCELLED"}
        elif outcome.error is None:
            records.extend(outcome.outputs)
            joined[name] = outcome.outputs[-1][1] if outcome.outputs else None
            outcomes[name] = {"status": "COMPLETED"}
        else:
            outcomes[name] = {"status": "FAILED", "error": outcome.error}
            failures.append(f"branch {name!r} failed: {outcome.error}")
    records.append((f"{state}:branches", outcomes))
    if failures:
        return records, "; ".join(failures)
    records.append((state, joined))
    return records, None


def map_value(results: list[Any], failures: Sequence[tuple[int, str]]) -> dict[str, Any]:
    """A MAP state's output: the results in item order and each failure."""
    return {
        "results": results,
        "failures": [{"index": index, "error": error} for index, error in failures],
    }


def map_failure(size: int, tolerated: int, failures: Sequence[tuple[int, str]]) -> str | None:
    """Why a MAP of ``size`` items fails with ``failures`` (``None``: it tolerates them)."""
    if len(failures) <= tolerated:
        return None
    index, error = failures[0]
    return f"{len(failures)} item(s) of {size} failed, {tolerated} tolerated; item {index}: {error}"
