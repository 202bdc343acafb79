"""Bodies are checked before any decoder sees them: UTF-8, and nested at most so deep.

msgspec decodes nesting recursively and gives up with a ``RecursionError`` near the
interpreter's recursion limit (about 1,000 levels); the DSL decoder, the templates and
the worker recurse over the same values later. So every request body is scanned once,
before routing decodes it: bytes that are not UTF-8, or arrays and objects nested
deeper than :data:`MAX_JSON_DEPTH`, are ``400`` with the byte offset where it went
wrong. The scan costs two ``bytes.count`` calls for an ordinary body, and a few
C-level passes (blank the strings, keep the brackets, a running sum) for a body with
very many brackets.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any, Final

from litestar import Request

from drift_api.problems import ApiError
from drift_models import Problem

__all__ = ["MAX_JSON_DEPTH", "check_json_body", "guard_request_body"]

MAX_JSON_DEPTH: Final = 128
"""The deepest nesting of arrays and objects a request body may have."""

_STRINGS: Final = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")
_STEP: Final = [1 if b in b"[{" else -1 for b in range(256)]
_WITH_BODY: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def check_json_body(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse a body that is not UTF-8 or is nested deeper than ``max_depth``.

    It is not a JSON validator: whatever passes still goes to the decoder, which
    names its own errors with their paths.

    Raises:
        ApiError: ``400`` saying what is wrong and at which byte.
    """
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        msg = (
            f"the body is not UTF-8: byte {error.start} ({body[error.start]:#04x}) cannot "
            "start or continue a character; send JSON encoded as UTF-8"
        )
        raise _bad(
            msg,
            "body-encoding",
        ) from None
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return
    # Strings cannot nest: blank them, keep only the brackets, and sum +1/-1 over them
    # (all in C: a few milliseconds for megabytes of brackets).
    brackets = _STRINGS.sub(b'""', body).translate(None, _NOT_BRACKETS)
    depth = max(accumulate(map(_STEP.__getitem__, brackets)), default=0)
    if depth > max_depth:
        msg = (
            f"the body nests arrays and objects {depth} levels deep, deeper than the "
            f"{max_depth} accepted; flatten the document"
        )
        raise _bad(msg, "body-too-deep")


async def guard_request_body(request: Request[Any, Any, Any]) -> None:
    """Litestar ``before_request`` hook: check the body of every request that has one.

    The body is read once here and kept by the request, so the handler's decoder
    reads the same bytes without a second receive.
    """
    if request.method not in _WITH_BODY:
        return
    check_json_body(await request.body())


def _bad(message: str, code: str) -> ApiError:
    return ApiError(400, "Bad Request", message, [Problem(path="$", message=message, code=code)])
