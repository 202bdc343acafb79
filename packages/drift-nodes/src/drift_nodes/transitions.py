"""What comes after a node ran: the engine's one transition function.

:func:`transition` reads a workflow definition, the state that ran, its node definition
and the node's :class:`~drift_nodes.results.NodeResult`, and answers one
:data:`Transition`: go on to a state, show a view, wait, start a child run, end the run,
or fail because the run cannot go on. It is pure (no I/O, no clock, no Temporal), so the
worker's step activity, a scenario runner and property tests all ask it the same question
and get the same answer.

What it does *not* decide: whether the next state runs in the same step (a pure chain,
its length, a fan-out state: the worker's business). Where a failure goes — a node that
raised after its retries has no result to read, and a ``Failed`` transition — is
:func:`failure_target`'s answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, assert_never

import msgspec

from drift_models import (
    InstructionNode,
    NodeDefinition,
    ResumeRules,
    RunStatus,
    View,
    WorkflowDefinition,
)
from drift_nodes.results import NodeResult, WaitForDuration, WaitForEvent, WaitUntil

__all__ = [
    "Child",
    "End",
    "Failed",
    "Next",
    "Transition",
    "ViewShown",
    "Wait",
    "failure_target",
    "transition",
]


class _TransitionStruct(
    msgspec.Struct, kw_only=True, frozen=True, rename="camel", tag_field="type"
):
    """Base of the transitions: camelCase JSON tagged on ``type``, immutable."""


class Next(_TransitionStruct, tag="NEXT", kw_only=True, frozen=True):
    """The run goes on at ``state``.

    Attributes:
        state: the state to run next (a BRANCH's choice, else the state's ``nextNode``).
    """

    state: str


class ViewShown(_TransitionStruct, tag="VIEW", kw_only=True, frozen=True):
    """``state`` shows ``view`` and waits for a person's answer.

    Attributes:
        state: the state that shows the view.
        view: the view.
        rules: what the answer must satisfy (INSTRUCTION nodes), if anything.
        next_node: where the run goes after the answer (``None``: nowhere, so the run
            fails once answered).
    """

    state: str
    view: View | None = None
    rules: ResumeRules | None = None
    next_node: str | None = None


class Wait(_TransitionStruct, tag="WAIT", kw_only=True, frozen=True):
    """``state`` pauses the run: for a duration, until a moment, or for an event.

    Attributes:
        state: the waiting state.
        duration_seconds: wait this long, if set.
        until: wait until this moment, if set.
        event: the event's name, if it waits for one.
        timeout_seconds: how long to wait for the event, if limited.
        timeout_node: where the run goes when the event times out (else ``next_node``).
        next_node: where the run goes afterwards.
    """

    state: str
    duration_seconds: float | None = None
    until: dt.datetime | None = None
    event: str | None = None
    timeout_seconds: float | None = None
    timeout_node: str | None = None
    next_node: str | None = None


class Child(_TransitionStruct, tag="CHILD", kw_only=True, frozen=True):
    """``state`` starts a child run.

    Attributes:
        state: the state that starts it.
        workflow_id: the child's workflow definition.
        version: its version reference (a number, ``SNAPSHOT``, ``LATEST``, ``ACTIVE``).
        params: its start parameters, rendered.
        wait: whether the parent waits for the child's result (SYNC).
        next_node: where the parent goes afterwards.
    """

    state: str
    workflow_id: str
    version: int | str = "ACTIVE"
    params: dict[str, Any] = {}
    wait: bool = True
    next_node: str | None = None


class End(_TransitionStruct, tag="END", kw_only=True, frozen=True):
    """``state`` ended the run.

    Attributes:
        state: the terminal state.
        status: COMPLETED or FAILED.
        disposition: the outcome label.
        error_message: why it failed (FAILURE).
        output: the run's result.
        view: a final view, if the terminal has one.
    """

    state: str
    status: RunStatus
    disposition: str | None = None
    error_message: str | None = None
    output: Any = None
    view: View | None = None


class Failed(_TransitionStruct, tag="FAILED", kw_only=True, frozen=True):
    """The run cannot go on after ``state``; the failure is routed like a node's.

    Attributes:
        state: the state after which there is nowhere to go.
        error: why, for a person.
    """

    state: str
    error: str


Transition = Next | ViewShown | Wait | Child | End | Failed
"""What comes after a node ran (tagged on ``type``)."""


def transition(
    workflow: WorkflowDefinition,
    state: str,
    definition: NodeDefinition,
    result: NodeResult,
) -> Transition:
    """What comes after ``state`` (run with ``definition``) answered ``result``.

    The first that applies wins: a terminal result ends the run; a ``WAITING`` status
    shows its view; a wait pauses; a child start starts a child; otherwise the run goes
    on at the result's ``next_node`` (a BRANCH's choice) or the state's ``nextNode``, and
    fails when there is neither.

    Args:
        workflow: the pinned workflow definition.
        state: the instance name of the state that ran.
        definition: its node definition.
        result: what its node answered.

    Raises:
        KeyError: ``state`` is not a state of ``workflow``.
    """
    node = workflow.states[state]
    following = result.next_node or node.next_node
    if result.is_terminal:
        return End(
            state=state,
            status=result.status or RunStatus.COMPLETED,
            disposition=result.disposition,
            error_message=result.error_message,
            output=result.output,
            view=result.view,
        )
    if result.status is RunStatus.WAITING:
        rules = definition.config.rules if isinstance(definition, InstructionNode) else None
        # After an answer the run goes where the state says: a view never branches.
        return ViewShown(state=state, view=result.view, rules=rules, next_node=node.next_node)
    if result.wait is not None:
        return _wait(state, result, following)
    if result.child is not None:
        start = result.child
        return Child(
            state=state,
            workflow_id=start.workflow_id,
            version=start.workflow_version,
            params=dict(start.parameters),
            wait=start.mode == "SYNC",
            next_node=node.next_node,
        )
    if following is None:
        return Failed(state=state, error=f"{state!r} has no nextNode, so the run cannot go on")
    return Next(state=following)


def failure_target(
    state: str, *, on_error: str | None, default_failure_node: str | None
) -> str | None:
    """Where the run goes when ``state`` failed; ``None`` when the run fails there.

    The state's ``onError`` wins, else the workflow's ``defaultFailureNode``; the default
    failure node failing itself ends the run (it would only fail again).

    Args:
        state: the state that failed.
        on_error: the state's ``onError``.
        default_failure_node: the workflow's ``defaultFailureNode``.
    """
    if state == default_failure_node:
        return None
    return on_error or default_failure_node


def _wait(state: str, result: NodeResult, following: str | None) -> Wait:
    wait = result.wait
    if isinstance(wait, WaitForDuration):
        return Wait(state=state, duration_seconds=wait.seconds, next_node=following)
    if isinstance(wait, WaitUntil):
        return Wait(state=state, until=wait.moment, next_node=following)
    if isinstance(wait, WaitForEvent):
        return Wait(
            state=state,
            event=wait.name,
            timeout_seconds=wait.timeout_seconds,
            timeout_node=wait.timeout_node,
            next_node=following,
        )
    if wait is None:  # pragma: no cover - the caller checked
        return Wait(state=state, next_node=following)
    assert_never(wait)
