"""What the workflow code asks Temporal for when a node may fail, and what it reads back.

One home for the run workflow and the fan-out code: a node's retry policy as Temporal's,
and the message of the error behind a failed activity or child run.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy as TemporalRetry
from temporalio.exceptions import ActivityError, ChildWorkflowError

from drift_models import RetryPolicy

__all__ = ["failure_message", "retry_options"]


def retry_options(policy: RetryPolicy, *, non_retryable: list[str] | None = None) -> TemporalRetry:
    """Temporal's retry policy for a node's."""
    return TemporalRetry(
        initial_interval=timedelta(seconds=policy.initial_interval_seconds),
        backoff_coefficient=policy.backoff_coefficient,
        maximum_interval=(
            timedelta(seconds=policy.maximum_interval_seconds)
            if policy.maximum_interval_seconds
            else None
        ),
        maximum_attempts=policy.maximum_attempts,
        non_retryable_error_types=non_retryable,
    )


def failure_message(error: BaseException) -> str:
    """The message of the error behind an activity or child failure.

    A failed local activity raises its ApplicationError itself; a failed activity or
    child raises a wrapper whose cause is that error.
    """
    cause = error.__cause__ if isinstance(error, ActivityError | ChildWorkflowError) else error
    return str(cause or error) or type(error).__name__
