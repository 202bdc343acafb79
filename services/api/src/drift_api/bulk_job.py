"""A bulk action and its progress, as ``/v3/bulk`` answers it."""

from __future__ import annotations

import msgspec

__all__ = ["BulkJob"]


class BulkJob(msgspec.Struct, kw_only=True, rename="camel"):
    """A bulk action and its progress.

    Attributes:
        job_id: the job (``GET /v3/bulk/{jobId}``); ``None`` for a dry run.
        action: ``terminate`` or ``redrive``.
        state: ``DRY_RUN``, ``RUNNING``, ``COMPLETED`` or ``FAILED``.
        total: runs it reaches (the dry run's count, or the batch's total once known).
        done: runs it has terminated (redriven).
        failed: runs it could not terminate (redrive).
    """

    job_id: str | None
    action: str
    state: str
    total: int
    done: int = 0
    failed: int = 0
