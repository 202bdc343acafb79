"""The signature on callbacks, so receivers can trust what the worker POSTs.

The header ``X-Drift-Signature`` reads ``t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 of ``"<t>." + body`` under the shared secret. The timestamp lets a receiver
refuse replays older than its tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Final

__all__ = ["SIGNATURE_HEADER", "SignatureError", "sign_callback", "verify_callback"]

SIGNATURE_HEADER: Final = "X-Drift-Signature"


class SignatureError(ValueError):
    """A callback whose signature is missing, malformed, wrong or too old."""


def sign_callback(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of the signature header for ``body``."""
    moment = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256)
    return f"t={moment},v1={digest.hexdigest()}"


def verify_callback(
    secret: str, body: bytes, header: str | None, *, tolerance_seconds: float = 300
) -> int:
    """Check a callback's signature; return its timestamp.

    Raises:
        SignatureError: saying what is wrong.
    """
    if not header:
        msg = f"the {SIGNATURE_HEADER} header is missing"
        raise SignatureError(msg)
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        msg = f"the {SIGNATURE_HEADER} header is not t=<seconds>,v1=<hex>"
        raise SignatureError(msg)
    moment = int(parts["t"])
    expected = sign_callback(secret, body, moment).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts["v1"]):
        raise SignatureError("the signature does not match the body")
    if abs(time.time() - moment) > tolerance_seconds:
        msg = f"the signature is older than {tolerance_seconds:.0f} s"
        raise SignatureError(msg)
    return moment
