"""Request and response bodies that only the REST API has.

The runtime bodies (start, resume, the run's state…) and the DSL live in drift-models;
these are the API's own: pages of definitions, version histories, pointers, validation
reports, events and health. Like every API body they use camelCase and encode every
field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from drift_models import Problem
from drift_store import DefinitionSummary, Pointers, VersionInfo

__all__ = [
    "ActivateRequest",
    "Body",
    "DefinitionPage",
    "DefinitionSummaryBody",
    "EventRequest",
    "HealthBody",
    "PointersBody",
    "ValidationReport",
    "VersionBody",
    "millis_to_datetime",
]


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel"):
    """Base of the API's own bodies."""


def millis_to_datetime(millis: int) -> dt.datetime:
    """Epoch milliseconds as an aware UTC datetime (API bodies speak ISO 8601)."""
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)


class DefinitionSummaryBody(Body, kw_only=True):
    """One definition in a listing.

    Attributes:
        id: the definition's id.
        latest: its ``LATEST`` number, if published.
        active: its ``ACTIVE`` number, if activated.
        updated_at: when its draft or pointers last changed.
    """

    id: str
    latest: int | None
    active: int | None
    updated_at: dt.datetime

    @classmethod
    def of(cls, summary: DefinitionSummary) -> DefinitionSummaryBody:
        """The body of a store summary."""
        return cls(
            id=summary.id,
            latest=summary.latest,
            active=summary.active,
            updated_at=millis_to_datetime(summary.updated_at),
        )


class DefinitionPage(Body, kw_only=True):
    """One page of a listing, ordered by id.

    Attributes:
        items: this page's definitions.
        next_cursor: pass it as ``after`` for the next page; ``null`` on the last.
    """

    items: list[DefinitionSummaryBody]
    next_cursor: str | None


class VersionBody(Body, kw_only=True):
    """One published version.

    Attributes:
        version: the number.
        published_at: when it was published.
        is_latest: whether ``LATEST`` points here.
        is_active: whether ``ACTIVE`` points here.
    """

    version: int
    published_at: dt.datetime
    is_latest: bool
    is_active: bool

    @classmethod
    def of(cls, info: VersionInfo) -> VersionBody:
        """The body of a store history entry."""
        return cls(
            version=info.version,
            published_at=millis_to_datetime(info.published_at),
            is_latest=info.is_latest,
            is_active=info.is_active,
        )


class PointersBody(Body, kw_only=True):
    """Where a definition's named versions point.

    Attributes:
        id: the definition.
        latest: the newest published number.
        active: the number runs start by default.
        previously_active: earlier activations, the most recent first (a rollback goes
            back to the first).
    """

    id: str
    latest: int | None
    active: int | None
    previously_active: list[int]

    @classmethod
    def of(cls, definition_id: str, pointers: Pointers) -> PointersBody:
        """The body of the store's pointers."""
        return cls(
            id=definition_id,
            latest=pointers.latest,
            active=pointers.active,
            previously_active=list(pointers.previously_active),
        )


class ActivateRequest(Body, kw_only=True):
    """Point ``ACTIVE`` at a published number.

    Attributes:
        version: the published number to activate.
    """

    version: Annotated[int, msgspec.Meta(ge=1, le=2**31)]


class ValidationReport(Body, kw_only=True):
    """Every problem of a definition, errors and warnings, each with its JSON path.

    Attributes:
        valid: whether there is no error (warnings do not block publishing).
        problems: what is wrong and where, in document order.
    """

    valid: bool
    problems: list[Problem]


class EventRequest(Body, kw_only=True):
    """An event for a run's WAIT state.

    Attributes:
        payload: data that becomes the WAIT state's output.
    """

    payload: Any = None


class HealthBody(Body, kw_only=True):
    """The answer of the admin probes.

    Attributes:
        status: ``ok``, or ``degraded`` when a dependency did not answer its last probe
            (readiness is ``200`` either way).
        checks: each dependency and what its last probe said (``ok`` or ``down: why``).
    """

    status: str
    checks: dict[str, str] = {}
