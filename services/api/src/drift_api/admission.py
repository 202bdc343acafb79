"""Admission of sync calls: a bound on the waits one API process holds at a time.

A sync call holds an open request while the run moves to its next stable point. Past
a point, more waiting calls only make every call slower (Temporal, the worker and the
event loop are shared) until all of them reach the sync timeout. So each process
admits at most ``max_sync_waits`` sync calls at once and answers the next ones at
once with ``429`` and ``Retry-After``, before anything is sent: a ``429`` always means
that nothing happened, and the same request may simply be sent again.

The ``Retry-After`` grows with the load. It starts from the recent mean time an admitted
call took, about the time the calls now waiting take to be answered; when more callers
are waiting than places free up in that time (the refusals of the last wait, each
waiting caller being refused about once per wait), it grows so that about twice as many
callers come back as places free up, and the callers of such a herd are spread over
half a wait more. It is never less than the configured seconds and at most a minute. Refused callers
then come back when places are likely free, instead of all at once in a herd whose
refusals (auth, routing, a problem body each) would eat the CPU the admitted calls need.

While a call on a run already started (resume, utility call, terminate) has been refused
within the last ``Retry-After``, starts may take all places but a quarter, kept for those
calls: under overload the runs in flight are finished before new ones begin, instead of
new runs taking the places their own resumes then cannot get (a started run waiting at a
view is held by the engine and counts for goodput only once it ends). Without such a
refusal, starts may take every place.

Async calls (with a ``callbackUrl``) hold nothing while the run moves, so they are not
counted.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

from drift_api.problems import ApiError

__all__ = ["SyncAdmission"]

_MOST_RETRY_AFTER: Final = 60
_WEIGHT: Final = 0.1
"""How much one finished call moves the mean (an exponentially weighted mean)."""
_HEADROOM: Final = 2
"""How many waiting callers are asked back for each place that frees up."""
_MOST_REMEMBERED: Final = 10_000
"""The most recent refusals kept to count the waiting callers."""
_KEPT_FOR_RUNS: Final = 4
"""One place in this many is kept for calls on runs already started."""


class SyncAdmission:
    """Counts the sync calls in flight and refuses those beyond the bound.

    The count lives in one event loop (one API process), so a plain integer is safe.

    Args:
        limit: the most sync calls waiting at once.
        retry_after: the least seconds a refused caller is told to wait.
        clock: seconds, monotonic (tests pass their own).
        spread: draws the extra seconds that spread a herd (tests pass a seeded one).
    """

    def __init__(
        self,
        limit: int,
        *,
        retry_after: int,
        clock: Callable[[], float] = time.monotonic,
        spread: random.Random | None = None,
    ) -> None:
        self._limit = limit
        self._start_limit = max(1, limit - limit // _KEPT_FOR_RUNS)
        self._retry_after = retry_after
        self._clock = clock
        self._spread = spread or random.Random()  # noqa: S311 - spreading retries, not secrets
        self._in_flight = 0
        self._mean_seconds = 0.0
        self._refused: deque[float] = deque(maxlen=_MOST_REMEMBERED)
        self._last_wait = retry_after
        self._run_call_refused_at: float | None = None

    @property
    def waiting(self) -> int:
        """Callers refused within the last ``Retry-After``: about those still waiting."""
        since = self._clock() - self._last_wait
        while self._refused and self._refused[0] < since:
            self._refused.popleft()
        return len(self._refused)

    @property
    def retry_after(self) -> int:
        """The ``Retry-After`` of a refusal now, before the spread of a herd."""
        ask_back = max(1.0, self.waiting / (_HEADROOM * self._limit))
        wait = math.ceil(self._mean_seconds * ask_back)
        return min(_MOST_RETRY_AFTER, max(self._retry_after, wait))

    @property
    def mean_seconds(self) -> float:
        """The recent mean time an admitted call took (an exponentially weighted mean)."""
        return self._mean_seconds

    @property
    def in_flight(self) -> int:
        """The sync calls admitted and not yet answered."""
        return self._in_flight

    @property
    def limit(self) -> int:
        """The most sync calls admitted at once."""
        return self._limit

    @property
    def start_limit(self) -> int:
        """The most places sync starts may hold now.

        All of them, but a quarter while a call on a run already started was refused within
        the last ``Retry-After`` (those places are kept for it when it comes back).
        """
        refused_at = self._run_call_refused_at
        if refused_at is None or self._clock() - refused_at > self._last_wait:
            return self._limit
        return self._start_limit

    @contextmanager
    def admit(self, *, starting: bool = False) -> Iterator[None]:
        """Hold one place for the duration of a sync call.

        Args:
            starting: the call starts a run; starts leave a quarter of the places to calls
                on runs already started while such a call waits to come back.

        Raises:
            ApiError: ``429`` with ``Retry-After`` when every place it may take is taken.
        """
        bound = self.start_limit if starting else self._limit
        if self._in_flight >= bound:
            if not starting:
                self._run_call_refused_at = self._clock()
            wait = self._refusal_wait()
            held = (
                f"{bound} sync calls"
                if not starting
                else f"{bound} sync calls, the most starts may hold"
            )
            raise ApiError(
                429,
                "Too Many Sync Calls",
                f"this API process already waits for {held}; nothing was "
                f"sent to the run; send the same request again after {wait} s, or use "
                "async mode (callbackUrl)",
                headers={"Retry-After": str(wait)},
            )
        self._in_flight += 1
        began = self._clock()
        try:
            yield
        finally:
            self._in_flight -= 1
            took = self._clock() - began
            self._mean_seconds += _WEIGHT * (took - self._mean_seconds)

    def _refusal_wait(self) -> int:
        """The wait told to one refused caller; a herd of them is spread.

        Up to twice as many waiting callers as places come back in one wait anyway; past
        that, each is told a few extra seconds at random, so they do not return at once.
        """
        herd = self.waiting
        wait = self.retry_after
        self._last_wait = wait
        self._refused.append(self._clock())
        if herd <= _HEADROOM * self._limit:
            return wait
        return min(_MOST_RETRY_AFTER, wait + self._spread.randint(0, math.ceil(wait / 2)))
