"""Auth token providers for the HTTP node, discovered through the ``drift.auth`` group.

An HTTP node names a provider in ``authProvider``; the provider's token goes into the
node's ``authHeader`` (``Authorization: Bearer <token>`` by default). A package offers a
provider with an entry point whose name is the provider's name::

    [project.entry-points."drift.auth"]
    acme-oauth = "acme_drift.auth:AcmeTokenProvider"

The entry point names a class (instantiated without arguments) or an instance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Final, Protocol, runtime_checkable

__all__ = [
    "AUTH_ENTRY_POINT_GROUP",
    "AuthDiscoveryError",
    "TokenProvider",
    "TokenRequest",
    "discover_auth_providers",
]

AUTH_ENTRY_POINT_GROUP: Final = "drift.auth"


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """What a provider knows when asked for a token.

    Attributes:
        provider: the provider's name as the node wrote it.
        node_id: the HTTP node definition asking.
        url: the address the token is for.
        tenant_id: the run's tenant, when known.
        enum_store: the tenant's settings (``_enum_store``), e.g. a client id.
    """

    provider: str
    node_id: str
    url: str
    tenant_id: str | None = None
    enum_store: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class TokenProvider(Protocol):
    """Gives the token an HTTP node sends. Cache tokens yourself; this is called per request."""

    async def get_token(self, request: TokenRequest) -> str:
        """The token for ``request`` (without the scheme word)."""
        ...


class AuthDiscoveryError(RuntimeError):
    """Two packages offer a provider of one name, or a provider cannot be loaded."""


def discover_auth_providers(
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> dict[str, TokenProvider]:
    """Load every provider of the ``drift.auth`` entry point group, by name.

    Raises:
        AuthDiscoveryError: naming both packages when two offer the same name, or the
            package whose provider cannot be loaded.
    """
    found = (
        metadata.entry_points(group=AUTH_ENTRY_POINT_GROUP)
        if entry_points is None
        else entry_points
    )
    providers: dict[str, TokenProvider] = {}
    origins: dict[str, tuple[str, str]] = {}
    for entry_point in found:
        origin = (_distribution(entry_point), entry_point.value)
        if entry_point.name in origins:
            if origins[entry_point.name] == origin:
                continue
            first = origins[entry_point.name]
            msg = (
                f"auth provider {entry_point.name!r} is offered by {first[0]!r} ({first[1]}) "
                f"and by {origin[0]!r} ({origin[1]}); uninstall one of them"
            )
            raise AuthDiscoveryError(msg)
        try:
            loaded = entry_point.load()
            provider = loaded() if isinstance(loaded, type) else loaded
        except Exception as error:
            msg = f"auth provider {entry_point.name!r} of {origin[0]!r} cannot be loaded: {error}"
            raise AuthDiscoveryError(msg) from error
        if not isinstance(provider, TokenProvider):
            msg = f"auth provider {entry_point.name!r} of {origin[0]!r} has no get_token method"
            raise AuthDiscoveryError(msg)
        providers[entry_point.name] = provider
        origins[entry_point.name] = origin
    return providers


def _distribution(entry_point: metadata.EntryPoint) -> str:
    dist = entry_point.dist
    return dist.name if dist is not None else "an unknown package"
