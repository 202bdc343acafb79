"""``OPTIONS`` answers with every method of the resource in ``Allow``.

Litestar makes the ``OPTIONS`` handler of a path when it registers the path's first
handlers, and a later handler of the same path (a ``GET`` beside a ``POST``, say) is
merged into the route without it: its ``Allow`` would miss methods the document lists.
So the app answers ``OPTIONS`` itself, from the finished routes.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response
from litestar.routes import HTTPRoute

__all__ = ["allowed_methods", "answer_options"]


def allowed_methods(app: Litestar) -> dict[str, str]:
    """Each path template of the app → its ``Allow`` header value."""
    found: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            found.setdefault(route.path_format, set()).update(str(m) for m in route.methods)
    return {path: ", ".join(sorted(methods | {"OPTIONS"})) for path, methods in found.items()}


def answer_options(request: Request[Any, Any, Any], allowed: dict[str, str]) -> Response[None]:
    """The ``204`` of an ``OPTIONS`` request, with the resource's full ``Allow``."""
    template = str(request.scope.get("path_template") or request.url.path)
    allow = allowed.get(template, "OPTIONS")
    return Response(None, status_code=204, headers={"Allow": allow})
