"""The engine activities' store I/O: outages become ``StoreUnavailable``, lost answers
are reconciled, nodes run once per landed write.

The activities are the real ones on a real (in-memory) SQLite store; the context store
is wrapped so that a test can lose a write's answer or lose a race on purpose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from msgspec import UNSET, UnsetType
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from drift_models import RunContext, RunStatus
from drift_nodes import NodeResources, NodeSettings, discover_nodes
from drift_store import (
    BackendUnavailableError,
    ContextRecord,
    ContextStore,
    DefinitionKind,
    RevisionConflict,
    Store,
    open_store,
)
from drift_worker.activities import EngineActivities
from drift_worker.enum_store import EnumStore
from drift_worker.first_step import BeginStepResult
from drift_worker.metrics import Metrics
from drift_worker.plan import STORE_UNAVAILABLE, BeginRequest, Outcome, StepRequest

TENANT = "t1"
COUNTED = {
    "id": "counted",
    "startNode": "count",
    "states": {
        "count": {
            "nodeDefinition": {
                "type": "SCRIPT",
                "id": "count",
                "name": "count",
                "config": {"script": "{'n': (_global.get('count') or {'n': 0})['n'] + 1}"},
            },
            "nextNode": "done",
        },
        "done": {"nodeDefinition": {"type": "SUCCESS", "id": "done", "name": "done"}},
    },
}


SLOW_SECOND = {
    "id": "slow-second",
    "startNode": "one",
    "states": {
        "one": {
            "nodeDefinition": {
                "type": "SCRIPT",
                "id": "one",
                "name": "one",
                "config": {"script": "{'ran': True}"},
            },
            "timeoutSeconds": 0.5,
            "nextNode": "two",
        },
        "two": {
            "nodeDefinition": {
                "type": "SCRIPT",
                "id": "two",
                "name": "two",
                "config": {
                    "script": "def spin():\n    n = 0\n    for i in range(100000000):\n"
                    "        n += i\n    return n\nspin()"
                },
            },
            "nextNode": "done",
        },
        "done": {"nodeDefinition": {"type": "SUCCESS", "id": "done", "name": "done"}},
    },
}
"""Its start state's limit (0.5 s) passes while the pure state after it still runs."""


class FlakyContexts(ContextStore):
    """A real context store whose next update can lose its answer or its race."""

    lose_answer = False
    lose_race = False
    lose_create_answer = False
    refuse_create = False
    refuse_write = False
    creates = 0
    updates = 0

    async def create(self, tenant: str, run_id: str, context: RunContext, **extra: Any) -> Any:
        if self.refuse_create:
            self.refuse_create = False
            raise BackendUnavailableError("sqlite :memory:", "the store is away")
        self.creates += 1
        created = await super().create(tenant, run_id, context, **extra)
        if self.lose_create_answer:
            self.lose_create_answer = False
            raise BackendUnavailableError("sqlite :memory:", "the answer was lost")
        return created

    async def update(
        self,
        tenant: str,
        run_id: str,
        *,
        expected_revision: int,
        context: RunContext | UnsetType = UNSET,
        current_node: str | UnsetType | None = UNSET,
        status: RunStatus | UnsetType = UNSET,
    ) -> ContextRecord:
        if self.refuse_write:
            self.refuse_write = False
            raise BackendUnavailableError("sqlite :memory:", "the store is away")
        if self.lose_race:
            self.lose_race = False
            raise RevisionConflict(
                tenant, run_id, expected=expected_revision, actual=expected_revision + 1
            )
        self.updates += 1
        written = await super().update(
            tenant,
            run_id,
            expected_revision=expected_revision,
            context=context,
            current_node=current_node,
            status=status,
        )
        if self.lose_answer:
            self.lose_answer = False
            raise BackendUnavailableError("sqlite :memory:", "the answer was lost")
        return written


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    async with open_store("sqlite://:memory:", node_types=discover_nodes().node_types) as opened:
        for document in (COUNTED, SLOW_SECOND):
            await opened.definitions.put(
                TENANT, opened.definitions.node_types.convert_workflow(document)
            )
        published = await opened.definitions.publish(TENANT, DefinitionKind.WORKFLOW, "counted")
        number = published.definition.version
        assert isinstance(number, int)
        await opened.definitions.activate(TENANT, DefinitionKind.WORKFLOW, "counted", number)
        yield opened


@pytest.fixture
async def parts(store: Store) -> AsyncIterator[tuple[EngineActivities, FlakyContexts, Metrics]]:
    contexts = FlakyContexts(store.backend.contexts)
    metrics = Metrics()
    async with NodeResources(NodeSettings()) as resources:
        activities = EngineActivities(
            definitions=store.definitions,
            contexts=contexts,
            registry=discover_nodes(),
            resources=resources,
            enum_store=EnumStore(),
            metrics=metrics,
        )
        yield activities, contexts, metrics


def _environment() -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, is_local=True, start_to_close_timeout=timedelta(seconds=30)
    )
    return env


