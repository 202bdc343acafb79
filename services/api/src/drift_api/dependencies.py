"""What handlers receive: the caller (checked) and the services of the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import HeaderParameter

from drift_api.auth import ApiKeys, Caller, read_caller
from drift_api.definitions import DefinitionService
from drift_api.runs import RunGateway
from drift_api.settings import ApiSettings

__all__ = ["Services", "provide_caller", "provide_definitions", "provide_runs", "provide_settings"]


@dataclass(frozen=True, slots=True)
class Services:
    """The app's services, kept in the app's state under ``services``.

    Attributes:
        settings: the API's settings.
        keys: the API keys accepted.
        definitions: definitions of every tenant.
        runs: runs of every tenant, through the workflow engine.
    """

    settings: ApiSettings
    keys: ApiKeys
    definitions: DefinitionService
    runs: RunGateway


def services_of(state: State) -> Services:
    """The services stored in the app's state."""
    services: Services = state["services"]
    return services


async def provide_caller(
    request: Request[Any, Any, Any],
    state: State,
    x_tenant_id: Annotated[
        str | None,
        HeaderParameter(
            name="X-Tenant-Id",
            description="The tenant (required; X_TENANT_ID is accepted too).",
            max_length=128,
        ),
    ] = None,
    x_client_id: Annotated[
        str | None,
        HeaderParameter(
            name="X-Client-Id",
            description="The calling application (required; X_CLIENT_ID is accepted too).",
            max_length=256,
        ),
    ] = None,
    x_user_id: Annotated[
        str | None,
        HeaderParameter(
            name="X-User-Id",
            description="The person using the application (X_USERNAME_ID is accepted too).",
            max_length=256,
        ),
    ] = None,
) -> Caller:
    """The checked caller of the request (see :mod:`drift_api.auth`)."""
    del x_tenant_id, x_client_id, x_user_id  # documented here, read with their aliases below
    return await read_caller(request.headers, services_of(state).keys)


async def provide_definitions(state: State, caller: NamedDependency[Caller]) -> DefinitionService:
    """The definition service, once the caller is checked.

    Depending on the caller orders the two: resolved one after the other, they cost no
    task group per request (Litestar runs dependencies of the same level concurrently,
    in tasks of their own).
    """
    del caller
    return services_of(state).definitions


async def provide_runs(state: State, caller: NamedDependency[Caller]) -> RunGateway:
    """The run gateway, once the caller is checked (see :func:`provide_definitions`)."""
    del caller
    return services_of(state).runs


async def provide_settings(state: State) -> ApiSettings:
    """The settings."""
    return services_of(state).settings
