"""The API's side of its bodies: building them from the store's records.

The bodies themselves are contracts of drift-models (:mod:`drift_models.requests`,
:mod:`drift_models.runs`, :mod:`drift_models.run_list`,
:mod:`drift_models.definition_bodies`, :mod:`drift_models.operator_bodies`), shared with
the CLI that reads them. What stays here needs the store: its records count time in
epoch milliseconds, and API bodies speak ISO 8601.
"""

from __future__ import annotations

import datetime as dt

from drift_models import ApiKeyInfo, DefinitionSummaryBody, PointersBody, VersionBody
from drift_store import ApiKeyRecord, DefinitionSummary, Pointers, VersionInfo

__all__ = [
    "api_key_info",
    "millis_to_datetime",
    "pointers_body",
    "summary_body",
    "version_body",
]


def millis_to_datetime(millis: int) -> dt.datetime:
    """Epoch milliseconds as an aware UTC datetime (API bodies speak ISO 8601)."""
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)


def summary_body(summary: DefinitionSummary) -> DefinitionSummaryBody:
    """The listing body of a store summary."""
    return DefinitionSummaryBody(
        id=summary.id,
        latest=summary.latest,
        active=summary.active,
        updated_at=millis_to_datetime(summary.updated_at),
    )


def version_body(info: VersionInfo) -> VersionBody:
    """The body of a store history entry."""
    return VersionBody(
        version=info.version,
        published_at=millis_to_datetime(info.published_at),
        is_latest=info.is_latest,
        is_active=info.is_active,
    )


def pointers_body(definition_id: str, pointers: Pointers) -> PointersBody:
    """The body of the store's pointers of ``definition_id``."""
    return PointersBody(
        id=definition_id,
        latest=pointers.latest,
        active=pointers.active,
        previously_active=list(pointers.previously_active),
    )


def api_key_info(record: ApiKeyRecord) -> ApiKeyInfo:
    """The listing of a stored key (never the key itself)."""
    return ApiKeyInfo(
        tenant_id=record.tenant,
        key_id=record.key_id,
        description=record.description,
        created_at=millis_to_datetime(record.created_at),
        revoked_at=None if record.revoked_at is None else millis_to_datetime(record.revoked_at),
    )
