"""One scenario run in progress, and the steps that need no runner: answers, waits, mocks.

Private to :mod:`drift_nodes.scenarios`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift_models import (
    NodeDefinition,
    ResumeRules,
    RunContext,
    ViewResponse,
    WorkflowDefinition,
)
from drift_nodes.http_transport import HttpReply, HttpRequest, HttpTransport
from drift_nodes.resume import validate_resume
from drift_nodes.scenario_files import MockedResponse, Scenario
from drift_nodes.scenario_reports import ScenarioReport
from drift_nodes.transitions import ViewShown, Wait

__all__ = [
    "ScenarioRun",
    "ScenarioStoppedError",
    "answer_with",
    "answered",
    "definition_of",
    "fanout_context",
    "waited",
]


class ScenarioStoppedError(Exception):
    """The scenario cannot go on (a missing mock, answer or child)."""


@dataclass(slots=True)
class ScenarioRun:
    """One run of a scenario in progress."""

    workflow: WorkflowDefinition
    scenario: Scenario
    report: ScenarioReport
    definitions: Mapping[str, NodeDefinition | None]
    events: dict[str, list[Any]]
    visits: Counter[str] = field(default_factory=Counter)
    depth: int = 0
    """How many SYNC child runs this run is nested in."""


def answer_with(response: MockedResponse) -> HttpTransport:
    """A transport that answers every request with the mocked ``response``."""

    async def answer(request: HttpRequest) -> HttpReply:
        del request  # every request of this visit gets the same answer
        return HttpReply(status=response.status, headers=dict(response.headers), body=response.body)

    return answer


def fanout_context(context: RunContext) -> RunContext:
    """The context a fan-out path starts from: the run's, as it was when the fan-out began."""
    return RunContext(global_=dict(context.global_), enum_store=context.enum_store)


def answered(run: ScenarioRun, decided: ViewShown) -> bool:
    """Record the scenario's answer to this visit of the view; ``False`` when it has none."""
    state = decided.state
    answers = run.scenario.answers.get(state, [])
    visit = run.visits[state]
    if visit > len(answers):
        return False
    response = ViewResponse(selected_options=answers[visit - 1])
    if decided.view is not None:
        # As the workflow checks a resume: the view's rules, else the defaults.
        problems = validate_resume(decided.rules or ResumeRules(), decided.view, response)
        if problems:
            refused = "; ".join(f"{p.path}: {p.message}" for p in problems)
            msg = f"the answer to {state!r} would be refused: {refused}"
            raise ScenarioStoppedError(msg)
    run.report.context.set_view_response(state, response)
    return True


def definition_of(definitions: Mapping[str, NodeDefinition | None], state: str) -> NodeDefinition:
    definition = definitions.get(state)
    if definition is None:
        msg = f"state {state!r} names no node definition that is loaded"
        raise ScenarioStoppedError(msg)
    return definition


def waited(decided: Wait, events: dict[str, list[Any]], context: RunContext) -> str | None:
    """Skip a timer or deliver an event (or its timeout); where the run goes next."""
    if decided.event is None:
        moment = None if decided.until is None else decided.until.isoformat()
        context.set_output(decided.state, {"waitedUntil": moment})
        return decided.next_node
    waiting = events.get(decided.event, [])
    if waiting:
        context.set_output(decided.state, waiting.pop(0))
        return decided.next_node
    context.set_output(decided.state, {"event": decided.event, "timedOut": True})
    return decided.timeout_node or decided.next_node
