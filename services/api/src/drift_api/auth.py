"""Who is calling: the tenant headers and the API key that vouches for them.

Every request names its tenant and client (``X-Tenant-Id``, ``X-Client-Id``; the
original platform's ``X_TENANT_ID``, ``X_CLIENT_ID`` and ``X_USERNAME_ID`` are
accepted too) and presents an API key (``X-Api-Key``, or ``Authorization: Bearer``).
Keys are kept as HMAC-SHA256 hashes under a pepper — in the store's key table (made
and revoked through the admin endpoints) or in the configuration — so neither holds a
usable key; the bootstrap key, from a secret, is valid for every tenant. A missing or
unknown key is ``401``; a key of another tenant is ``403``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from drift_api.problems import ApiError
from drift_models import Problem, ThreadContext
from drift_store import ApiKeyStore

__all__ = [
    "API_KEY_HEADER",
    "ApiKeys",
    "Caller",
    "hash_api_key",
    "new_api_key",
    "presented_key",
    "read_caller",
]

API_KEY_HEADER: Final = "X-Api-Key"
TENANT_HEADERS: Final = ("x-tenant-id", "x_tenant_id")
CLIENT_HEADERS: Final = ("x-client-id", "x_client_id")
USER_HEADERS: Final = ("x-user-id", "x_username_id", "x_user_id")
_TENANT: Final = re.compile(r"^[\w.\-]{1,128}(?!\n)$")
_MAX_HEADER: Final = 256
_ENTRY_PARTS: Final = 3
_CACHE_LIMIT: Final = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    """The tenant, client and user a request acts for.

    Attributes:
        tenant_id: whose definitions and runs the request may touch.
        client_id: the application calling.
        user_id: the person using it, when known.
    """

    tenant_id: str
    client_id: str
    user_id: str | None = None

    @property
    def thread_context(self) -> ThreadContext:
        """The caller as a run's ``threadContext``."""
        return ThreadContext(
            tenant_id=self.tenant_id, client_id=self.client_id, user_id=self.user_id
        )


def hash_api_key(key: str, pepper: str) -> str:
    """The hex HMAC-SHA256 of ``key`` under ``pepper``: what the configuration stores."""
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()


def new_api_key() -> str:
    """A fresh random key (256 bits, URL-safe)."""
    return "drift_" + secrets.token_urlsafe(32)


