"""The errors of the store: each says what went wrong and where.

Every error derives from :class:`StoreError`, so a caller can catch the family; the
subclasses tell a missing thing (:class:`NotFoundError`) from a lost race
(:class:`ConflictError`), a bad store URL (:class:`StoreUrlError`) and a backend that
cannot be reached (:class:`BackendUnavailableError`).
"""

from __future__ import annotations

from drift_models import DocumentError

__all__ = [
    "AlreadyExistsError",
    "BackendUnavailableError",
    "ConflictError",
    "DefinitionNotFoundError",
    "InvalidDefinitionError",
    "InvalidKeyError",
    "MissingExtraError",
    "NotFoundError",
    "RevisionConflict",
    "RunNotFoundError",
    "StoreError",
    "StoreUrlError",
    "UndecodableDefinitionError",
]


class StoreError(Exception):
    """Base of every error raised by drift-store."""


class NotFoundError(StoreError, LookupError):
    """What was asked for does not exist (for this tenant)."""


class DefinitionNotFoundError(NotFoundError):
    """No such definition, version or pointer.

    Attributes:
        tenant: whose definitions were searched.
        kind: ``node`` or ``workflow``.
        definition_id: the id asked for.
        version: the version asked for, as written (``3``, ``LATEST`` …), if any.
    """

    def __init__(
        self, message: str, *, tenant: str, kind: str, definition_id: str, version: object = None
    ) -> None:
        super().__init__(message)
        self.tenant = tenant
        self.kind = kind
        self.definition_id = definition_id
        self.version = version


class RunNotFoundError(NotFoundError):
    """No context is stored for this run (for this tenant).

    Attributes:
        tenant: whose runs were searched.
        run_id: the run asked for.
    """

    def __init__(self, tenant: str, run_id: str) -> None:
        super().__init__(f"run {run_id!r} of tenant {tenant!r} has no stored context")
        self.tenant = tenant
        self.run_id = run_id


class ConflictError(StoreError):
    """A write lost against another write, or against what is already stored."""


class AlreadyExistsError(ConflictError):
    """A create found the key taken: a definition id or a run id is already stored."""


class RevisionConflict(ConflictError):  # noqa: N818 -- the name the worker and API use
    """A context update expected a revision that is no longer the stored one.

    Another writer updated the run first; re-read it and decide again.

    Attributes:
        tenant: the run's tenant.
        run_id: the run.
        expected: the revision the caller based its update on.
        actual: the stored revision when the update was refused (``None`` if unknown).
    """

    def __init__(self, tenant: str, run_id: str, *, expected: int, actual: int | None) -> None:
        stored = "unknown" if actual is None else str(actual)
        super().__init__(
            f"context of run {run_id!r} (tenant {tenant!r}) is at revision {stored}, "
            f"not the expected {expected}: another writer updated it first; "
            "re-read the run and retry"
        )
        self.tenant = tenant
        self.run_id = run_id
        self.expected = expected
        self.actual = actual


class StoreUrlError(StoreError, ValueError):
    """A store URL that cannot be used; the message names the accepted forms."""


class InvalidKeyError(StoreError, ValueError):
    """A tenant, definition id or run id that cannot be stored (empty, too long, bad chars)."""


class BackendUnavailableError(StoreError, ConnectionError):
    """The backend cannot be reached or did not answer in time.

    Attributes:
        backend: which backend and where (``hbase 127.0.0.1:9090``).
    """

    def __init__(self, backend: str, detail: str) -> None:
        super().__init__(f"{backend}: {detail}")
        self.backend = backend


class MissingExtraError(StoreError, ImportError):
    """An optional part of drift-store was asked for but its extra is not installed.

    Attributes:
        extra: the extra to install (``pip install "drift-store[<extra>]"``).
        missing: the modules that could not be found.
    """

    def __init__(self, message: str, *, extra: str, missing: tuple[str, ...]) -> None:
        super().__init__(message, name=missing[0] if missing else None)
        self.extra = extra
        self.missing = missing


class InvalidDefinitionError(StoreError, ValueError):
    """A definition that cannot be written as asked (a number where a SNAPSHOT belongs)."""


class UndecodableDefinitionError(StoreError):
    """A stored definition that this process cannot decode (a plugin type is missing).

    Attributes:
        problems: what the decoder found, with JSON paths.
    """

    def __init__(self, message: str, error: DocumentError) -> None:
        super().__init__(f"{message}: {error}")
        self.problems = error.problems
