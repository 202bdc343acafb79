"""The sync-call bound: places held while a call waits, refusals that say what to do."""

from __future__ import annotations

import pytest

from drift_api.admission import SyncAdmission
from drift_api.problems import ApiError


def test_calls_beyond_the_bound_are_refused_with_429_and_retry_after() -> None:
    admission = SyncAdmission(2, retry_after=4)
    with admission.admit(), admission.admit():
        assert admission.in_flight == 2
        with pytest.raises(ApiError) as refused, admission.admit():
            pass
        assert refused.value.status == 429
        assert refused.value.headers == {"Retry-After": "4"}
        assert "nothing was sent" in refused.value.detail
        assert admission.in_flight == 2
    assert admission.in_flight == 0


def test_a_place_is_given_back_when_the_call_fails() -> None:
    admission = SyncAdmission(1, retry_after=1)
    with pytest.raises(RuntimeError), admission.admit():
        raise RuntimeError("the call failed")
    with admission.admit():
        assert admission.in_flight == 1


def test_retry_after_follows_how_long_admitted_calls_take() -> None:
    now = [0.0]
    admission = SyncAdmission(1, retry_after=1, clock=lambda: now[0])
    assert admission.retry_after == 1
    for _ in range(40):
        with admission.admit():
            now[0] += 8.0
    assert admission.retry_after == 8
    with admission.admit(), pytest.raises(ApiError) as refused, admission.admit():
        pass
    assert refused.value.headers == {"Retry-After": "8"}
    for _ in range(60):
        with admission.admit():
            now[0] += 0.05
    assert admission.retry_after == 1
