"""A run's pinning and its first step in one activity, when the starter says which kind.

Without a hint a run pins its definitions in a local activity of its own
(``drift.begin``) and runs its first step after it. With
:attr:`drift_models.RunInput.start_activity` set, the workflow schedules one
``drift.begin-step`` activity of that kind straight away: it pins the run, then runs the
start state and the pure states after it, as a step does. One local activity (a marker
in the history, and the SDK's work for it) fewer per run.

A wrong hint never does harm. A *local* one on a state that turns out to do I/O (or
fans out) only pins, and answers without a step: the workflow runs the step apart, as
today. A *regular* one on a pure state runs it all the same, only slower. The first
step's node failure is answered as a value (:class:`FirstStepFailure`), never as the
activity's failure, so the activity keeps the engine's retry policy and the node's own
policy still decides what comes after the first attempt (the workflow's
:meth:`~drift_worker.run_steps.RunSteps._step`). A store outage in the step answers
without a step too: the workflow runs the same step again, waiting the outage out, and
the step's write receipt keeps the node from running twice.
"""

from __future__ import annotations

from typing import Final

import msgspec

from drift_models import RetryPolicy
from drift_worker.plan import BeginResult, StepResult

__all__ = ["ACTIVITY_BEGIN_STEP", "BeginStepResult", "FirstStepFailure", "later_attempts"]

ACTIVITY_BEGIN_STEP: Final = "drift.begin-step"
"""(Local) activity: pin the run, then run its first step (answers a BeginStepResult)."""


class FirstStepFailure(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The first attempt of the start state's node failed.

    Attributes:
        message: the node's error.
        retryable: whether the node's retry policy may try again.
    """

    message: str
    retryable: bool


class BeginStepResult(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A pinned run, and its first step if it ran.

    Attributes:
        begun: the pinned plan and the new context's revision.
        step: the first step's answer, as ``drift.step`` gives it.
        failure: when the first step's node failed (its first attempt is spent).
    """

    begun: BeginResult
    step: StepResult | None = None
    failure: FirstStepFailure | None = None


def later_attempts(policy: RetryPolicy) -> RetryPolicy:
    """The retry policy of the attempts after the first one, which has already run.

    Counted from the second attempt: one attempt fewer (``0``, no limit, stays), and the
    first wait the one that came after the second attempt. Not for a policy of one
    attempt (no attempt is left: the state has failed).
    """
    if policy.maximum_attempts == 1:
        msg = "a policy of one attempt has none after the first"
        raise ValueError(msg)
    interval = policy.initial_interval_seconds * policy.backoff_coefficient
    if policy.maximum_interval_seconds is not None:
        interval = min(interval, policy.maximum_interval_seconds)
    attempts = policy.maximum_attempts - 1 if policy.maximum_attempts else 0
    return msgspec.structs.replace(
        policy, maximum_attempts=attempts, initial_interval_seconds=interval
    )
