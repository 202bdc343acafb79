"""Bodies of the operator's endpoints: the admin probes and ``/admin/apiKeys``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final

import msgspec

from drift_models._base import AnswerStruct, ApiStruct

__all__ = ["ApiKeyCreated", "ApiKeyInfo", "CreateApiKey", "HealthBody"]

_KEY_ID: Final = r"^[\w.\-]{1,64}$"
_TENANT: Final = r"^[\w.\-]{1,128}$"


class HealthBody(AnswerStruct, kw_only=True):
    """The answer of the admin probes.

    Attributes:
        status: ``ok``, or ``degraded`` when a dependency did not answer its last probe
            (readiness is ``200`` either way).
        checks: each dependency and what its last probe said (``ok`` or ``down: why``).
    """

    status: str
    checks: dict[str, str] = {}


class CreateApiKey(ApiStruct, kw_only=True):
    """A key to make.

    Attributes:
        tenant_id: the tenant the key acts for.
        key_id: its id (a random one when left out).
        description: what it is for.
    """

    tenant_id: Annotated[str, msgspec.Meta(pattern=_TENANT)]
    key_id: Annotated[str, msgspec.Meta(pattern=_KEY_ID)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class ApiKeyInfo(AnswerStruct, kw_only=True):
    """A key as listed: never the key itself.

    Attributes:
        tenant_id: the tenant it acts for.
        key_id: its id.
        description: what it is for.
        created_at: when it was made.
        revoked_at: when it was revoked, if it was.
    """

    tenant_id: str
    key_id: str
    description: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyInfo, kw_only=True):
    """A new key, shown this once.

    Attributes:
        key: the key to hand to the tenant; it cannot be read again.
    """

    key: str
