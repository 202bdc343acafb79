"""What a step answers: its outcome, and the run's status that goes with it.

What comes after a node ran is decided by :func:`drift_nodes.transition`; here that
decision becomes the step's outcome: an end, a view, a wait, a child run, a failure, or
(``Next``) the state the chain goes on with.
"""

from __future__ import annotations

from typing import assert_never

from temporalio.exceptions import ApplicationError

from drift_models import RunStatus
from drift_nodes import Child, End, Failed, Next, NodeError, Transition, ViewShown, Wait
from drift_worker.plan import ChildSpec, EndSpec, Outcome, StepResult, WaitSpec

__all__ = ["node_failure", "status_after", "step_outcome_of"]


def node_failure(error: NodeError) -> ApplicationError:
    """The activity failure of a node's error: retryable or not, as the node says."""
    kind = "RetryableNodeError" if error.retryable else "PermanentNodeError"
    return ApplicationError(
        error.message, error.details, type=kind, non_retryable=not error.retryable
    )


def step_outcome_of(decided: Transition) -> StepResult | str:
    """A transition as the step's chain reads it: the outcome that stops it, or the next state.

    ``Next`` goes on in the chain (its state's name); every other transition stops it
    with the outcome the workflow acts on.
    """
    if isinstance(decided, Next):
        return decided.state
    name = decided.state
    if isinstance(decided, Failed):
        return StepResult(revision=0, outcome=Outcome.FAILED, state=name, error=decided.error)
    if isinstance(decided, End):
        end = EndSpec(
            status=decided.status,
            disposition=decided.disposition,
            error_message=decided.error_message,
            output=decided.output,
        )
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
        wait = WaitSpec(
            duration_seconds=decided.duration_seconds,
            until=decided.until,
            event=decided.event,
            timeout_seconds=decided.timeout_seconds,
            timeout_node=decided.timeout_node,
            next_node=decided.next_node,
        )
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


def status_after(outcome: StepResult) -> RunStatus:
    """The run's status once a step with this outcome is written."""
    if outcome.outcome is Outcome.VIEW:
        return RunStatus.WAITING
    if outcome.outcome is Outcome.WAIT:
        return RunStatus.SCHEDULER_WAITING
    if outcome.outcome is Outcome.END and outcome.end is not None:
        return outcome.end.status
    return RunStatus.RUNNING
