"""``/workflowDefinition/{id}/scenarios``: the scenario document the publish gate runs.

``PUT`` stores (replaces) a workflow's scenario file, decoded strictly first (a fault is
``400`` with its JSON path; a file for another workflow is ``422``); ``GET`` answers it
as stored. Publishing the workflow then runs its scenarios (see
:mod:`drift_api.scenario_gate`); an empty ``scenarios`` list turns the gate off.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from litestar import Request, Response, get, put
from litestar.di import NamedDependency
from litestar.params import Parameter

from drift_api.auth import Caller
from drift_api.definitions import DefinitionService
from drift_api.openapi import SCENARIO_SCHEMA, dsl_operation, problems
from drift_api.problems import ApiError
from drift_api.scenario_gate import ScenarioGate
from drift_models import Problem
from drift_models.nodes.base import DEFINITION_ID_PATTERN
from drift_models.scenario_documents import ScenariosSaved
from drift_nodes import decode_scenario_file
from drift_store import DefinitionKind, NotFoundError

__all__ = ["scenario_handlers"]

_ID_PATTERN: Final = DEFINITION_ID_PATTERN.replace("(?!\\n)", "")
WorkflowIdParameter = Annotated[
    str, Parameter(description="The workflow's id.", pattern=_ID_PATTERN)
]


def scenario_handlers() -> list[Any]:
    """The scenario routes of the workflow router."""

    @put(
        "/{definition_id:str}/scenarios",
        summary="Store the workflow's scenarios (run before each publish)",
        operation_class=dsl_operation(request=SCENARIO_SCHEMA),
        responses=problems(404, 422, 503),
        status_code=200,
    )
    async def put_scenarios(
        *,
        definition_id: WorkflowIdParameter,
        request: Request[Any, Any, Any],
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
    ) -> ScenariosSaved:
        """Replace the scenario document of an existing workflow."""
        data = await request.body()
        document = decode_scenario_file(data)
        if document.workflow != definition_id:
            message = f"the scenarios test workflow {document.workflow!r}, not {definition_id!r}"
            raise ApiError(
                422,
                "Workflow Mismatch",
                message,
                [Problem(path="$.workflow", message=message, code="workflow-mismatch")],
            )
        # The workflow must exist (any version): scenarios are kept beside it.
        await definitions.store.get_exact(
            caller.tenant_id, DefinitionKind.WORKFLOW, definition_id, None
        )
        gate = _gate(definitions)
        stored = await gate.scenarios.put(caller.tenant_id, definition_id, data)
        return ScenariosSaved(
            workflow_id=definition_id,
            scenarios=len(document.scenarios),
            updated_at=stored.updated_at,
        )

    @get(
        "/{definition_id:str}/scenarios",
        summary="The workflow's scenarios, as stored",
        responses=problems(404, 503),
    )
    async def get_scenarios(
        *,
        definition_id: WorkflowIdParameter,
        definitions: NamedDependency[DefinitionService],
        caller: NamedDependency[Caller],
    ) -> Response[bytes]:
        """The scenario document of a workflow (404 when it has none)."""
        stored = await _gate(definitions).scenarios.get(caller.tenant_id, definition_id)
        if stored is None:
            message = f"workflow {definition_id!r} has no scenarios"
            raise ApiError(
                404,
                "Not Found",
                message,
                [Problem(path="path:definitionId", message=message, code="not-found")],
            )
        return Response(stored.data, media_type="application/json")

    return [put_scenarios, get_scenarios]


def _gate(definitions: DefinitionService) -> ScenarioGate:
    if definitions.gate is None:
        raise NotFoundError("this API keeps no scenarios")
    return definitions.gate
