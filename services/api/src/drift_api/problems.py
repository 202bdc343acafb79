"""One error body everywhere: RFC 9457 problem details with every problem's path.

Handlers raise :class:`ApiError`; the exception handlers here turn it, Litestar's own
errors (a bad path parameter, an unknown route, a body over the limit) and the typed
errors of the packages (a document that does not decode, a definition that does not
exist, a store that cannot be reached) into :class:`drift_models.ProblemDetails` with
``application/problem+json``. Nothing reaches a client as a bare 500 with a message:
an unexpected error is logged and answered with a generic body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from drift_models import DocumentError, Problem, ProblemDetails
from drift_store import (
    AlreadyExistsError,
    BackendUnavailableError,
    ConflictError,
    InvalidDefinitionError,
    InvalidKeyError,
    NotFoundError,
    UndecodableDefinitionError,
)

__all__ = ["PROBLEM_JSON", "ApiError", "exception_handlers", "problem_response"]

PROBLEM_JSON: Final = "application/problem+json"
_LOG = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered as problem details.

    Args:
        status: the HTTP status.
        title: the short, fixed summary of the kind of error.
        detail: what went wrong this time.
        errors: every problem found, each with its path.
        headers: extra response headers (``WWW-Authenticate``…).
        extensions: further members (a run's current state…).
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[Problem] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = dict(headers or {})
        self.extensions = extensions or {}


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    errors: list[Problem] | None = None,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response[bytes]:
    """A problem-details response about ``request``."""
    body = ProblemDetails(
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors or [],
        extensions=extensions or {},
    )
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def _api_error(request: Request[Any, Any, Any], error: ApiError) -> Response[bytes]:
    return problem_response(
        request,
        error.status,
        error.detail,
        error.errors,
        title=error.title,
        headers=error.headers,
        extensions=error.extensions,
    )


def _validation(request: Request[Any, Any, Any], error: ValidationException) -> Response[bytes]:
    problems: list[Problem] = []
    extra = error.extra if isinstance(error.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key") or "")
        raw_source = item.get("source") or "body"
        source = str(getattr(raw_source, "value", raw_source))
        path = (
            f"{source}:{key}"
            if source in {"query", "path", "header", "cookie"}
            else (key if key.startswith("$") else f"$.{key}" if key else "$")
        )
        problems.append(
            Problem(path=path, message=str(item.get("message") or error.detail), code="request")
        )
    return problem_response(request, 400, _clean(error.detail), problems)


def _http(request: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    status = error.status_code
    headers = dict(error.headers or {})
    detail = _clean(error.detail) or HTTPStatus(status).phrase
    if status >= 500:  # noqa: PLR2004 - the server error class
        _LOG.error("HTTP %s at %s: %s", status, request.url.path, detail)
        detail = "the server could not answer; the error is logged"
    return problem_response(request, status, detail, headers=headers)


def _document(request: Request[Any, Any, Any], error: DocumentError) -> Response[bytes]:
    return problem_response(
        request, 400, "the body does not decode as the expected document", list(error.problems)
    )


def _not_found(request: Request[Any, Any, Any], error: NotFoundError) -> Response[bytes]:
    return problem_response(request, 404, str(error))


def _conflict(request: Request[Any, Any, Any], error: ConflictError) -> Response[bytes]:
    title = "Already Exists" if isinstance(error, AlreadyExistsError) else "Conflict"
    return problem_response(request, 409, str(error), title=title)


def _invalid(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    return problem_response(request, 422, str(error))


def _unavailable(
    request: Request[Any, Any, Any], error: BackendUnavailableError
) -> Response[bytes]:
    _LOG.warning("store unavailable at %s: %s", request.url.path, error)
    return problem_response(
        request, 503, f"the store is unavailable: {error}", headers={"Retry-After": "1"}
    )


def _undecodable(
    request: Request[Any, Any, Any], error: UndecodableDefinitionError
) -> Response[bytes]:
    _LOG.error("undecodable definition at %s: %s", request.url.path, error)
    return problem_response(request, 500, str(error), list(error.problems))


def _unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    _LOG.exception("unexpected error at %s", request.url.path, exc_info=error)
    return problem_response(request, 500, "the server could not answer; the error is logged")


def _clean(detail: str) -> str:
    return detail.strip()


def exception_handlers() -> ExceptionHandlersMap:
    """Every exception handler of the app, most specific first."""
    return {
        ApiError: _api_error,
        ValidationException: _validation,
        HTTPException: _http,
        DocumentError: _document,
        NotFoundError: _not_found,
        ConflictError: _conflict,
        InvalidKeyError: _invalid,
        InvalidDefinitionError: _invalid,
        BackendUnavailableError: _unavailable,
        UndecodableDefinitionError: _undecodable,
        Exception: _unexpected,
    }
