"""A test driver of the engine: publishes the examples and drives runs like the API does."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from drift_api.run_attributes import close_cancelled, start_attributes, start_memo
from drift_models import (
    EventSignal,
    NodeDefinition,
    NodeTypes,
    ResumeInput,
    RunInput,
    StartActivity,
    TerminateInput,
    ThreadContext,
    UtilityInput,
    UtilityResponse,
    VersionRef,
    ViewResponse,
    WorkflowResponse,
    load_definitions,
    temporal_workflow_id,
)
from drift_models.apply import apply_definitions, in_apply_order
from drift_models.engine import (
    QUERY_STATE,
    SIGNAL_EVENT,
    UPDATE_RESUME,
    UPDATE_STATE,
    UPDATE_TERMINATE,
    UPDATE_UTILITY,
    WORKFLOW_NAME,
)
from drift_nodes import NodeRegistry, check_script, discover_nodes, start_activity
from drift_store import ContextRecord, DefinitionNotFoundError, Store
from drift_store.apply_target import StoreApplyTarget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FOLDERS = ("refund", "account-verification", "appointment", "order-checks")


async def publish_examples(store: Store, tenant: str, node_types: NodeTypes) -> None:
    """Put, publish and (for workflows) activate every example definition."""
    files = load_definitions([EXAMPLES / name for name in EXAMPLE_FOLDERS], node_types)
    assert files.problems == [], files.problems
    target = StoreApplyTarget(store.definitions, tenant, check_script=check_script)
    await apply_definitions(target, in_apply_order(files))


_REGISTRY: list[NodeRegistry] = []


def _registry() -> NodeRegistry:
    if not _REGISTRY:
        _REGISTRY.append(discover_nodes())
    return _REGISTRY[0]


@dataclass
class Engine:
    """Drives runs through Temporal the way the REST API does."""

    client: Client
    task_queue: str
    store: Store
    tenant: str = "t1"
    hinted: bool = False
    """Starts say how the start state runs (``RunInput.start_activity``), as the API's do;
    unhinted starts take the path of a starter that does not say."""

    async def start_hint(self, workflow: str) -> StartActivity | None:
        """The start hint the API would send for ``workflow`` (``None`` when unhinted)."""
        if not self.hinted:
            return None
        stored = await self.store.definitions.get_workflow(self.tenant, workflow, "ACTIVE")

        async def read_node(node_id: str, version: VersionRef) -> NodeDefinition | None:
            try:
                return (
                    await self.store.definitions.get_node(self.tenant, node_id, version)
                ).definition
            except DefinitionNotFoundError:
                return None

        return await start_activity(stored.definition, _registry(), read_node)

    def handle(self, run_id: str) -> WorkflowHandle[Any, WorkflowResponse]:
        return self.client.get_workflow_handle(
            temporal_workflow_id(self.tenant, run_id), result_type=WorkflowResponse
        )

    async def start(
        self, workflow: str, params: dict[str, Any], *, run_id: str | None = None, **extra: Any
    ) -> WorkflowResponse:
        run_id = run_id or f"run-{uuid.uuid4().hex[:10]}"
        if "start_activity" not in extra:
            extra["start_activity"] = await self.start_hint(workflow)
        run = RunInput(
            tenant_id=self.tenant,
            run_id=run_id,
            workflow_definition_id=workflow,
            params=params,
            thread_context=ThreadContext(tenant_id=self.tenant, client_id="tests"),
            **extra,
        )
        operation: WithStartWorkflowOperation[Any, WorkflowResponse] = WithStartWorkflowOperation(
            WORKFLOW_NAME,
            run,
            id=temporal_workflow_id(self.tenant, run_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            memo=start_memo(run),
            search_attributes=start_attributes(run),
        )
        return await self.client.execute_update_with_start_workflow(  # type: ignore[no-any-return]
            UPDATE_STATE, start_workflow_operation=operation, result_type=WorkflowResponse
        )

    async def begin(self, workflow: str, params: dict[str, Any], *, run_id: str) -> None:
        """Start a run without waiting for it (as an async-mode start does)."""
        run = RunInput(
            tenant_id=self.tenant,
            run_id=run_id,
            workflow_definition_id=workflow,
            params=params,
            start_activity=await self.start_hint(workflow),
        )
        await self.client.start_workflow(
            WORKFLOW_NAME,
            run,
            id=temporal_workflow_id(self.tenant, run_id),
            task_queue=self.task_queue,
            memo=start_memo(run),
            search_attributes=start_attributes(run),
        )

    async def resume(
        self, run_id: str, selected: dict[str, list[str]], node: str | None = None
    ) -> WorkflowResponse:
        answer = ResumeInput(view_response=ViewResponse(selected_options=selected), node=node)
        return await self.handle(run_id).execute_update(  # type: ignore[no-any-return]
            UPDATE_RESUME, answer, result_type=WorkflowResponse
        )

    async def utility(self, run_id: str, node: str, parameters: dict[str, Any]) -> UtilityResponse:
        call = UtilityInput(node=node, parameters=parameters)
        return await self.handle(run_id).execute_update(  # type: ignore[no-any-return]
            UPDATE_UTILITY, call, result_type=UtilityResponse
        )

    async def terminate(self, run_id: str, reason: str) -> WorkflowResponse:
        answer: WorkflowResponse = await self.handle(run_id).execute_update(
            UPDATE_TERMINATE, TerminateInput(reason=reason), result_type=WorkflowResponse
        )
        await close_cancelled(self.handle(run_id))
        return answer

    async def state(self, run_id: str) -> WorkflowResponse:
        return await self.handle(run_id).execute_update(  # type: ignore[no-any-return]
            UPDATE_STATE, result_type=WorkflowResponse
        )

    async def history_event(
        self, run_id: str, kind: EventType.ValueType, seconds: float = 60.0
    ) -> None:
        """Return once the run's history holds an event of ``kind`` (for example
        ``EventType.EVENT_TYPE_TIMER_FIRED``): a long poll of the history, not a sleep."""
        async with asyncio.timeout(seconds):
            async for event in self.handle(run_id).fetch_history_events(wait_new_event=True):
                if event.event_type == kind:
                    return
        msg = f"run {run_id} closed without a {EventType.Name(kind)} event"
        raise AssertionError(msg)

    async def event(self, run_id: str, name: str, payload: Any) -> None:
        await self.handle(run_id).signal(SIGNAL_EVENT, EventSignal(name=name, payload=payload))

    async def result(self, run_id: str) -> WorkflowResponse:
        """The run's final state: its result, or (a FAILED run fails its workflow) a replay."""
        try:
            return await self.handle(run_id).result()
        except WorkflowFailureError:
            return await self.handle(run_id).query(  # type: ignore[no-any-return]
                QUERY_STATE, result_type=WorkflowResponse
            )

    async def context(self, run_id: str) -> ContextRecord:
        return await self.store.contexts.require(self.tenant, run_id)
