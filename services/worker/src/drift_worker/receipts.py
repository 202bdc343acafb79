"""Steps whose context write may have landed although its answer was lost.

When the write at the end of a step fails, the store may still have applied it (the
reply was lost, or a cancelled SQLite write committed afterwards). The workflow then
runs the same step again, with the revision it knew before. If the stored context is
exactly the one that failed write carried, one revision on, the step did happen: the
retry answers the outcome it had without running its nodes again, so their outputs are
written once. A retry that lands on another worker finds no receipt and runs the nodes
again (at-least-once, as for any retried activity).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Final

import msgspec

from drift_models import RunContext
from drift_store import ContextRecord
from drift_worker.plan import StepRequest, StepResult

__all__ = ["StepReceipts"]

_KEPT: Final = 1024

_Key = tuple[str, str, int, str]


def _digest(context: RunContext) -> bytes:
    return hashlib.blake2b(msgspec.json.encode(context), digest_size=16).digest()


class StepReceipts:
    """Outcomes of steps whose write failed, kept until the step is retried."""

    def __init__(self) -> None:
        self._kept: OrderedDict[_Key, tuple[bytes, StepResult]] = OrderedDict()

    def keep(self, request: StepRequest, context: RunContext, outcome: StepResult) -> None:
        """Remember the context a step tried to write, and the step's outcome."""
        self._kept[_key(request)] = (_digest(context), outcome)
        while len(self._kept) > _KEPT:
            self._kept.popitem(last=False)

    def landed(self, request: StepRequest, stored: ContextRecord) -> StepResult | None:
        """The outcome of this very step, if its write is what ``stored`` holds."""
        kept = self._kept.pop(_key(request), None)
        if (
            kept is None
            or stored.revision != request.revision + 1
            or kept[0] != _digest(stored.context)
        ):
            return None
        return kept[1]


def _key(request: StepRequest) -> _Key:
    return (request.tenant_id, request.run_id, request.revision, request.state)
