"""Typed errors of node execution: retryable or permanent, each saying what and where.

The worker maps :class:`RetryableNodeError` to an ordinary Temporal failure (retried
by the node's retry policy) and :class:`PermanentNodeError` to a non-retryable
application error (the run goes to ``onError`` at once). Each error carries a ``code``
a program can match and a ``message`` a person can act on.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "NodeError",
    "OutboundBlockedError",
    "ParameterError",
    "PermanentNodeError",
    "ResponseTooLargeError",
    "RetryableNodeError",
    "ScriptCrashError",
    "ScriptError",
    "ScriptMemoryError",
    "ScriptTimeoutError",
    "ValueRenderError",
]


class NodeError(Exception):
    """A node failed. Subclasses say whether trying again may help.

    Attributes:
        message: what went wrong, for a person.
        code: a stable name of the kind of failure (``http-status``, ``script``…).
        retryable: whether another attempt may succeed.
        details: JSON-able facts about the failure (a status, a path, a line).
    """

    retryable: bool = False
    default_code: str = "node"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        self.message = message
        self.code = code or self.default_code
        self.details = dict(details or {})
        super().__init__(message)


class RetryableNodeError(NodeError):
    """A failure another attempt may cure: a connection error, a timeout, a 5xx."""

    retryable = True
    default_code = "retryable"


class PermanentNodeError(NodeError):
    """A failure that repeats on every attempt: bad input, a 4xx, a broken script."""

    default_code = "permanent"


class ParameterError(PermanentNodeError):
    """A state's parameter mapping reads a path that is not in the run's context."""

    default_code = "parameter-missing"


class ValueRenderError(PermanentNodeError):
    """A template placeholder names nothing in the node's scope, or a value has the wrong shape."""

    default_code = "value"


class ScriptError(PermanentNodeError):
    """A script failed to compile or to run.

    Attributes:
        line: 1-based line of the fault in the script, when known.
        column: 1-based column of the fault, when known.
    """

    default_code = "script"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        code: str | None = None,
    ) -> None:
        self.line = line
        self.column = column
        details: dict[str, Any] = {}
        if line is not None:
            details["line"] = line
            details["column"] = column
        super().__init__(message, code=code, details=details)


class ScriptTimeoutError(ScriptError):
    """A script ran past its time limit and was stopped."""

    default_code = "script-timeout"


class ScriptMemoryError(ScriptError):
    """A script used more memory than its limit (or killed its sandbox) and was stopped."""

    default_code = "script-memory"


class ScriptCrashError(ScriptError):
    """A script crashed the sandbox process evaluating it; the process was replaced.

    Permanent: the same script over the same values crashes again.
    """

    default_code = "script-crash"


class OutboundBlockedError(PermanentNodeError):
    """The outbound guard refused an address (loopback, private, link-local, metadata)."""

    default_code = "outbound-blocked"


class ResponseTooLargeError(PermanentNodeError):
    """An HTTP response body was larger than the node's ``maxResponseBytes``."""

    default_code = "response-too-large"
