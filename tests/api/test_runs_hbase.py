"""The sync and async run tests again, with the worker and the API on a real HBase."""

from __future__ import annotations

import pytest

from tests.api.test_race import test_the_same_idempotency_key_is_one_run
from tests.api.test_runs_async import test_refund_in_async_mode
from tests.api.test_runs_sync import (
    test_account_verification_with_utility_calls,
    test_refund_from_view_to_end,
)

__all__ = [
    "test_account_verification_with_utility_calls",
    "test_refund_from_view_to_end",
    "test_refund_in_async_mode",
    "test_the_same_idempotency_key_is_one_run",
]


@pytest.fixture
def store_url(hbase_url: str) -> str:
    return hbase_url
