"""The definitions API: ``/nodeDefinition`` and ``/workflowDefinition``.

Both kinds share one set of routes (create, update, get, list, versions, validate,
publish, activate, rollback); workflows add their picture. Bodies are DSL documents,
read by :class:`~drift_api.definitions.DefinitionService` with the installed node
types; a body that does not decode is ``400`` with the exact path, a definition with
errors is ``422`` with every problem.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec
from litestar import Request, Response, Router, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter, QueryParameter

from drift_api.auth import Caller
from drift_api.bodies import pointers_body, summary_body, version_body
from drift_api.definitions import DefinitionService
from drift_api.dependencies import provide_caller, provide_definitions, provide_runs
from drift_api.openapi import NODE_SCHEMA, WORKFLOW_SCHEMA, dsl_operation, problems
from drift_api.pictures import PictureFormat, render_dot
from drift_api.problems import ApiError
from drift_api.run_history import attempt_states
from drift_api.runs import RunGateway
from drift_models import (
    RESERVED_NAMES,
    ActivateRequest,
    DefinitionPage,
    Pointer,
    PointersBody,
    Problem,
    SavedDefinition,
    ValidationReport,
    VersionBody,
    WorkflowDefinition,
    has_errors,
    parse_version_ref,
    workflow_dot,
)
from drift_models.nodes.base import DEFINITION_ID_PATTERN
from drift_store import DefinitionKind

__all__ = ["definition_router", "parse_version"]

_JSON: Final = "application/json"
_PATHS: Final = {
    DefinitionKind.NODE: "/nodeDefinition",
    DefinitionKind.WORKFLOW: "/workflowDefinition",
}
_SCHEMAS: Final = {DefinitionKind.NODE: NODE_SCHEMA, DefinitionKind.WORKFLOW: WORKFLOW_SCHEMA}
_SAVED: Final = {
    DefinitionKind.NODE: "DslSavedNodeDefinition",
    DefinitionKind.WORKFLOW: "DslSavedWorkflowDefinition",
}
_ID_PATTERN: Final = DEFINITION_ID_PATTERN.replace("(?!\\n)", "")

VERSION_PATTERN: Final = r"^([1-9][0-9]{0,9}|SNAPSHOT|LATEST|ACTIVE|snapshot|latest|active)$"
IdParameter = Annotated[str, Parameter(description="The definition's id.", pattern=_ID_PATTERN)]
VersionParameter = Annotated[
    str,
    Parameter(
        description="A published number, SNAPSHOT, LATEST or ACTIVE.",
        pattern=VERSION_PATTERN,
    ),
]


def parse_version(text: str) -> int | Pointer:
    """A version from a query parameter.

    Raises:
        ApiError: 400 naming the accepted spellings.
    """
    try:
        return parse_version_ref(text)
    except ValueError as error:
        raise ApiError(
            400,
            "Bad Request",
            str(error),
            [Problem(path="query:version", message=str(error), code="version-invalid")],
        ) from None


def _json(document: Any, status: int = 200) -> Response[bytes]:
    return Response(msgspec.json.encode(document), status_code=status, media_type=_JSON)


def definition_router(kind: DefinitionKind) -> Router:
    """The routes of one kind of definition."""
    tag = "node definitions" if kind is DefinitionKind.NODE else "workflow definitions"
    handlers = [*_write_handlers(kind), *_read_handlers(kind), *_pointer_handlers(kind)]
    if kind is DefinitionKind.WORKFLOW:
        handlers += _picture_handlers()
    return Router(
        path=_PATHS[kind],
        route_handlers=handlers,
        tags=[tag],
        dependencies={
            "caller": Provide(provide_caller),
            "definitions": Provide(provide_definitions),
        },
    )


def _write_handlers(kind: DefinitionKind) -> list[Any]:
    schema = _SCHEMAS[kind]

    async def _save(
        request: Request[Any, Any, Any],
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
        *,
        create: bool,
        path_id: str | None = None,
    ) -> Response[bytes]:
        definition = definitions.decode(kind, await request.body())
        if path_id is not None and definition.id != path_id:
            message = f"the body's id {definition.id!r} differs from the URL's {path_id!r}"
            raise ApiError(
                422, "Id Mismatch", message, [Problem(path="$.id", message=message, code="id")]
            )
        stored, found = await definitions.save(caller.tenant_id, definition, create=create)
        body = SavedDefinition(definition=stored.definition, problems=found)
        return _json(body, 201 if create else 200)

    @post(
        "",
        summary="Create a definition (its SNAPSHOT)",
        operation_class=dsl_operation(request=schema, response=_SAVED[kind], status=201),
        responses=problems(409, 422, 503),
        status_code=201,
    )
    async def create(
        *,
        request: Request[Any, Any, Any],
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
    ) -> Response[bytes]:
        """Store a new definition as its SNAPSHOT."""
        return await _save(request, definitions, caller, create=True)

    @put(
        "/{definition_id:str}",
        summary="Replace the SNAPSHOT",
        operation_class=dsl_operation(request=schema, response=_SAVED[kind]),
        responses=problems(404, 422, 503),
        status_code=200,
    )
    async def update(
        *,
        definition_id: IdParameter,
        request: Request[Any, Any, Any],
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
    ) -> Response[bytes]:
        """Replace the SNAPSHOT of an existing definition (numbered versions never change)."""
        return await _save(request, definitions, caller, create=False, path_id=definition_id)

    @post(
        "/validate",
        summary="Validate without saving",
        operation_class=dsl_operation(request=schema),
        responses=problems(503),
        status_code=200,
    )
    async def validate(
        *,
        request: Request[Any, Any, Any],
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
    ) -> ValidationReport:
        """Every problem of a definition at once, each with its JSON path."""
        definition = definitions.decode(kind, await request.body())
        found = await definitions.problems(caller.tenant_id, definition)
        return ValidationReport(valid=not has_errors(found), problems=found)

    @post(
        "/{definition_id:str}/publish",
        summary="Publish the SNAPSHOT as the next number",
        operation_class=dsl_operation(response=schema),
        responses=problems(404, 422, 503),
        status_code=200,
    )
    async def publish(
        *,
        definition_id: IdParameter,
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
    ) -> Response[bytes]:
        """Validate the SNAPSHOT and freeze it; LATEST moves to the new number."""
        stored = await definitions.publish(caller.tenant_id, kind, definition_id)
        return _json(stored.definition)

    return [create, update, validate, publish]


def _read_handlers(kind: DefinitionKind) -> list[Any]:
    schema = _SCHEMAS[kind]

    @get(
        "/{definition_id:str}",
        summary="Read one version",
        operation_class=dsl_operation(response=schema),
        responses=problems(404, 503),
    )
    async def read(
        *,
        definition_id: IdParameter,
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
        version: VersionParameter = "LATEST",
        enrich_node_definition: Annotated[
            bool,
            QueryParameter(
                name="enrichNodeDefinition",
                description="Workflows: inline each referenced node definition.",
            ),
        ] = False,
    ) -> Response[bytes]:
        """One version of a definition (LATEST by default)."""
        stored = await definitions.get(
            caller.tenant_id, kind, definition_id, parse_version(version)
        )
        document = stored.definition
        if enrich_node_definition and isinstance(document, WorkflowDefinition):
            document = await definitions.enrich(caller.tenant_id, document)
        return _json(document)

    @get("", summary="List definitions", responses=problems(503))
    async def listing(
        *,
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
        after: Annotated[
            str | None,
            Parameter(description="The nextCursor of the previous page.", pattern=_ID_PATTERN),
        ] = None,
        limit: Annotated[int, Parameter(description="Items per page.", ge=1, le=1000)] = 50,
    ) -> DefinitionPage:
        """One page of the tenant's definitions, ordered by id."""
        page = await definitions.store.list(caller.tenant_id, kind, after=after, limit=limit)
        return DefinitionPage(
            items=[summary_body(item) for item in page.items],
            next_cursor=page.next_cursor,
        )

    @get(
        "/{definition_id:str}/versions", summary="Published versions", responses=problems(404, 503)
    )
    async def versions(
        *,
        definition_id: IdParameter,
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
    ) -> list[VersionBody]:
        """Every published version, oldest first, with LATEST and ACTIVE marked."""
        history = await definitions.store.history(caller.tenant_id, kind, definition_id)
        return [version_body(item) for item in history]

    return [read, listing, versions]


