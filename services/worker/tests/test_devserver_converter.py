"""The local Temporal server and the msgspec data converter, against a real server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from drift_models import RunInput, RunStatus, ThreadContext, WorkflowResponse
from drift_models.temporal import decoder_for, prepare_decoders
from drift_worker.converter import DATA_CONVERTER
from drift_worker.devserver import DevServer, DevServerError
from drift_worker.plan import StepRequest, StepResult
from drift_worker.runtime import payload_types


@activity.defn(name="echo-response")
async def echo_response(run: RunInput) -> WorkflowResponse:
    return WorkflowResponse(
        workflow_id=run.run_id,
        workflow_status=RunStatus.WAITING,
        workflow_definition_id=run.workflow_definition_id,
        output={
            "params": run.params,
            "tenant": run.thread_context.tenant_id if run.thread_context else None,
        },
        created_at=dt.datetime(2026, 11, 27, tzinfo=dt.UTC),
    )


@workflow.defn(name="converter-check", sandboxed=False)  # test modules are not importable by name
class ConverterCheck:
    @workflow.run
    async def run(self, run: RunInput) -> WorkflowResponse:
        result: WorkflowResponse = await workflow.execute_activity(
            "echo-response",
            run,
            result_type=WorkflowResponse,
            start_to_close_timeout=dt.timedelta(seconds=10),
        )
        return result


async def test_structs_cross_temporal_as_camel_case_json(
    temporal_client: Client, task_queue: str
) -> None:
    run = RunInput(
        tenant_id="acme",
        run_id="r-1",
        workflow_definition_id="refund",
        params={"orderId": "A-1", "amount": 12.5},
        thread_context=ThreadContext(tenant_id="acme", client_id="ui"),
    )
    async with Worker(
        temporal_client,
        task_queue=task_queue,
        workflows=[ConverterCheck],
        activities=[echo_response],
    ):
        handle = await temporal_client.start_workflow(
            ConverterCheck.run, run, id=f"conv-{task_queue}", task_queue=task_queue
        )
        result = await handle.result()
    assert isinstance(result, WorkflowResponse)
    assert result.workflow_status is RunStatus.WAITING
    assert result.output == {"params": {"orderId": "A-1", "amount": 12.5}, "tenant": "acme"}
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    payload = started.input.payloads[0]
    assert payload.metadata["encoding"] == b"json/plain"
    assert b'"workflowDefinitionId":"refund"' in payload.data


def test_a_wrong_payload_is_refused_loudly() -> None:
    converter = DATA_CONVERTER.payload_converter
    (payload,) = converter.to_payloads([{"tenantId": "acme"}])
    with pytest.raises(Exception, match="missing required field"):
        converter.from_payloads([payload], [RunInput])


@pytest.mark.server
def test_the_dev_server_persists_to_its_database(tmp_path: Path) -> None:
    server = DevServer(database=tmp_path / "temporal.db", log_file=tmp_path / "log")
    with server:
        running = server.pid
    assert running is not None
    assert server.pid is None
    assert (tmp_path / "temporal.db").exists()


@pytest.mark.server
def test_a_dev_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    first = DevServer(log_file=tmp_path / "a.log").start()
    try:
        clash = DevServer(port=first.port, log_file=tmp_path / "b.log")
        with pytest.raises(DevServerError, match=f"port {first.port} on 127.0.0.1 is taken"):
            clash.start(timeout=20)
    finally:
        first.stop()


def test_the_worker_builds_every_payload_decoder_before_workflows_run() -> None:
    """Workflow threads never build a decoder's type information themselves."""
    types = payload_types()
    assert {RunInput, StepRequest, StepResult} <= set(types)
    prepare_decoders(types)
    for type_hint in types:
        assert decoder_for(type_hint) is decoder_for(type_hint)
