"""What a step answers: its outcome, and the run's status that goes with it.

What comes after a node ran is decided by :func:`drift_nodes.transition`; here that
decision becomes the step's answer (:func:`step_result_of`): an end, a view, a wait, a
child run, a failure, or (``Next``) the state the chain was cut before. The answer
travels as a :class:`~drift_worker.plan.StepResult` (an enum plus optional fields: the
shape recorded histories hold); :func:`transition_of` turns it back into the transition
the workflow acts on, so neither side reads the enum's fields by hand.
"""

from __future__ import annotations

from typing import Any, assert_never

import msgspec
from temporalio.exceptions import ApplicationError

from drift_models import RunStatus
from drift_nodes import Child, End, Failed, Next, NodeError, Transition, ViewShown, Wait
from drift_worker.plan import ChildSpec, EndSpec, Outcome, StepResult, WaitSpec

__all__ = ["node_failure", "status_after", "step_result_of", "transition_of"]


def node_failure(error: NodeError) -> ApplicationError:
    """The activity failure of a node's error: retryable or not, as the node says."""
    kind = "RetryableNodeError" if error.retryable else "PermanentNodeError"
    return ApplicationError(
        error.message, error.details, type=kind, non_retryable=not error.retryable
    )


def step_result_of(decided: Transition) -> StepResult:
    """A step's answer for the transition that stopped its chain (``revision`` still 0).

    ``Next`` is a chain cut before ``state`` (the workflow runs it next); every other
    transition carries the details the workflow acts on.
    """
    name = decided.state
    if isinstance(decided, Next):
        return StepResult(revision=0, outcome=Outcome.NEXT, state=name)
    if isinstance(decided, Failed):
        return StepResult(revision=0, outcome=Outcome.FAILED, state=name, error=decided.error)
    if isinstance(decided, End):
        end = EndSpec(**_same_fields(decided, EndSpec))
        return StepResult(revision=0, outcome=Outcome.END, state=name, end=end, view=decided.view)
    if isinstance(decided, ViewShown):
        return StepResult(
            revision=0,
            outcome=Outcome.VIEW,
            state=name,
            view=decided.view,
            rules=decided.rules,
            next_node=decided.next_node,
        )
    if isinstance(decided, Wait):
        wait = WaitSpec(**_same_fields(decided, WaitSpec))
        return StepResult(revision=0, outcome=Outcome.WAIT, state=name, wait=wait)
    if isinstance(decided, Child):
        child = ChildSpec(
            workflow_definition_id=decided.workflow_id,
            version=decided.version,
            params=dict(decided.params),
            wait=decided.wait,
            next_node=decided.next_node,
        )
        return StepResult(revision=0, outcome=Outcome.CHILD, state=name, child=child)
    assert_never(decided)


def status_after(decided: Transition) -> RunStatus:
    """The run's status once the step that stopped at ``decided`` is written."""
    if isinstance(decided, ViewShown):
        return RunStatus.WAITING
    if isinstance(decided, Wait):
        return RunStatus.SCHEDULER_WAITING
    if isinstance(decided, End):
        return decided.status
    return RunStatus.RUNNING


def transition_of(result: StepResult) -> Transition:
    """The transition a step's outcome carries: what the workflow does next.

    The inverse of :func:`step_result_of`: ``NEXT`` (a chain cut before an I/O state, a
    fan-out or its length limit) reads as going on at ``result.state``. An outcome
    without the details its kind needs (a step of a broken build) reads as ``Failed``,
    so the run routes it like any failure.
    """
    name = result.state
    outcome = result.outcome
    if outcome is Outcome.NEXT:
        return Next(state=name)
    if outcome is Outcome.FAILED:
        return Failed(state=name, error=result.error or "the node failed")
    if outcome is Outcome.VIEW:
        return ViewShown(
            state=name, view=result.view, rules=result.rules, next_node=result.next_node
        )
    detailed = _detailed_transition(result)
    if detailed is None:
        return Failed(state=name, error=f"the step answered {outcome} without its details")
    return detailed


def _detailed_transition(result: StepResult) -> End | Wait | Child | None:
    """The END, WAIT or CHILD outcome as a transition; ``None`` without its details."""
    name = result.state
    outcome = result.outcome
    if outcome is Outcome.END and result.end is not None:
        return End(state=name, view=result.view, **_same_fields(result.end, EndSpec))
    if outcome is Outcome.WAIT and result.wait is not None:
        return Wait(state=name, **_same_fields(result.wait, WaitSpec))
    if outcome is Outcome.CHILD and result.child is not None:
        child = result.child
        return Child(
            state=name,
            workflow_id=child.workflow_definition_id,
            version=child.version,
            params=dict(child.params),
            wait=child.wait,
            next_node=child.next_node,
        )
    return None


def _same_fields(source: msgspec.Struct, spec: type[msgspec.Struct]) -> dict[str, Any]:
    """``source``'s values of ``spec``'s fields (a spec and its transition share names)."""
    return {name: getattr(source, name) for name in spec.__struct_fields__}
