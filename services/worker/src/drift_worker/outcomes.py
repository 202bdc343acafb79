"""What a step answers: its outcome, and the run's status that goes with it.

The outcome comes from the node that stopped the chain: an end, a view, a wait, a child
run; otherwise the chain goes on to the state that follows.
"""

from __future__ import annotations

from typing import assert_never

from temporalio.exceptions import ApplicationError

from drift_models import InstructionNode, NodeDefinition, RunStatus, WorkflowDefinition
from drift_nodes import (
    Child,
    End,
    Failed,
    Next,
    NodeError,
    NodeResult,
    Transition,
    ViewShown,
    Wait,
    WaitForDuration,
    WaitForEvent,
    WaitUntil,
)
from drift_worker.plan import ChildSpec, EndSpec, Outcome, StepResult, WaitSpec

__all__ = ["node_failure", "status_after", "step_outcome", "step_outcome_of"]


def node_failure(error: NodeError) -> ApplicationError:
    """The activity failure of a node's error: retryable or not, as the node says."""
    kind = "RetryableNodeError" if error.retryable else "PermanentNodeError"
    return ApplicationError(
        error.message, error.details, type=kind, non_retryable=not error.retryable
    )


def step_outcome(
    workflow: WorkflowDefinition,
    name: str,
    definition: NodeDefinition,
    result: NodeResult,
) -> tuple[StepResult | None, str | None]:
    """The step's outcome when ``name`` stops the chain, else the state that follows."""
    state = workflow.states[name]
    following = result.next_node or state.next_node
    if result.is_terminal:
        end = EndSpec(
            status=result.status or RunStatus.COMPLETED,
            disposition=result.disposition,
            error_message=result.error_message,
            output=result.output,
        )
        return StepResult(
            revision=0, outcome=Outcome.END, state=name, end=end, view=result.view
        ), None
    if result.status is RunStatus.WAITING:
        rules = definition.config.rules if isinstance(definition, InstructionNode) else None
        return StepResult(
            revision=0,
            outcome=Outcome.VIEW,
            state=name,
            view=result.view,
            rules=rules,
            next_node=state.next_node,
        ), None
    if result.wait is not None:
        return StepResult(
            revision=0, outcome=Outcome.WAIT, state=name, wait=_wait_spec(result, following)
        ), None
    if result.child is not None:
        child = ChildSpec(
            workflow_definition_id=result.child.workflow_id,
            version=result.child.workflow_version,
            params=dict(result.child.parameters),
            wait=result.child.mode == "SYNC",
            next_node=state.next_node,
        )
        return StepResult(revision=0, outcome=Outcome.CHILD, state=name, child=child), None
    return None, following


def step_outcome_of(decided: Transition) -> tuple[StepResult | None, str | None]:
    """A transition as the step's chain reads it: an outcome that stops it, or the next state.

    ``Next`` goes on in the chain (``None`` outcome); every other transition stops it
    with the outcome the workflow acts on.
    """
    if isinstance(decided, Next):
        return None, decided.state
    name = decided.state
    if isinstance(decided, Failed):
        return StepResult(revision=0, outcome=Outcome.FAILED, state=name, error=decided.error), None
    if isinstance(decided, End):
        end = EndSpec(
            status=decided.status,
            disposition=decided.disposition,
            error_message=decided.error_message,
            output=decided.output,
        )
        return StepResult(
            revision=0, outcome=Outcome.END, state=name, end=end, view=decided.view
        ), None
    if isinstance(decided, ViewShown):
        return StepResult(
            revision=0,
            outcome=Outcome.VIEW,
            state=name,
            view=decided.view,
            rules=decided.rules,
            next_node=decided.next_node,
        ), None
    if isinstance(decided, Wait):
        wait = WaitSpec(
            duration_seconds=decided.duration_seconds,
            until=decided.until,
            event=decided.event,
            timeout_seconds=decided.timeout_seconds,
            timeout_node=decided.timeout_node,
            next_node=decided.next_node,
        )
        return StepResult(revision=0, outcome=Outcome.WAIT, state=name, wait=wait), None
    if isinstance(decided, Child):
        child = ChildSpec(
            workflow_definition_id=decided.workflow_id,
            version=decided.version,
            params=dict(decided.params),
            wait=decided.wait,
            next_node=decided.next_node,
        )
        return StepResult(revision=0, outcome=Outcome.CHILD, state=name, child=child), None
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


def _wait_spec(result: NodeResult, following: str | None) -> WaitSpec:
    wait = result.wait
    if isinstance(wait, WaitForDuration):
        return WaitSpec(duration_seconds=wait.seconds, next_node=following)
    if isinstance(wait, WaitUntil):
        return WaitSpec(until=wait.moment, next_node=following)
    if isinstance(wait, WaitForEvent):
        return WaitSpec(
            event=wait.name,
            timeout_seconds=wait.timeout_seconds,
            timeout_node=wait.timeout_node,
            next_node=following,
        )
    return WaitSpec(next_node=following)
