"""The console's session: a signed cookie naming the tenant, and the CSRF token it implies.

The cookie holds a random session id, the tenant, the signed-in key's HMAC digest (never
the key) and an expiry, signed with HMAC-SHA256 under a key derived from the API's key
pepper, so every replica of the API accepts the sessions of the others and no new
secret is needed. Every request re-checks the digest against the API keys, so a revoked
key ends its sessions within the key cache's lifetime.

Every form posts a CSRF token: the HMAC of the session id under a second derived key.
A visitor who is not signed in gets an anonymous session (an id, nothing else) when the
sign-in page is shown, so the sign-in form is protected the same way; signing in issues a
fresh id (no session fixation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Final

import msgspec

__all__ = ["COOKIE", "Session", "SessionSigner"]

COOKIE: Final = "drift_console"
LIFETIME_SECONDS: Final = 12 * 3600
"""How long a sign-in lasts."""


class Session(msgspec.Struct, frozen=True, kw_only=True):
    """What the session cookie says.

    Attributes:
        sid: the random session id (the CSRF token is derived from it).
        tenant: the signed-in tenant; ``None`` for an anonymous session.
        digest: the HMAC digest of the key that signed in.
        expires: Unix time after which the session is void.
    """

    sid: str
    tenant: str | None = None
    digest: str | None = None
    expires: float = 0.0

    @property
    def signed_in(self) -> bool:
        """Whether the session belongs to a tenant."""
        return self.tenant is not None and self.digest is not None


@dataclass(frozen=True, slots=True)
class SessionSigner:
    """Signs and checks session cookies and CSRF tokens.

    Args:
        pepper: the API's key pepper; the signing keys are derived from it.
    """

    pepper: str

    def _key(self, purpose: str) -> bytes:
        return hmac.new(
            self.pepper.encode(), f"drift-console:{purpose}".encode(), "sha256"
        ).digest()

    def anonymous(self) -> Session:
        """A new session nobody has signed in to."""
        return Session(sid=secrets.token_urlsafe(18), expires=time.time() + LIFETIME_SECONDS)

    def signed_in(self, tenant: str, digest: str) -> Session:
        """A new session of ``tenant`` (with a fresh id)."""
        return Session(
            sid=secrets.token_urlsafe(18),
            tenant=tenant,
            digest=digest,
            expires=time.time() + LIFETIME_SECONDS,
        )

    def dump(self, session: Session) -> str:
        """The cookie value: the session's JSON and its signature, both base64url."""
        body = base64.urlsafe_b64encode(msgspec.json.encode(session)).decode().rstrip("=")
        mac = hmac.new(self._key("cookie"), body.encode(), hashlib.sha256).digest()
        return f"{body}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def load(self, value: str | None) -> Session | None:
        """The session a cookie value carries, or ``None`` if it is forged, broken or old."""
        if not value or value.count(".") != 1 or len(value) > 4096:  # noqa: PLR2004
            return None
        body, mac = value.split(".")
        expected = hmac.new(self._key("cookie"), body.encode(), hashlib.sha256).digest()
        try:
            given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
            if not hmac.compare_digest(given, expected):
                return None
            session = msgspec.json.decode(
                base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)), type=Session
            )
        except (binascii.Error, ValueError, msgspec.DecodeError):
            return None
        return session if session.expires > time.time() else None

    def csrf_token(self, session: Session) -> str:
        """The token every form of this session posts."""
        mac = hmac.new(self._key("csrf"), session.sid.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def csrf_valid(self, session: Session | None, token: str | None) -> bool:
        """Whether ``token`` is this session's CSRF token."""
        if session is None or not token:
            return False
        return hmac.compare_digest(token.encode(), self.csrf_token(session).encode())
