"""Scenarios of the refund example, run through the real nodes and ``transition``."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from drift_models import DocumentError, NodeCatalog, RunStatus, load_definitions
from drift_nodes import NodeResources, discover_nodes
from drift_nodes.scenario_files import Expectation, NodeMock, Scenario, decode_scenario_file
from drift_nodes.scenarios import ScenarioRunner

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SCENARIOS = EXAMPLES / "refund" / "scenarios" / "refund.scenarios.json"
REGISTRY = discover_nodes()
FILES = load_definitions([EXAMPLES], REGISTRY.node_types)
CATALOG = NodeCatalog([node for _, node in FILES.nodes], drafts_stand_in=True)
WORKFLOWS = {workflow.id: workflow for _, workflow in FILES.workflows}
REFUND = decode_scenario_file(SCENARIOS.read_bytes())


def _runner(resources: NodeResources) -> ScenarioRunner:
    return ScenarioRunner(
        registry=REGISTRY, resolve=CATALOG, resources=resources, workflows=WORKFLOWS
    )


@pytest.mark.parametrize("scenario", REFUND.scenarios, ids=lambda s: s.name)
async def test_the_refund_scenarios_pass(scenario: Scenario, resources: NodeResources) -> None:
    report = await _runner(resources).run(WORKFLOWS[REFUND.workflow], scenario)
    assert report.passed, report.render()
    assert report.path == scenario.expect.path


async def test_a_scenario_expecting_the_wrong_branch_fails_and_says_where(
    resources: NodeResources,
) -> None:
    approved = REFUND.scenarios[0]
    wrong = msgspec.structs.replace(
        approved,
        expect=Expectation(disposition="DECLINED", context={"$.computeRefund.eligible": False}),
    )
    report = await _runner(resources).run(WORKFLOWS["refund"], wrong)
    assert not report.passed
    assert [m.what for m in report.mismatches] == ["disposition", "$.computeRefund.eligible"]
    text = report.render()
    assert "at state 'refunded', status COMPLETED" in text
    assert 'disposition: expected "DECLINED"\n    actual   "REFUNDED"' in text


async def test_an_io_node_without_a_mock_stops_the_scenario(resources: NodeResources) -> None:
    unmocked = msgspec.structs.replace(REFUND.scenarios[0], mocks={})
    report = await _runner(resources).run(WORKFLOWS["refund"], unmocked)
    assert report.stopped
    assert report.path == ["lookupOrder"]
    assert report.error == (
        "state 'lookupOrder' runs a HTTP node, which does I/O: give it an answer under 'mocks'"
    )


async def test_an_answer_the_view_would_refuse_stops_the_scenario(
    resources: NodeResources,
) -> None:
    refused = msgspec.structs.replace(REFUND.scenarios[0], answers={"confirmRefund": [{}]})
    report = await _runner(resources).run(WORKFLOWS["refund"], refused)
    assert report.stopped
    assert report.status is RunStatus.RUNNING
    assert report.error is not None
    assert report.error.startswith("the answer to 'confirmRefund' would be refused: ")


def test_a_scenario_file_with_an_unknown_field_is_refused_with_its_path() -> None:
    with pytest.raises(DocumentError) as caught:
        decode_scenario_file(b'{"workflow": "w", "scenarios": [{"name": "n", "mock": {}}]}')
    assert "$.scenarios[0]" in str(caught.value)


APPOINTMENT = {
    "patientId": "p7",
    "slot": "2026-12-01T09:30",
    "fee": 25,
    "remindAt": "2026-11-30T09:00:00+00:00",
}


async def test_a_timer_is_skipped_an_event_delivered_and_a_sync_child_run(
    resources: NodeResources,
) -> None:
    scenario = Scenario(
        name="booked",
        params=APPOINTMENT,
        events={"documentsUploaded": [{"documents": 2}]},
        expect=Expectation(
            path=[
                "prepareBooking",
                "waitForReminder",
                "awaitDocuments",
                "collectPayment",
                "routePayment",
                "booked",
            ],
            status=RunStatus.COMPLETED,
            disposition="BOOKED",
            output={"status": "PAID", "amount": 25, "receiptId": "R-BK-p7-20261201T0930"},
            context={
                "$.waitForReminder.waitedUntil": "2026-11-30T09:00:00+00:00",
                "$.awaitDocuments": {"documents": 2},
            },
        ),
    )
    report = await _runner(resources).run(WORKFLOWS["appointment"], scenario)
    assert report.passed, report.render()


async def test_an_event_that_never_comes_takes_the_timeout_node(resources: NodeResources) -> None:
    scenario = Scenario(name="no documents", params=APPOINTMENT)
    report = await _runner(resources).run(WORKFLOWS["appointment"], scenario)
    assert report.path[-2:] == ["awaitDocuments", "documentsMissing"]
    assert report.status is RunStatus.FAILED
    assert report.disposition == "DOCUMENTS_MISSING"
    assert report.context.output("awaitDocuments") == {
        "event": "documentsUploaded",
        "timedOut": True,
    }


async def test_a_failed_child_routes_the_parent_to_its_failure_node(
    resources: NodeResources,
) -> None:
    scenario = decode_scenario_file(
        msgspec.json.encode(
            {
                "workflow": "appointment",
                "scenarios": [
                    {
                        "name": "payment refused",
                        "params": APPOINTMENT,
                        "events": {"documentsUploaded": [{}]},
                        "children": {
                            "collect-payment": {"status": "FAILED", "errorMessage": "card refused"}
                        },
                    }
                ],
            }
        )
    ).scenarios[0]
    report = await _runner(resources).run(WORKFLOWS["appointment"], scenario)
    assert report.path[-2:] == ["collectPayment", "bookingFailed"]
    assert report.status is RunStatus.FAILED
    assert report.context.global_["collectPayment:error"] == {
        "message": "child run of 'collect-payment' ended FAILED: card refused"
    }


async def test_a_mocked_branch_chooses_the_next_state(resources: NodeResources) -> None:
    approved = REFUND.scenarios[0]
    mocks = {**approved.mocks, "routeDecision": [NodeMock(next_node="declined")]}
    report = await _runner(resources).run(
        WORKFLOWS["refund"], msgspec.structs.replace(approved, mocks=mocks, expect=Expectation())
    )
    assert report.path[-2:] == ["routeDecision", "declined"]
    assert report.disposition == "DECLINED"


async def test_a_run_that_never_ends_stops_at_the_bound(resources: NodeResources) -> None:
    approved = REFUND.scenarios[0]
    mocks = {**approved.mocks, "routeRefund": [NodeMock(next_node="lookupOrder")]}
    runner = ScenarioRunner(
        registry=REGISTRY, resolve=CATALOG, resources=resources, workflows=WORKFLOWS, max_states=7
    )
    report = await runner.run(WORKFLOWS["refund"], msgspec.structs.replace(approved, mocks=mocks))
    assert report.stopped
    assert report.error == "the run did not end within 7 states"
    assert report.path == ["lookupOrder", "computeRefund", "routeRefund"] * 2 + ["lookupOrder"]


def _with_mock(scenario: Scenario, state: str, mock: dict[str, object]) -> Scenario:
    mocks = {**scenario.mocks, state: [msgspec.convert(mock, NodeMock)]}
    services = {"ordersServiceUrl": "https://orders.example"}
    return msgspec.structs.replace(scenario, mocks=mocks, enum_store=services)


async def test_a_response_mock_runs_the_http_node_on_the_answer(
    resources: NodeResources,
) -> None:
    order = {
        "id": "o-1",
        "status": "DELIVERED",
        "total": 80.0,
        "currency": "EUR",
        "daysSinceDelivery": 2,
    }
    answered = _with_mock(
        REFUND.scenarios[0],
        "lookupOrder",
        {"response": {"status": 200, "headers": {"X-Trace": "t1"}, "body": order}},
    )
    report = await _runner(resources).run(WORKFLOWS["refund"], answered)
    assert report.passed, report.render()
    assert report.context.global_["lookupOrder"] == {
        "status": 200,
        "headers": {"X-Trace": "t1"},
        "body": order,
    }


async def test_a_response_outside_the_success_statuses_fails_the_node(
    resources: NodeResources,
) -> None:
    refused = _with_mock(
        REFUND.scenarios[0], "lookupOrder", {"response": {"status": 404, "body": {"error": "no"}}}
    )
    report = await _runner(resources).run(WORKFLOWS["refund"], refused)
    assert not report.stopped
    assert report.path[0] == "lookupOrder"
    assert "404" in report.context.global_["lookupOrder:error"]["message"]


async def test_a_response_mock_on_a_node_that_is_not_http_stops_the_scenario(
    resources: NodeResources,
) -> None:
    wrong = _with_mock(REFUND.scenarios[0], "computeRefund", {"response": {"status": 200}})
    report = await _runner(resources).run(WORKFLOWS["refund"], wrong)
    assert report.stopped
    assert report.error is not None
    assert "only HTTP nodes take a 'response' mock" in report.error


async def test_child_runs_nested_too_deep_stop_the_scenario(resources: NodeResources) -> None:
    # A workflow that starts itself as a SYNC child never ends: the runner stops it.
    types = REGISTRY.node_types
    nodes = [
        types.decode_node(
            b'{"id": "self-child", "name": "Again", "type": "CHILD",'
            b' "config": {"workflowId": "loop", "mode": "SYNC"}}'
        ),
        types.decode_node(b'{"id": "done", "name": "Done", "type": "SUCCESS", "config": {}}'),
    ]
    loop = types.decode_workflow(
        b'{"id": "loop", "startNode": "again", "states": {'
        b'"again": {"resourceId": "self-child", "nextNode": "end"},'
        b'"end": {"resourceId": "done"}}}'
    )
    runner = ScenarioRunner(
        registry=REGISTRY,
        resolve=NodeCatalog(nodes, drafts_stand_in=True),
        resources=resources,
        workflows={"loop": loop},
    )
    report = await runner.run(loop, Scenario(name="recurses"))
    assert report.stopped
    assert report.error is not None
    assert report.error.endswith("child runs nested deeper than 16 at 'again'")
    assert report.error.startswith("child run of 'loop': child run of 'loop':")