async def _begin(activities: EngineActivities, run_id: str) -> StepRequest:
    begun = await _environment().run(
        activities.begin,
        BeginRequest(
            tenant_id=TENANT, run_id=run_id, workflow_definition_id="counted", version="ACTIVE"
        ),
    )
    plan = begun.plan
    return StepRequest(
        tenant_id=TENANT,
        run_id=run_id,
        workflow_id=plan.workflow_id,
        workflow_version=plan.workflow_version,
        pins=plan.pins(),
        state=plan.start_node,
        revision=begun.revision,
    )


async def _begin_step(activities: EngineActivities, run_id: str) -> BeginStepResult:
    """Pin ``run_id`` of the counted workflow and run its first step in one activity."""
    request = BeginRequest(
        tenant_id=TENANT, run_id=run_id, workflow_definition_id="counted", version="ACTIVE"
    )
    result: BeginStepResult = await _environment().run(activities.begin_step, request)
    return result


def _scripts_run(metrics: Metrics) -> Any:
    return metrics.registry.get_sample_value(
        "drift_nodes_total", {"type": "SCRIPT", "status": "COMPLETED"}
    )


async def test_a_write_whose_answer_was_lost_is_not_run_again(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    activities, contexts, metrics = parts
    request = await _begin(activities, "lost-1")
    contexts.lose_answer = True
    with pytest.raises(ApplicationError) as failed:
        await _environment().run(activities.step, request)
    assert failed.value.type == STORE_UNAVAILABLE
    assert failed.value.non_retryable
    # The workflow runs the same step again with the revision it knew.
    result = await _environment().run(activities.step, request)
    assert result.outcome is Outcome.END
    assert result.revision == request.revision + 1  # the write that landed
    stored = await store.contexts.require(TENANT, "lost-1")
    assert stored.revision == result.revision
    assert stored.context.global_["count"] == {"n": 1}
    assert _scripts_run(metrics) == 1  # the node ran once


async def test_a_lost_race_is_read_again_and_not_a_node_failure(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    activities, contexts, metrics = parts
    request = await _begin(activities, "race-1")
    contexts.lose_race = True
    with pytest.raises(ApplicationError) as failed:
        await _environment().run(activities.step, request)
    assert failed.value.type == STORE_UNAVAILABLE
    assert "read again" in str(failed.value)
    result = await _environment().run(activities.step, request)
    assert result.outcome is Outcome.END
    stored = await store.contexts.require(TENANT, "race-1")
    assert stored.context.global_["count"] == {"n": 1}
    assert stored.status is RunStatus.COMPLETED
    unavailable = metrics.registry.get_sample_value(
        "drift_worker_store_unavailable_total", {"operation": "writing the context"}
    )
    assert unavailable == 1
    assert metrics.registry.get_sample_value("drift_worker_runs_waiting_for_store") == 0


async def test_definition_reads_of_a_closed_store_are_store_unavailable(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    activities, _, metrics = parts
    request = await _begin(activities, "closed-1")
    await store.close()
    with pytest.raises(ApplicationError) as failed:
        await _environment().run(activities.step, request)
    assert failed.value.type == STORE_UNAVAILABLE
    assert "reading the workflow" in str(failed.value)
    assert metrics.registry.get_sample_value("drift_worker_runs_waiting_for_store") == 1


async def test_a_begin_whose_create_answer_was_lost_finds_its_context(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    activities, contexts, _ = parts
    contexts.lose_create_answer = True
    with pytest.raises(ApplicationError) as failed:
        await _begin(activities, "begin-1")
    assert failed.value.type == STORE_UNAVAILABLE
    assert "creating the context" in str(failed.value)
    request = await _begin(activities, "begin-1")  # the context exists: AlreadyExists
    assert request.revision == 1
    result = await _environment().run(activities.step, request)
    assert result.outcome is Outcome.END
    stored = await store.contexts.require(TENANT, "begin-1")
    assert stored.context.global_["count"] == {"n": 1}


async def test_a_write_that_did_not_land_is_written_without_running_the_nodes_again(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    activities, contexts, metrics = parts
    request = await _begin(activities, "unwritten-1")
    contexts.refuse_write = True
    with pytest.raises(ApplicationError) as failed:
        await _environment().run(activities.step, request)
    assert failed.value.type == STORE_UNAVAILABLE
    unchanged = await store.contexts.require(TENANT, "unwritten-1")
    assert unchanged.revision == request.revision  # nothing landed
    # The workflow runs the same step again with the revision it knew.
    result = await _environment().run(activities.step, request)
    assert result.outcome is Outcome.END
    assert result.revision == request.revision + 1
    stored = await store.contexts.require(TENANT, "unwritten-1")
    assert stored.context.global_["count"] == {"n": 1}
    assert stored.status is RunStatus.COMPLETED
    assert _scripts_run(metrics) == 1  # the node ran once, on the first try


async def test_a_receipt_is_not_used_when_another_writer_went_on(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    activities, contexts, metrics = parts
    request = await _begin(activities, "moved-1")
    contexts.refuse_write = True
    with pytest.raises(ApplicationError):
        await _environment().run(activities.step, request)
    current = await store.contexts.require(TENANT, "moved-1")
    await store.contexts.update(
        TENANT, "moved-1", expected_revision=current.revision, context=current.context
    )
    # The stored context moved past the revision the step knew: the receipt is not
    # written over it; the step runs again on what is stored now.
    result = await _environment().run(activities.step, request)
    assert result.revision == current.revision + 2
    stored = await store.contexts.require(TENANT, "moved-1")
    assert stored.revision == result.revision
    assert stored.context.global_["count"] == {"n": 1}
    assert _scripts_run(metrics) == 2


# -- a run's first step, whose write creates the context ------------------------------


async def test_a_first_step_s_write_is_the_context_s_first(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    activities, contexts, metrics = parts
    both = await _begin_step(activities, "first-1")
    assert both.step is not None
    assert both.step.outcome is Outcome.END
    assert (both.begun.revision, both.step.revision) == (1, 1)
    stored = await store.contexts.require(TENANT, "first-1")
    assert stored.revision == 1
    assert stored.status is RunStatus.COMPLETED
    assert stored.context.global_["count"] == {"n": 1}
    assert (contexts.creates, contexts.updates) == (1, 0)  # one write up to the stable point
    assert _scripts_run(metrics) == 1


async def test_a_first_step_whose_create_did_not_land_is_written_without_running_again(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    activities, contexts, metrics = parts
    contexts.refuse_create = True
    with pytest.raises(ApplicationError) as failed:
        await _begin_step(activities, "first-2")
    assert failed.value.type == STORE_UNAVAILABLE
    assert "creating the context" in str(failed.value)
    assert await store.contexts.get(TENANT, "first-2") is None
    # The workflow waits, then runs the same activity again.
    both = await _begin_step(activities, "first-2")
    assert both.step is not None
    assert both.step.outcome is Outcome.END
    stored = await store.contexts.require(TENANT, "first-2")
    assert (stored.revision, stored.status) == (1, RunStatus.COMPLETED)
    assert stored.context.global_["count"] == {"n": 1}
    assert _scripts_run(metrics) == 1  # the node ran once, on the first try


async def test_a_first_step_whose_create_answer_was_lost_answers_what_landed(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    activities, contexts, metrics = parts
    contexts.lose_create_answer = True
    with pytest.raises(ApplicationError) as failed:
        await _begin_step(activities, "first-3")
    assert failed.value.type == STORE_UNAVAILABLE
    both = await _begin_step(activities, "first-3")  # finds its own write: AlreadyExists
    assert both.step is not None
    assert both.step.revision == 1
    stored = await store.contexts.require(TENANT, "first-3")
    assert (stored.revision, stored.status) == (1, RunStatus.COMPLETED)
    assert contexts.updates == 0  # nothing written over it
    assert _scripts_run(metrics) == 1


async def test_a_first_step_retried_elsewhere_leaves_the_store_holding_its_answer(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    """A retry with no receipt (another worker) runs the nodes again (at-least-once) and
    finds an earlier try's context: it writes its own over it, so the store holds what
    the workflow is told."""
    activities, _, metrics = parts
    first = await _begin_step(activities, "first-4")
    assert first.step is not None
    earlier = await store.contexts.require(TENANT, "first-4")
    await store.contexts.update(
        TENANT,
        "first-4",
        expected_revision=earlier.revision,
        context=RunContext.start({"marker": "an earlier try's"}),
        current_node="count",
        status=RunStatus.RUNNING,
    )
    async with NodeResources(NodeSettings()) as resources:
        elsewhere = EngineActivities(  # another worker: none of this one's receipts
            definitions=store.definitions,
            contexts=store.contexts,
            registry=discover_nodes(),
            resources=resources,
            enum_store=EnumStore(),
            metrics=metrics,
        )
        again = await _begin_step(elsewhere, "first-4")
    assert again.step is not None
    stored = await store.contexts.require(TENANT, "first-4")
    assert stored.revision == again.step.revision == 3
    assert again.begun.revision == 3
    assert stored.status is RunStatus.COMPLETED
    assert stored.context.global_["count"] == {"n": 1}
    assert "marker" not in stored.context.params
    assert _scripts_run(metrics) == 2


async def test_a_first_step_cut_short_creates_the_context_as_it_was_before_it(
    parts: tuple[EngineActivities, FlakyContexts, Metrics], store: Store
) -> None:
    activities, _, _ = parts
    request = BeginRequest(
        tenant_id=TENANT, run_id="first-5", workflow_definition_id="slow-second", version="SNAPSHOT"
    )
    both: BeginStepResult = await _environment().run(activities.begin_step, request)
    assert both.step is None
    assert both.failure is not None
    assert "did not finish within 0.5 s" in both.failure.message
    stored = await store.contexts.require(TENANT, "first-5")
    assert (stored.revision, stored.status, stored.current_node) == (1, RunStatus.RUNNING, "one")
    assert "one" not in stored.context.global_  # the state that ran is not half kept
