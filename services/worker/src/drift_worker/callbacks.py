"""The callback activity: POST a run's state to the caller's address, signed."""

from __future__ import annotations

from typing import Final

import aiohttp
import msgspec
from temporalio import activity
from temporalio.exceptions import ApplicationError

from drift_models import SIGNATURE_HEADER, sign_callback
from drift_worker.plan import ACTIVITY_CALLBACK, CallbackRequest

__all__ = ["CallbackSender"]

_RETRYABLE_CLIENT_ERRORS: Final = frozenset({408, 425, 429})


class CallbackSender:
    """Sends callbacks over one shared HTTP session.

    Args:
        session: the worker's HTTP session.
        secret: the HMAC key; without one, callbacks go unsigned.
        timeout_seconds: the limit of one attempt.
    """

    def __init__(
        self, session: aiohttp.ClientSession, secret: str | None, timeout_seconds: float = 10.0
    ) -> None:
        self._session = session
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    @activity.defn(name=ACTIVITY_CALLBACK)
    async def send(self, request: CallbackRequest) -> None:
        """POST the state; retried by Temporal unless the receiver refuses it for good."""
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
        except (aiohttp.ClientError, TimeoutError) as error:
            msg = f"callback to {request.url} failed: {str(error) or type(error).__name__}"
            raise ApplicationError(msg, type="CallbackUnreachable") from error
        if 200 <= status < 300:  # noqa: PLR2004 - the success class
            return
        permanent = 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS  # noqa: PLR2004
        msg = f"callback to {request.url} answered {status}"
        raise ApplicationError(
            msg,
            type="CallbackRefused",
            non_retryable=permanent,
        )
