"""The examples end to end over the REST API, on the cluster: the API tests of tests/api,
unchanged, against two real API processes and two real workers (HBase, Redis).

Each test publishes the examples for a tenant of its own through one API process (the
replicas take turns); both workers poll the one task queue, so runs land on either.
"""

from __future__ import annotations

from tests.api.test_history_flow import test_history_lists_steps_answers_and_the_end
from tests.api.test_race import (
    test_concurrent_starts_all_get_their_first_view,
    test_the_same_idempotency_key_is_one_run,
)
from tests.api.test_runs_async import test_refund_in_async_mode
from tests.api.test_runs_sync import (
    test_account_verification_with_utility_calls,
    test_appointment_waits_for_an_event_and_runs_a_child,
    test_refund_endings_without_a_view,
    test_refund_from_view_to_end,
    test_terminate_a_waiting_run,
)

__all__ = [
    "test_account_verification_with_utility_calls",
    "test_appointment_waits_for_an_event_and_runs_a_child",
    "test_concurrent_starts_all_get_their_first_view",
    "test_history_lists_steps_answers_and_the_end",
    "test_refund_endings_without_a_view",
    "test_refund_from_view_to_end",
    "test_refund_in_async_mode",
    "test_terminate_a_waiting_run",
    "test_the_same_idempotency_key_is_one_run",
]
