"""Bodies are checked before any decoder sees them: UTF-8, and nested at most so deep.

msgspec decodes nesting recursively and gives up with a ``RecursionError`` near the
interpreter's recursion limit (about 1,000 levels); the DSL decoder, the templates and
the worker recurse over the same values later. So every request body is scanned once,
before routing decodes it: bytes that are not UTF-8, or arrays and objects nested
deeper than :data:`MAX_JSON_DEPTH`, are ``400`` with the byte offset where it went
wrong. The scan costs two ``bytes.count`` calls for an ordinary body and one C-level
regular-expression pass for a body with very many brackets.
"""

from __future__ import annotations

import re
from typing import Any, Final

from litestar import Request

from drift_api.problems import ApiError
from drift_models import Problem

__all__ = ["MAX_JSON_DEPTH", "check_json_body", "guard_request_body"]

MAX_JSON_DEPTH: Final = 128
"""The deepest nesting of arrays and objects a request body may have."""

_TOKENS: Final = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_OPEN: Final = frozenset(b"[{")
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
    depth = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if len(token) != 1:
            continue  # a string: brackets inside it do not nest
        if token[0] in _OPEN:
            depth += 1
            if depth > max_depth:
                msg = (
                    f"the body nests arrays and objects deeper than {max_depth} levels "
                    f"(at byte {match.start()}); flatten the document"
                )
                raise _bad(
                    msg,
                    "body-too-deep",
                )
        else:
            depth = max(depth - 1, 0)


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
