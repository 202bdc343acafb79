"""Pages from the console's Jinja templates, and JSON as a collapsible tree.

Templates and assets ship inside the package (``templates/``, ``static/``): nothing is
fetched from elsewhere, nothing needs Node.js. Autoescaping is on for every template.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Final

from jinja2 import Environment, PackageLoader, select_autoescape
from litestar import Response
from markupsafe import Markup, escape

__all__ = ["json_tree", "page"]

_TREE_LIMIT: Final = 4000
"""Past this many values a JSON document is shown as indented text instead."""

_ENV: Final = Environment(
    loader=PackageLoader("drift_api.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def _leaf(value: Any) -> Markup:
    kind = "null" if value is None else type(value).__name__
    return Markup('<span class="j-{}">{}</span>').format(kind, json.dumps(value))


_BRANCH: Final = Markup(
    '<li class="j-item"><details><summary>{}{}</summary><ul>{}</ul></details></li>'
)
_OPEN_BRANCH: Final = Markup(
    '<li class="j-item"><details open><summary>{}{}</summary><ul>{}</ul></details></li>'
)
_OPEN_LEVELS: Final = 2
"""How many levels of a JSON tree show opened."""


def _tree(value: Any, key: str | None, depth: int) -> Markup:
    label = Markup('<span class="j-key">{}</span>: ').format(key) if key is not None else Markup()
    if not isinstance(value, (dict, list, tuple)) or not value:
        empty = (
            "{}" if isinstance(value, dict) else "[]" if isinstance(value, (list, tuple)) else None
        )
        shown = escape(empty) if empty else _leaf(value)
        return Markup('<li class="j-item">{}{}</li>').format(label, shown)
    items = value.items() if isinstance(value, dict) else enumerate(value)
    children = Markup("").join(_tree(v, str(k), depth + 1) for k, v in items)
    summary = f"{{{len(value)}}}" if isinstance(value, dict) else f"[{len(value)}]"
    branch = _OPEN_BRANCH if depth < _OPEN_LEVELS else _BRANCH
    return branch.format(label, summary, children)


def _count(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_count(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return 1 + sum(_count(v) for v in value)
    return 1


def json_tree(value: Any) -> Markup:
    """``value`` as nested ``<details>`` (collapsible without script; searchable with it)."""
    if _count(value) > _TREE_LIMIT:
        text = json.dumps(value, indent=2, default=str)
        return Markup('<pre class="j-text">{}</pre>').format(text)
    return Markup('<ul class="j-tree">{}</ul>').format(_tree(value, None, 0))


_ENV.filters["when"] = _when
_ENV.filters["json_tree"] = json_tree
_ENV.filters["pretty_json"] = lambda v: json.dumps(v, indent=2, default=str)
_ENV.globals["escape"] = escape


def page(
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response[str]:
    """A rendered template as an HTML response that no frame and no cache may keep."""
    body = _ENV.get_template(template).render(**context)
    return Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
            "Referrer-Policy": "same-origin",
            **(headers or {}),
        },
    )
