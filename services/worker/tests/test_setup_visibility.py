"""``drift-worker setup-search-attributes`` against a real dev server."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client

from drift_models.visibility import SA_NODE, SEARCH_ATTRIBUTES, dev_server_flags
from drift_worker.devserver import DevServer
from drift_worker.main import main
from drift_worker.setup_visibility import setup_search_attributes

NAMES = sorted(a.name for a in SEARCH_ATTRIBUTES)


async def _namespace(client: Client) -> str:
    name = f"ns-{uuid.uuid4().hex[:8]}"
    request = RegisterNamespaceRequest(namespace=name)
    request.workflow_execution_retention_period.FromTimedelta(timedelta(days=1))
    await client.workflow_service.register_namespace(request)
    return name


def test_the_dev_server_registers_every_attribute() -> None:
    command = DevServer().command()
    flags = dev_server_flags()
    assert " ".join(flags) in " ".join(command)
    assert {f.split("=")[0] for f in flags[1::2]} == set(NAMES)


async def test_setup_adds_what_is_missing_and_is_idempotent(temporal_server: DevServer) -> None:
    await temporal_server.wait_ready()
    client = await Client.connect(temporal_server.address)
    namespace = await _namespace(client)
    first = await setup_search_attributes(client, namespace)
    assert first.added == NAMES
    assert first.conflicts == []
    again = await setup_search_attributes(client, namespace)
    assert again.added == []
    assert sorted(again.present) == NAMES
    # The session's namespace already has them from the dev server's command line.
    default = await setup_search_attributes(client, "default")
    assert sorted(default.present) == NAMES


async def test_setup_refuses_a_name_held_with_another_type(temporal_server: DevServer) -> None:
    await temporal_server.wait_ready()
    client = await Client.connect(temporal_server.address)
    namespace = await _namespace(client)
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={SA_NODE: IndexedValueType.INDEXED_VALUE_TYPE_INT},
        )
    )
    report = await setup_search_attributes(client, namespace)
    assert report.added == []
    assert len(report.conflicts) == 1
    assert "DriftNode exists" in report.conflicts[0]
    assert "as Int, but Drift needs Keyword" in report.conflicts[0]


def test_the_command_reports_an_unreachable_temporal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRIFT_TEMPORAL_ADDRESS", "127.0.0.1:1")
    assert main(["setup-search-attributes"]) == 1
    assert "did not go through" in capsys.readouterr().err
