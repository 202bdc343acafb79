"""The callback activity: POST a run's state to the caller's address, signed.

Callback addresses come from API clients, so they pass the same outbound guard as the
HTTP node: loopback, private, link-local and metadata addresses are refused unless the
operator allow-lists them, and a refusal is final (no retry).
"""

from __future__ import annotations

from typing import Final

import aiohttp
import msgspec
from temporalio import activity
from temporalio.exceptions import ApplicationError
from yarl import URL

from drift_models import SIGNATURE_HEADER, sign_callback
from drift_nodes import OutboundGuard
from drift_nodes.guard import BlockedAddressError
from drift_worker.plan import ACTIVITY_CALLBACK, CallbackRequest

__all__ = ["CallbackSender"]

_RETRYABLE_CLIENT_ERRORS: Final = frozenset({408, 425, 429})


class CallbackSender:
    """Sends callbacks over one shared HTTP session.

    Args:
        session: the worker's guarded HTTP session (its resolver refuses internal names).
        guard: the outbound guard, which also judges address literals.
        secret: the HMAC key; without one, callbacks go unsigned.
        timeout_seconds: the limit of one attempt.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        guard: OutboundGuard,
        secret: str | None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._session = session
        self._guard = guard
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    @activity.defn(name=ACTIVITY_CALLBACK)
    async def send(self, request: CallbackRequest) -> None:
        """POST the state; retried by Temporal unless the receiver refuses it for good."""
        url = URL(request.url)
        if url.scheme not in {"http", "https"} or not url.host:
            msg = f"callback address {request.url!r} is not an http(s) URL"
            raise ApplicationError(msg, type="CallbackRefused", non_retryable=True)
        refusal = self._guard.refusal(url.host)
        if refusal is not None:
            msg = f"callback to {request.url} refused: {refusal}"
            raise ApplicationError(msg, type="CallbackRefused", non_retryable=True)
        body = msgspec.json.encode(request.body)
        headers = {
            "Content-Type": "application/json",
            "X-Drift-Run-Id": request.body.workflow_id,
            "X-Drift-Sequence": str(request.sequence),
            "Idempotency-Key": f"{request.body.workflow_id}:{request.sequence}",
        }
        if self._secret:
            headers[SIGNATURE_HEADER] = sign_callback(self._secret, body)
        try:
            async with self._session.post(
                request.url,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            blocked = isinstance(getattr(error, "os_error", error), BlockedAddressError)
            msg = f"callback to {request.url} failed: {str(error) or type(error).__name__}"
            kind = "CallbackRefused" if blocked else "CallbackUnreachable"
            raise ApplicationError(msg, type=kind, non_retryable=blocked) from error
        if 200 <= status < 300:  # noqa: PLR2004 - the success class
            return
        permanent = 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS  # noqa: PLR2004
        msg = f"callback to {request.url} answered {status}"
        raise ApplicationError(
            msg,
            type="CallbackRefused",
            non_retryable=permanent,
        )
