"""The operator's endpoints for API keys: create, list and revoke, per tenant.

Only the bootstrap key opens them (``X-Api-Key`` or a bearer token); they need no
tenant headers, since they manage every tenant. A created key is shown once, in the
answer; the store keeps only its HMAC.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Final

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter, QueryParameter

from drift_api.auth import ApiKeys, new_api_key, presented_key
from drift_api.bodies import api_key_info
from drift_api.dependencies import services_of
from drift_api.openapi import problems
from drift_api.problems import ApiError
from drift_models import ApiKeyCreated, ApiKeyInfo, CreateApiKey, Problem
from drift_store import ApiKeyStore

__all__ = ["ApiKeyController", "provide_key_store"]

_ID: Final = r"^[\w.\-]{1,64}$"
_TENANT: Final = r"^[\w.\-]{1,128}$"


async def provide_key_store(request: Request[Any, Any, Any], state: State) -> ApiKeyStore:
    """The key table, once the request has shown the bootstrap key.

    Raises:
        ApiError: 401 without the bootstrap key; 503 when the store keeps no keys.
    """
    keys: ApiKeys = services_of(state).keys
    if not keys.is_bootstrap(presented_key(request.headers)):
        raise ApiError(
            401,
            "Unauthorized",
            "the API key endpoints need the bootstrap key (DRIFT_BOOTSTRAP_API_KEY)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if keys.store is None:
        raise ApiError(503, "No Key Table", "this store keeps no API keys")
    return keys.store


class ApiKeyController(Controller):
    """API keys of every tenant (the operator's)."""

    path = "/admin/apiKeys"
    tags = ["api keys"]
    dependencies = {"key_store": Provide(provide_key_store)}

    @post("", status_code=201, summary="Make a key for a tenant", responses=problems(409, 503))
    async def create(
        self, data: JSONBody[CreateApiKey], key_store: NamedDependency[ApiKeyStore], state: State
    ) -> ApiKeyCreated:
        """Make a key; the answer is the only place the key is ever shown."""
        keys: ApiKeys = services_of(state).keys
        key = new_api_key()
        record = await key_store.create(
            data.tenant_id,
            data.key_id or secrets.token_hex(6),
            keys.digest(key),
            description=data.description,
        )
        info = api_key_info(record)
        return ApiKeyCreated(**{f: getattr(info, f) for f in info.__struct_fields__}, key=key)

    @get("", summary="List a tenant's keys", responses=problems(503))
    async def listing(
        self,
        key_store: NamedDependency[ApiKeyStore],
        tenant_id: Annotated[
            str, QueryParameter(name="tenantId", description="Whose keys.", pattern=_TENANT)
        ],
    ) -> list[ApiKeyInfo]:
        """Every key of a tenant, revoked ones with their moment of revocation."""
        return [api_key_info(record) for record in await key_store.list(tenant_id)]

    @delete(
        "/{tenant_id:str}/{key_id:str}",
        status_code=200,
        summary="Revoke a key",
        responses=problems(404, 503),
    )
    async def revoke(
        self,
        tenant_id: Annotated[str, Parameter(pattern=_TENANT)],
        key_id: Annotated[str, Parameter(pattern=_ID)],
        key_store: NamedDependency[ApiKeyStore],
        state: State,
    ) -> ApiKeyInfo:
        """Revoke a key: every replica refuses it within the key cache's time."""
        record = await key_store.revoke(tenant_id, key_id)
        if record is None:
            message = f"tenant {tenant_id!r} has no API key {key_id!r}"
            raise ApiError(
                404,
                "Not Found",
                message,
                [Problem(path="path:key_id", message=message, code="key")],
            )
        services_of(state).keys.forget()
        return api_key_info(record)
