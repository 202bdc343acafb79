"""Admission of sync calls: a bound on the waits one API process holds at a time.

A sync call holds an open request while the run moves to its next stable point. Past
a point, more waiting calls only make every call slower (Temporal, the worker and the
event loop are shared) until all of them reach the sync timeout. So each process
admits at most ``max_sync_waits`` sync calls at once and answers the next ones at
once with ``429`` and ``Retry-After``, before anything is sent: a ``429`` always means
that nothing happened, and the same request may simply be sent again.

Async calls (with a ``callbackUrl``) hold nothing while the run moves, so they are not
counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from drift_api.problems import ApiError

__all__ = ["SyncAdmission"]


class SyncAdmission:
    """Counts the sync calls in flight and refuses those beyond the bound.

    The count lives in one event loop (one API process), so a plain integer is safe.

    Args:
        limit: the most sync calls waiting at once.
        retry_after: seconds a refused caller is told to wait before trying again.
    """

    def __init__(self, limit: int, *, retry_after: int) -> None:
        self._limit = limit
        self._retry_after = retry_after
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """The sync calls admitted and not yet answered."""
        return self._in_flight

    @property
    def limit(self) -> int:
        """The most sync calls admitted at once."""
        return self._limit

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one place for the duration of a sync call.

        Raises:
            ApiError: ``429`` with ``Retry-After`` when every place is taken.
        """
        if self._in_flight >= self._limit:
            raise ApiError(
                429,
                "Too Many Sync Calls",
                f"this API process already waits for {self._limit} sync calls; nothing was "
                f"sent to the run; send the same request again after {self._retry_after} s, "
                "or use async mode (callbackUrl)",
                headers={"Retry-After": str(self._retry_after)},
            )
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
