"""The hand-written baseline's HTTP service (bench/overload.py): as small as it gets.

``POST /start`` is update-with-start of the ``state`` update (the answer is the view),
``PUT /resume/{runId}`` is the ``resume`` update (the answer is the end); both wait at
most the sync timeout, then answer ``202``. granian serves a two-route Litestar app
with no auth, tracing, metrics or admission (and the same listen backlog as drift-api);
it names the workflow and its updates by string, so it imports neither the workflow nor
any Drift package.

Usage (started by bench/overload.py): ``python bench/overload_baseline_service.py``,
configured by the environment (``BASELINE_*``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from granian.constants import Interfaces
from granian.server.embed import Server
from litestar import Litestar, Request, Response, post, put
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

TENANT = "baseline"
_CLIENTS: list[Client] = []
_CONNECTING = asyncio.Lock()
_SYNC_TIMEOUT = float(os.environ.get("BASELINE_SYNC_TIMEOUT", "10"))


async def _client() -> Client:
    async with _CONNECTING:
        if not _CLIENTS:
            _CLIENTS.append(await Client.connect(os.environ["BASELINE_TEMPORAL"]))
    return _CLIENTS[0]


@post("/start", status_code=200)
async def start(request: Request[Any, Any, Any]) -> Response[Any]:
    """Start a run; answer its view."""
    body = await request.json()
    run_id = body["runId"]
    operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        "lean.refund",
        args=[run_id, body["orderId"]],
        id=f"{TENANT}/{run_id}",
        task_queue=os.environ["BASELINE_QUEUE"],
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    client = await _client()
    try:
        async with asyncio.timeout(_SYNC_TIMEOUT):
            view = await client.execute_update_with_start_workflow(
                "state", start_workflow_operation=operation
            )
    except TimeoutError:
        return Response({"runId": run_id, "status": "RUNNING"}, status_code=202)
    return Response(view)


@put("/resume/{run_id:str}", status_code=200)
async def resume(run_id: str, request: Request[Any, Any, Any]) -> Response[Any]:
    """Give the decision; answer the end."""
    body = await request.json()
    handle = (await _client()).get_workflow_handle(f"{TENANT}/{run_id}")
    try:
        async with asyncio.timeout(_SYNC_TIMEOUT):
            end = await handle.execute_update("resume", body["decision"])
    except TimeoutError:
        return Response({"runId": run_id, "status": "RUNNING"}, status_code=202)
    return Response(end)


def main() -> int:
    """Serve until stopped."""
    app = Litestar(route_handlers=[start, resume], openapi_config=None)
    server = Server(
        app,
        address="127.0.0.1",
        port=int(os.environ["BASELINE_PORT"]),
        interface=Interfaces.ASGI,
        log_enabled=False,
        backlog=4096,  # as drift-api: granian's 128 leaves connections unanswered
        backpressure=4096,
    )
    asyncio.run(server.serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
