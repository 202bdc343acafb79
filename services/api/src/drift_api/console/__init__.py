"""The Drift console: web pages to find runs, see where they are, answer their views.

Server-rendered HTML (Jinja templates shipped in this package, one small script, one
stylesheet; no CDN, no Node.js) mounted by the REST API under ``/console``. The pages
call the same services the REST API's handlers call — the run gateway, the definition
service, the API keys, the run history and the pictures — with the signed-in tenant as
the caller, so tenancy, validation and answers are the API's own. The console does not
call the API over HTTP and keeps no state of its own beyond a signed session cookie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from drift_api.console.action_pages import redrive, send_event, utility_call
from drift_api.console.definition_actions import change_definition
from drift_api.console.definition_pages import definition_graph, definition_page, definitions_page
from drift_api.console.run_list import RunFilters, list_runs
from drift_api.console.run_live import run_live
from drift_api.console.run_pages import graph_svg, inbox, resume, run_page, runs_page, terminate
from drift_api.console.sign_in import sign_in, sign_in_form, sign_out
from drift_api.console.web import BASE, console_of, error_handlers

__all__ = ["BASE", "RunFilters", "console_router", "list_runs"]

_STATIC = Path(__file__).parent / "static"


@get("/", include_in_schema=False)
async def _home(request: Request[Any, Any, Any]) -> Redirect:
    """The inbox when signed in, else the sign-in page."""
    console = await console_of(request)
    return Redirect(f"{BASE}/inbox" if console.caller is not None else f"{BASE}/sign-in")


def console_router() -> Router:
    """The console's pages and assets, to mount in the API's app."""
    static = create_static_files_router(
        path="/static", directories=[_STATIC], include_in_schema=False, name="console-static"
    )
    return Router(
        path=BASE,
        route_handlers=[
            _home,
            sign_in_form,
            sign_in,
            sign_out,
            runs_page,
            inbox,
            run_page,
            graph_svg,
            run_live,
            resume,
            terminate,
            utility_call,
            send_event,
            redrive,
            definitions_page,
            definition_page,
            definition_graph,
            change_definition,
            static,
        ],
        exception_handlers=error_handlers(),
        include_in_schema=False,
    )
