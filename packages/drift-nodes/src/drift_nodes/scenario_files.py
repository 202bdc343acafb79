"""Scenario files: how a workflow author says what a run should do (see docs/scenarios.md).

A scenario file is a JSON object with a ``scenarios`` key: the workflow it tests and a
list of scenarios, each with start parameters, mocked node answers by state, answers
for views, event payloads and what the run must show at its end. Decoding is strict,
like every Drift document: an unknown field or a wrong type is refused with its path.
"""

from __future__ import annotations

from typing import Any

import msgspec

from drift_models import RunStatus, decode_strict

__all__ = [
    "ChildMock",
    "Expectation",
    "MockedError",
    "MockedResponse",
    "NodeMock",
    "Scenario",
    "ScenarioFile",
    "decode_scenario_file",
]


class _ScenarioStruct(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True, rename="camel"
):
    """Base of the scenario file's types: camelCase JSON, strict, immutable."""


class MockedError(_ScenarioStruct, kw_only=True, frozen=True):
    """A node's failure after its retries (the failure routing runs).

    Attributes:
        message: the error, as the node would say it.
    """

    message: str


class MockedResponse(_ScenarioStruct, kw_only=True, frozen=True):
    """What the service answers an HTTP node (the node itself runs).

    Attributes:
        status: the HTTP status.
        headers: the response headers.
        body: the decoded body.
    """

    status: int = 200
    headers: dict[str, str] = {}
    body: Any = None


class NodeMock(_ScenarioStruct, kw_only=True, frozen=True):
    """What a node answers on one visit instead of running, or an HTTP node's response.

    Attributes:
        output: the node's output (when it does not fail).
        next_node: the state it chooses, as a BRANCH does (else the state's ``nextNode``).
        disposition: the disposition it sets.
        error: the node's failure, if it fails.
        response: for an HTTP node: the service's answer; the node runs for real on it
            (its ``successStatuses`` and response transformer included), the other
            fields are then not used.
    """

    output: Any = None
    next_node: str | None = None
    disposition: str | None = None
    error: MockedError | None = None
    response: MockedResponse | None = None


class ChildMock(_ScenarioStruct, kw_only=True, frozen=True):
    """How a child run of a given workflow ends, instead of running it.

    Attributes:
        output: the child's output.
        status: COMPLETED, or FAILED (the parent's state fails).
        error_message: why the child failed.
    """

    output: Any = None
    status: RunStatus = RunStatus.COMPLETED
    error_message: str | None = None


class Expectation(_ScenarioStruct, kw_only=True, frozen=True):
    """What the run must show at its end; every part is optional.

    Attributes:
        path: the states run, in order (post-completion states after the terminal).
        status: the run's status at the end (``WAITING`` when it stops at a view).
        disposition: the run's disposition.
        output: the run's output; objects match when every key given matches.
        context: ``$.`` path → value, each matched the same way.
    """

    path: list[str] | None = None
    status: RunStatus | None = None
    disposition: str | None = None
    output: Any | msgspec.UnsetType = msgspec.UNSET
    context: dict[str, Any] = {}


class Scenario(_ScenarioStruct, kw_only=True, frozen=True):
    """One run of the workflow, its inputs and what it must do.

    Attributes:
        name: what the scenario shows, for reports.
        params: the start parameters.
        enum_store: the tenant's lookup values the run sees.
        mocks: state → its answers, one per visit (the last repeats).
        answers: state → the ``selectedOptions`` of each visit of its view.
        events: event name → payloads, in arrival order.
        children: child workflow id → how its runs end.
        expect: what the run must show.
    """

    name: str
    params: dict[str, Any] = {}
    enum_store: dict[str, Any] = {}
    mocks: dict[str, list[NodeMock]] = {}
    answers: dict[str, list[dict[str, list[str]]]] = {}
    events: dict[str, list[Any]] = {}
    children: dict[str, ChildMock] = {}
    expect: Expectation = Expectation()


class ScenarioFile(_ScenarioStruct, kw_only=True, frozen=True):
    """A file of scenarios for one workflow.

    Attributes:
        workflow: the id of the workflow under test.
        scenarios: its scenarios.
    """

    workflow: str
    scenarios: list[Scenario]


def decode_scenario_file(data: bytes | str) -> ScenarioFile:
    """Decode a scenario file strictly.

    Raises:
        drift_models.DocumentError: naming each wrong field by its JSON path.
    """
    decoded: ScenarioFile = decode_strict(data, ScenarioFile, what="scenario file")
    return decoded
