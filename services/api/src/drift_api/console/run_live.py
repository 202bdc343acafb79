"""Keeping an open run's page current without a reload.

A run's page carries the fingerprint of the state it shows (status, node, last change).
While the run can still move, the console's script asks :func:`run_live` for the run's
fingerprint every few seconds (through :meth:`RunGateway.state`, as the page itself
reads it) and reloads the page when it changed; when the person has begun typing an
answer the page keeps it and says the run moved on instead. Without the script a
running run's page refreshes itself (a ``<noscript>`` refresh); a waiting one does not,
so that nothing typed is lost.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import PathParameter

from drift_api.console.web import signed_in_caller
from drift_models import WorkflowResponse

__all__ = ["fingerprint", "run_live"]

RunId = Annotated[str, PathParameter(pattern=r"^[\w.:\-]{1,200}$")]


def fingerprint(state: WorkflowResponse) -> str:
    """What changes whenever the run's page would show something else."""
    updated = state.updated_at.isoformat() if state.updated_at else ""
    view = state.view.node if state.view is not None else ""
    return "|".join((state.workflow_status.value, state.current_node or "", view, updated))


@get("/runs/{run_id:str}/live", include_in_schema=False)
async def run_live(request: Request[Any, Any, Any], run_id: RunId) -> Response[dict[str, Any]]:
    """The run's status and fingerprint, for its page's script to compare."""
    console, caller = await signed_in_caller(request)
    state = (await console.services.runs.state(caller, run_id)).body
    body = {
        "status": state.workflow_status.value,
        "final": state.workflow_status.is_final,
        "fingerprint": fingerprint(state),
    }
    return Response(body, headers={"Cache-Control": "no-store"})
