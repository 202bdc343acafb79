"""When a sync call must be over (:class:`Limit`), and why it has no answer by then (:class:`Late`).

Both are engine-neutral: the run gateway computes a call's limit from the sync timeout
and hands it to the engine (:class:`drift_api.engine.Engine`), which answers the
call's result or a :class:`Late` that the gateway turns into a ``202``.
"""

from __future__ import annotations

import asyncio
import enum
import time
from dataclasses import dataclass
from typing import Final

__all__ = ["Late", "Limit", "seconds_left"]

_MARGIN: Final = 1.0
"""Seconds at most kept at the end of a sync timeout to ask what became of a call; also
the clock difference between the API and Temporal that ``answerBy`` tolerates."""


class Late(enum.Enum):
    """Why a sync call has no answer by its limit."""

    NOT_ACCEPTED = "not-accepted"
    """Temporal holds the request (or the run a start created) but the run has not taken it."""
    ACCEPTED = "accepted"
    """The run took the update and goes on: it is open and between stable points."""


@dataclass(frozen=True, slots=True)
class Limit:
    """When a sync call must be over.

    Attributes:
        accept_until: event-loop time by which the update must be accepted.
        ends: event-loop time by which the call answers (``accept_until`` plus the
            margin used to ask what became of a late call).
        answer_by: epoch milliseconds after which the run refuses the answer (sent in
            the answer), or ``None`` for calls without it.
    """

    accept_until: float
    ends: float
    answer_by: int | None = None

    @classmethod
    def after(cls, timeout: float, *, expiring: bool = False) -> Limit:
        """The limit of a call that may take ``timeout`` seconds from now.

        Args:
            timeout: the sync timeout.
            expiring: the call carries ``answer_by`` (a resume): the run refuses it
                once the API may have said it was not applied.
        """
        margin = min(_MARGIN, timeout / 4)
        now = asyncio.get_running_loop().time()
        answer_by = int((time.time() + timeout - margin) * 1000) if expiring else None
        return cls(accept_until=now + timeout - margin, ends=now + timeout, answer_by=answer_by)


def seconds_left(until: float) -> float:
    """Seconds until ``until`` (event-loop time), never negative."""
    return max(0.0, until - asyncio.get_running_loop().time())
