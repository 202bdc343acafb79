"""Steps whose context write failed, kept until the step is retried.

When the write at the end of a step fails, the store may still have applied it (the
reply was lost, or a cancelled SQLite write committed afterwards), or not. The workflow
then runs the same step again, with the revision it knew before. If the stored context
is exactly the one the failed write carried, one revision on, the step did happen: the
retry answers the outcome it had. If the stored context is still at the revision the
step began from, the write did not land: the retry writes the context the step had
computed, without running its nodes again. Either way their side effects and outputs
happen once. A retry that lands on another worker finds no receipt and runs the nodes
again (at-least-once, as for any retried activity).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

import msgspec

from drift_models import RunContext, RunStatus
from drift_store import ContextRecord
from drift_worker.plan import StepRequest, StepResult

__all__ = ["Receipt", "StepReceipts"]

_KEPT: Final = 1024

_Key = tuple[str, str, int, str]


def _digest(context: RunContext) -> bytes:
    return hashlib.blake2b(msgspec.json.encode(context), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a step whose write failed had done.

    Attributes:
        context: the context it tried to write.
        outcome: the step's outcome.
        status: the run's status that write carried.
        landed: the write is what the store holds now (only the answer was lost).
    """

    context: RunContext
    outcome: StepResult
    status: RunStatus
    landed: bool


class StepReceipts:
    """Outcomes of steps whose write failed, kept until the step is retried."""

    def __init__(self) -> None:
        self._kept: OrderedDict[_Key, tuple[bytes, Receipt]] = OrderedDict()

    def keep(self, request: StepRequest, receipt: Receipt) -> None:
        """Remember what a step whose write failed tried to write."""
        self._kept[_key(request)] = (_digest(receipt.context), receipt)
        while len(self._kept) > _KEPT:
            self._kept.popitem(last=False)

    def find(self, request: StepRequest, stored: ContextRecord) -> Receipt | None:
        """This very step's receipt, if ``stored`` holds its write or the context it began on.

        ``None`` when there is none, or the store holds something else (another writer
        went on): the step then runs as if for the first time.
        """
        kept = self._kept.pop(_key(request), None)
        if kept is None:
            return None
        digest, receipt = kept
        if stored.revision == request.revision + 1 and digest == _digest(stored.context):
            return dataclasses.replace(receipt, landed=True)
        if stored.revision == request.revision:
            return receipt
        return None

    def take(self, request: StepRequest) -> Receipt | None:
        """This very step's receipt, whatever the store holds.

        For a run's first step, whose write creates the context: there is nothing
        stored yet to compare it with.
        """
        kept = self._kept.pop(_key(request), None)
        return None if kept is None else kept[1]


def _key(request: StepRequest) -> _Key:
    return (request.tenant_id, request.run_id, request.revision, request.state)
