"""The definitions pages: node and workflow definitions, their versions, JSON and graph.

Reads go through the REST API's :class:`DefinitionService` (the cache for published
versions, the tenant's own definitions only) and its validation, so the problems shown
are the ones publishing would report.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.params import PathParameter

from drift_api.console.render import page
from drift_api.console.web import signed_in_caller
from drift_api.definition_routes import VERSION_PATTERN, parse_version
from drift_api.pictures import PictureFormat, render_dot
from drift_api.problems import ApiError
from drift_models import WorkflowDefinition
from drift_models.dot import workflow_dot
from drift_store import DefinitionKind, DefinitionNotFoundError

__all__ = [
    "DefinitionId",
    "Kind",
    "definition_graph",
    "definition_page",
    "definitions_page",
    "kind_of",
]

DefinitionId = Annotated[str, PathParameter(pattern=r"^[\w.\-]{1,128}$")]
Kind = Annotated[str, PathParameter(pattern=r"^(node|workflow)$")]
_KINDS = {"node": DefinitionKind.NODE, "workflow": DefinitionKind.WORKFLOW}


def kind_of(text: str) -> DefinitionKind:
    """The kind a page path names (``node`` or ``workflow``)."""
    kind = _KINDS.get(text)
    if kind is None:
        msg = f"there is no kind of definition {text!r}: node or workflow"
        raise ApiError(404, "Not Found", msg)
    return kind


def _version(request: Request[Any, Any, Any]) -> str:
    version = request.query_params.get("version") or "LATEST"
    return version if re.match(VERSION_PATTERN, version) else "LATEST"


@get("/definitions", include_in_schema=False)
async def definitions_page(request: Request[Any, Any, Any]) -> Response[str]:
    """The tenant's workflow and node definitions with their LATEST and ACTIVE versions."""
    console, caller = await signed_in_caller(request)
    store = console.services.definitions.store
    workflows = await store.list(caller.tenant_id, DefinitionKind.WORKFLOW, limit=500)
    nodes = await store.list(caller.tenant_id, DefinitionKind.NODE, limit=500)
    context = console.context(title="Definitions", workflows=workflows.items, nodes=nodes.items)
    return page("definitions.html", context)


@get("/definitions/{kind:str}/{definition_id:str}", include_in_schema=False)
async def definition_page(
    request: Request[Any, Any, Any], kind: Kind, definition_id: DefinitionId
) -> Response[str]:
    """One definition: its versions, the chosen version's JSON, problems and graph."""
    console, caller = await signed_in_caller(request)
    definitions = console.services.definitions
    which = kind_of(kind)
    version = _version(request)
    try:
        stored = await definitions.get(
            caller.tenant_id, which, definition_id, parse_version(version)
        )
    except DefinitionNotFoundError:
        if request.query_params.get("version"):
            raise
        # Never published: the draft is what there is to read (and its problems).
        version = "SNAPSHOT"
        stored = await definitions.get(
            caller.tenant_id, which, definition_id, parse_version(version)
        )
    try:
        versions = await definitions.store.history(caller.tenant_id, which, definition_id)
    except DefinitionNotFoundError:
        versions = []  # only a draft so far
    problems = await definitions.problems(caller.tenant_id, stored.definition)
    document = msgspec.to_builtins(stored.definition)
    context = console.context(
        title=f"{kind.capitalize()} {definition_id}",
        kind=kind,
        definition_id=definition_id,
        version=version,
        shown=document.get("version") if isinstance(document, dict) else None,
        versions=versions,
        problems=problems,
        document=document,
        is_workflow=which is DefinitionKind.WORKFLOW,
        done=request.query_params.get("done"),
    )
    return page("definition.html", context)


@get(
    "/definitions/{kind:str}/{definition_id:str}/graph.svg",
    include_in_schema=False,
    media_type="image/svg+xml",
)
async def definition_graph(
    request: Request[Any, Any, Any], kind: Kind, definition_id: DefinitionId
) -> Response[bytes]:
    """A workflow version's graph (no run's colours)."""
    console, caller = await signed_in_caller(request)
    if kind_of(kind) is not DefinitionKind.WORKFLOW:
        raise ApiError(404, "Not Found", "only workflows have a graph")
    definitions = console.services.definitions
    stored = await definitions.get(
        caller.tenant_id, DefinitionKind.WORKFLOW, definition_id, parse_version(_version(request))
    )
    workflow = stored.definition
    assert isinstance(workflow, WorkflowDefinition)  # noqa: S101 - the kind says so
    drawn = await definitions.graph(caller.tenant_id, workflow)
    svg = await render_dot(workflow_dot(drawn), PictureFormat.SVG)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