def _pointer_handlers(kind: DefinitionKind) -> list[Any]:
    @post(
        "/{definition_id:str}/activate",
        summary="Point ACTIVE at a published number",
        responses=problems(404, 503),
        status_code=200,
    )
    async def activate(
        *,
        definition_id: IdParameter,
        data: JSONBody[ActivateRequest],
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
    ) -> PointersBody:
        """Activate a version (any published number; an older one is a rollback)."""
        pointers = await definitions.store.activate(
            caller.tenant_id, kind, definition_id, data.version
        )
        return pointers_body(definition_id, pointers)

    @post(
        "/{definition_id:str}/rollback",
        summary="Point ACTIVE back at the previous activation",
        responses=problems(404, 503),
        status_code=200,
    )
    async def rollback(
        *,
        definition_id: IdParameter,
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
    ) -> PointersBody:
        """Undo the last activation."""
        pointers = await definitions.store.rollback(caller.tenant_id, kind, definition_id)
        return pointers_body(definition_id, pointers)

    return [activate, rollback]


def _visited(context: dict[str, Any]) -> set[str]:
    """The states a run has executed: those with an output, an answer or an error."""
    states = set()
    for key in context:
        name = key.split(":", 1)[0]
        if name not in RESERVED_NAMES:
            states.add(name)
    return states


