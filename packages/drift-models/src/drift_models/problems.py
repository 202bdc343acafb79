"""Problems: what is wrong with a document, and the one error body of the API.

Every error Drift reports names *what* is wrong and *where*: a :class:`Problem` carries
a JSON path into the document and a sentence a person understands. The REST API wraps
problems in :class:`ProblemDetails`, the RFC 9457 body it uses for every error.
"""

from __future__ import annotations

import enum
from typing import Any

from drift_models._base import AnswerStruct

__all__ = ["Problem", "ProblemDetails", "Severity", "has_errors"]


class Severity(enum.StrEnum):
    """Whether a problem blocks publishing."""

    ERROR = "ERROR"
    """The definition cannot be published or run."""
    WARNING = "WARNING"
    """Worth a look, but allowed (an unreachable utility node, for instance)."""


class Problem(AnswerStruct, kw_only=True):
    """One thing wrong with a document.

    Attributes:
        path: where, as a JSON path into the document (``$.states.refund.nextNode``).
        message: what is wrong and, where it helps, what would be right.
        code: a stable machine-readable name of the kind of problem.
        severity: ``ERROR`` blocks publishing; ``WARNING`` does not.
    """

    path: str
    message: str
    code: str
    severity: Severity = Severity.ERROR


def has_errors(problems: list[Problem]) -> bool:
    """Whether any of ``problems`` is an error (not just a warning)."""
    return any(p.severity is Severity.ERROR for p in problems)


class ProblemDetails(AnswerStruct, kw_only=True):
    """The body of every error response (RFC 9457, ``application/problem+json``).

    Attributes:
        type: a URI naming the kind of error; ``about:blank`` when the status says it all.
        title: a short summary of the kind of error.
        status: the HTTP status code.
        detail: what went wrong this time, for a person.
        instance: the request path the error is about.
        errors: every problem found, each with its JSON path (validation errors).
        extensions: further members specific to the error (a run's current status…).
    """

    title: str
    status: int
    type: str = "about:blank"
    detail: str | None = None
    instance: str | None = None
    errors: list[Problem] = []
    extensions: dict[str, Any] = {}