class ApiKeys:
    """The keys the API accepts.

    Args:
        entries: ``tenant:keyId:hash`` per key (see :func:`hash_api_key`).
        pepper: the HMAC key the hashes were made with.
        bootstrap: a plain key valid for every tenant, or ``None``.
        enabled: ``False`` accepts every request (a developer's machine only).
        store: the store's key table, if keys are kept there too.
        cache_seconds: how long an answer of the key table is reused (a revocation
            takes effect within this time).

    Raises:
        ValueError: naming an entry that is not ``tenant:keyId:hash``.
    """

    def __init__(
        self,
        entries: list[str],
        *,
        pepper: str,
        bootstrap: str | None = None,
        enabled: bool = True,
        store: ApiKeyStore | None = None,
        cache_seconds: float = 5.0,
    ) -> None:
        self._pepper = pepper
        self._bootstrap = bootstrap
        self.enabled = enabled
        self.store = store
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._by_hash: dict[str, tuple[str, str]] = {}
        for entry in entries:
            parts = entry.strip().split(":")
            if len(parts) != _ENTRY_PARTS or not all(parts):
                msg = f"API key entry {entry[:20]!r}… is not tenant:keyId:hash"
                raise ValueError(msg)
            tenant, key_id, digest = parts
            self._by_hash[digest.lower()] = (tenant, key_id)

    def digest(self, key: str) -> str:
        """The hash of ``key`` the configuration and the key table keep."""
        return hash_api_key(key, self._pepper)

    def is_bootstrap(self, presented: str | None) -> bool:
        """Whether ``presented`` is the bootstrap (operator's) key."""
        if not presented or not self._bootstrap:
            return False
        return hmac.compare_digest(presented.encode(), self._bootstrap.encode())

    async def identify(self, presented: str | None) -> str | None:
        """The tenant ``presented`` belongs to (``None``: every tenant).

        Raises:
            ApiError: 401 for a missing or unknown key.
        """
        if not self.enabled:
            return None
        if not presented:
            raise ApiError(
                401,
                "Unauthorized",
                f"an API key is required: send it as {API_KEY_HEADER} or "
                "Authorization: Bearer <key>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if self.is_bootstrap(presented):
            return None
        # A lookup by HMAC leaks nothing about the key: the hash is keyed by the pepper.
        digest = self.digest(presented)
        owner = self._by_hash.get(digest)
        tenant = owner[0] if owner is not None else await self._from_store(digest)
        if tenant is None:
            raise ApiError(
                401,
                "Unauthorized",
                "the API key is not valid",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return tenant

    async def identify_digest(self, digest: str) -> tuple[bool, str | None]:
        """Whether the key with HMAC ``digest`` is (still) valid, and its tenant.

        The console keeps a key's digest in its session, never the key: each request
        asks here again, so a revoked key stops working for it too. The tenant is
        ``None`` for the bootstrap key (every tenant).
        """
        if not self.enabled:
            return True, None
        if self._bootstrap and hmac.compare_digest(digest, self.digest(self._bootstrap)):
            return True, None
        owner = self._by_hash.get(digest)
        tenant = owner[0] if owner is not None else await self._from_store(digest)
        return tenant is not None, tenant

    async def _from_store(self, digest: str) -> str | None:
        if self.store is None:
            return None
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        record = await self.store.find(digest)
        tenant = record.tenant if record is not None and record.valid else None
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache[digest] = (now, tenant)
        return tenant

    def forget(self) -> None:
        """Drop the cached answers of the key table (after a revocation here)."""
        self._cache.clear()


def _first(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            return value.strip()
    return None


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The API key a request presents (``X-Api-Key`` or a bearer token)."""
    presented = headers.get(API_KEY_HEADER.lower())
    if presented is None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            presented = token.strip()
    return presented


async def read_caller(headers: Mapping[str, str], keys: ApiKeys) -> Caller:
    """The caller a request's headers name, once its API key vouches for the tenant.

    Args:
        headers: the request's headers (case-insensitive names).
        keys: the accepted keys.

    Raises:
        ApiError: 400 for missing or malformed tenant/client headers, 401/403 for keys.
    """
    owner = await keys.identify(presented_key(headers))
    tenant = _first(headers, TENANT_HEADERS)
    client = _first(headers, CLIENT_HEADERS)
    user = _first(headers, USER_HEADERS)
    problems: list[Problem] = []
    if not tenant:
        problems.append(
            Problem(
                path="header:X-Tenant-Id",
                message="the X-Tenant-Id header (or X_TENANT_ID) is required",
                code="header-missing",
            )
        )
    elif not _TENANT.match(tenant):
        problems.append(
            Problem(
                path="header:X-Tenant-Id",
                message=f"{tenant[:40]!r} is not a tenant id: 1-128 letters, digits, "
                "'_', '.' or '-'",
                code="header-invalid",
            )
        )
    if not client:
        problems.append(
            Problem(
                path="header:X-Client-Id",
                message="the X-Client-Id header (or X_CLIENT_ID) is required",
                code="header-missing",
            )
        )
    elif len(client) > _MAX_HEADER:
        problems.append(
            Problem(
                path="header:X-Client-Id",
                message=f"X-Client-Id is longer than {_MAX_HEADER} characters",
                code="header-invalid",
            )
        )
    if user is not None and len(user) > _MAX_HEADER:
        problems.append(
            Problem(
                path="header:X-User-Id",
                message=f"X-User-Id is longer than {_MAX_HEADER} characters",
                code="header-invalid",
            )
        )
    if problems or tenant is None or client is None:
        raise ApiError(400, "Bad Request", "the caller's headers are incomplete", problems)
    if owner is not None and owner != tenant:
        raise ApiError(403, "Forbidden", f"this API key may not act for tenant {tenant!r}")
    return Caller(tenant_id=tenant, client_id=client, user_id=user or None)