def _picture_handlers() -> list[Any]:
    return [_picture_handler(picture) for picture in PictureFormat]


def _picture_handler(picture: PictureFormat) -> Any:
    @get(
        f"/{{definition_id:str}}/graph.{picture.value}",
        summary=f"The workflow's graph as {picture.value.upper()}",
        media_type=picture.media_type,
        responses=problems(404, 422, 503),
        name=f"graph-{picture.value}",
        dependencies={"runs": Provide(provide_runs)},
    )
    async def graph(
        *,
        definition_id: IdParameter,
        definitions: NamedDependency[DefinitionService],
        runs: NamedDependency[RunGateway],
        caller: NamedDependency[Caller],
        version: Annotated[
            str | None,
            Parameter(
                description="A number, SNAPSHOT, LATEST or ACTIVE; by default the run's "
                "pinned version, else LATEST.",
                pattern=VERSION_PATTERN,
            ),
        ] = None,
        run_id: Annotated[
            str | None,
            QueryParameter(
                name="runId",
                description="Colour the path of this run and its current state.",
                pattern=r"^[\w.:\-]{1,200}$",
            ),
        ] = None,
    ) -> Response[bytes]:
        """Draw the workflow, optionally with one run's path and current state."""
        tenant = caller.tenant_id
        visited: set[str] = set()
        earlier: set[str] = set()
        redriven_at: set[str] = set()
        current = None
        status = None
        number: int | Pointer = parse_version(version) if version is not None else "LATEST"
        if run_id is not None:
            record = await runs.record(caller, run_id)
            if record.workflow_id not in {None, definition_id}:
                message = (
                    f"run {run_id!r} runs workflow {record.workflow_id!r}, not {definition_id!r}"
                )
                raise ApiError(
                    422,
                    "Wrong Run",
                    message,
                    [Problem(path="query:runId", message=message, code="run-mismatch")],
                )
            if version is None and record.workflow_version is not None:
                number = record.workflow_version
            visited = _visited(record.context.global_)
            current = record.current_node
            status = record.status
            earlier, redriven_at = await attempt_states(runs.client, tenant, run_id)
        stored = await definitions.workflow(tenant, definition_id, number)
        drawn = await definitions.graph(tenant, stored.definition)
        dot = workflow_dot(
            drawn,
            visited=visited,
            current=current,
            status=status,
            earlier=earlier,
            redriven_at=redriven_at,
        )
        return Response(await render_dot(dot, picture), media_type=picture.media_type)

    return graph
