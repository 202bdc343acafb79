"""The sync-call bound: places held while a call waits, refusals that say what to do."""

from __future__ import annotations

import math
import random
from contextlib import ExitStack

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


def test_a_herd_is_asked_back_as_places_free_up_and_spread() -> None:
    now = [0.0]
    admission = SyncAdmission(2, retry_after=1, clock=lambda: now[0], spread=random.Random(7))  # noqa: S311
    for _ in range(60):
        with admission.admit():
            now[0] += 4.0
    assert admission.retry_after == 4
    mean = admission.mean_seconds
    told: list[int] = []
    with admission.admit(), admission.admit():
        for _ in range(40):  # forty callers refused in the same moment
            with pytest.raises(ApiError) as refused, admission.admit():
                pass
            told.append(int(refused.value.headers["Retry-After"]))
        assert admission.waiting == 40
        # about twice as many asked back as places free up: 40 waiting, 2 places per 4 s
        assert admission.retry_after == math.ceil(mean * 40 / (2 * 2))
    assert told[:5] == [4] * 5  # up to twice the places come back in one wait: not spread
    assert len(set(told[20:])) > 1  # a herd comes back spread over time
    for count, wait in enumerate(told[1:], start=1):
        base = min(60, max(1, math.ceil(mean * max(1.0, count / 4))))
        assert base <= wait <= min(60, base + math.ceil(base / 2))


def test_callers_refused_longer_ago_than_the_wait_are_no_longer_counted() -> None:
    now = [0.0]
    admission = SyncAdmission(1, retry_after=1, clock=lambda: now[0], spread=random.Random(1))  # noqa: S311
    for _ in range(60):
        with admission.admit():
            now[0] += 2.0
    with admission.admit():
        for _ in range(10):
            with pytest.raises(ApiError), admission.admit():
                pass
        assert admission.waiting == 10
        assert admission.retry_after == 10  # ceil(2 s x 10 waiting / 2 per place)
        now[0] += 11.0
        assert admission.waiting == 0
        assert admission.retry_after == 2


def test_starts_leave_a_quarter_of_the_places_while_runs_already_started_wait() -> None:
    now = [0.0]
    admission = SyncAdmission(8, retry_after=3, clock=lambda: now[0])
    assert admission.start_limit == 8  # nothing refused: starts may take every place
    with ExitStack() as held:
        for _ in range(8):
            held.enter_context(admission.admit(starting=True))
        with pytest.raises(ApiError), admission.admit():  # a resume finds no place
            pass
    assert admission.start_limit == 6  # a quarter is kept for it while it waits
    with ExitStack() as held:
        for _ in range(6):
            held.enter_context(admission.admit(starting=True))
        with pytest.raises(ApiError) as refused, admission.admit(starting=True):
            pass
        assert refused.value.status == 429
        assert "6 sync calls, the most starts may hold" in refused.value.detail
        for _ in range(2):  # the resume comes back and finds its place
            held.enter_context(admission.admit())
        with pytest.raises(ApiError), admission.admit():
            pass
    now[0] += 3.5  # past the last Retry-After: no call on a started run waits any more
    assert admission.start_limit == 8
    assert admission.in_flight == 0
