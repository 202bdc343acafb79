"""Every built-in node type passes the drift_nodes.testing kit, on the examples' definitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from drift_models import (
    ChildMode,
    NodeDefinition,
    NodeTypes,
    RunContext,
    RunStatus,
    View,
    load_definitions,
)
from drift_nodes import (
    ChildStart,
    NodeResources,
    NodeResult,
    NodeType,
    ParameterError,
    PermanentNodeError,
    ScriptError,
    ValueRenderError,
    WaitForDuration,
    WaitForEvent,
    WaitUntil,
)
from drift_nodes.builtins import (
    BranchNodeType,
    ChildNodeType,
    FailureNodeType,
    HttpNodeType,
    InstructionNodeType,
    ProcessorNodeType,
    ScriptNodeType,
    SuccessNodeType,
    WaitNodeType,
)
from drift_nodes.testing import (
    LocalHttpServer,
    NodeConformanceError,
    NodeExample,
    check_node_type,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
TYPES = NodeTypes()


def _load() -> dict[str, NodeDefinition]:
    files = load_definitions([EXAMPLES], TYPES)
    assert not files.problems
    return {definition.id: definition for _, definition in files.nodes}


NODES = _load()


def inline(document: dict[str, Any]) -> NodeDefinition:
    return TYPES.convert_node({"id": "n", "name": "N", **document})


def expect(**fields: Any) -> Any:
    def check(result: NodeResult) -> None:
        for name, value in fields.items():
            assert getattr(result, name) == value, f"{name}: {getattr(result, name)!r}"

    return check


ORDER = {
    "id": "o-1",
    "status": "DELIVERED",
    "total": 80.0,
    "currency": "EUR",
    "daysSinceDelivery": 40,
}
REFUND = {"orderId": "o-1", "currency": "EUR", "eligible": True, "amount": 40.0, "reason": "late"}


async def test_script(resources: NodeResources) -> None:
    await check_node_type(
        ScriptNodeType(),
        [
            NodeExample(
                definition=NODES["compute-refund"],
                parameters={"order": ORDER, "reason": "late"},
                check=expect(output=REFUND),
            ),
            NodeExample(
                definition=NODES["prepare-booking"],
                parameters={"patientId": "p7", "slot": "2026-12-01T09:30", "fee": 25},
                check=expect(
                    output={
                        "bookingRef": "BK-p7-20261201T0930",
                        "slot": "2026-12-01T09:30",
                        "fee": 25,
                    }
                ),
            ),
            NodeExample(
                definition=inline({"type": "SCRIPT", "config": {"script": "1 // 0"}}),
                expect_error=ScriptError,
                name="a failing script",
            ),
        ],
        resources=resources,
    )


async def test_branch(resources: NodeResources) -> None:
    answer = {"selectedOptions": {"decision": ["approve"]}}
    await check_node_type(
        BranchNodeType(),
        [
            NodeExample(
                definition=NODES["route-refund"],
                parameters={"refund": {**REFUND, "eligible": False}},
                check=expect(next_node="notEligible"),
            ),
            NodeExample(
                definition=NODES["route-refund"],
                parameters={"refund": REFUND},
                check=expect(
                    next_node="confirmRefund", output={"nextNode": "confirmRefund", "choice": None}
                ),
            ),
            NodeExample(
                definition=NODES["route-decision"],
                parameters={"answer": answer},
                check=expect(next_node="refunded"),
            ),
        ],
        resources=resources,
    )


async def test_processor(resources: NodeResources) -> None:
    await check_node_type(
        ProcessorNodeType(),
        [
            NodeExample(
                definition=NODES["charge-card"],
                parameters={"amount": 25.5, "reference": "BK-1"},
                check=expect(output={"status": "PAID", "amount": 25.5, "receiptId": "R-BK-1"}),
            ),
            NodeExample(
                definition=inline(
                    {"type": "PROCESSOR", "config": {"mappings": {"x": {"$script": "1"}}}}
                ),
                expect_error=ValueRenderError,
                name="a script in a mapping",
                valid_definition=False,
            ),
        ],
        resources=resources,
    )


async def test_instruction(resources: NodeResources) -> None:
    def shows_the_refund(result: NodeResult) -> None:
        assert isinstance(result.view, View)
        decision = result.view.input_options[0]
        assert decision.description == "Refund 40.0 EUR for order o-1?"
        assert decision.instructions[0].template_variables == {
            "amount": 40.0,
            "currency": "EUR",
            "reason": "late",
        }
        assert [v.value for v in decision.possible_values] == ["approve", "decline"]
        assert result.view.node == "confirmRefund"
        assert result.status is RunStatus.WAITING
        assert result.disposition == "AWAITING_CONFIRMATION"

    await check_node_type(
        InstructionNodeType(),
        [
            NodeExample(
                definition=NODES["confirm-refund"],
                parameters={"refund": REFUND},
                instance="confirmRefund",
                check=shows_the_refund,
            ),
            NodeExample(
                definition=NODES["confirm-refund"],
                parameters={"refund": {"amount": 1}},
                expect_error=ValueRenderError,
                name="a placeholder the scope lacks",
            ),
        ],
        resources=resources,
    )


async def test_wait(resources: NodeResources) -> None:
    moment = "2026-12-01T09:00:00+01:00"
    await check_node_type(
        WaitNodeType(),
        [
            NodeExample(
                definition=NODES["wait-until"],
                parameters={"moment": moment},
                check=expect(
                    wait=WaitUntil(moment=dt.datetime.fromisoformat(moment)),
                    status=RunStatus.SCHEDULER_WAITING,
                ),
            ),
            NodeExample(
                definition=NODES["await-documents"],
                check=expect(
                    wait=WaitForEvent(
                        name="documentsUploaded",
                        timeout_seconds=86400,
                        timeout_node="documentsMissing",
                    )
                ),
            ),
            NodeExample(
                definition=inline({"type": "WAIT", "config": {"durationSeconds": 90}}),
                check=expect(wait=WaitForDuration(seconds=90)),
            ),
            NodeExample(
                definition=NODES["wait-until"],
                parameters={"moment": "2026-12-01T09:00:00"},
                expect_error=ValueRenderError,
                name="a moment without a zone",
            ),
        ],
        resources=resources,
    )


async def test_child(resources: NodeResources) -> None:
    await check_node_type(
        ChildNodeType(),
        [
            NodeExample(
                definition=NODES["collect-payment-child"],
                parameters={"booking": {"fee": 25, "bookingRef": "BK-1"}},
                check=expect(
                    child=ChildStart(
                        workflow_id="collect-payment",
                        workflow_version="ACTIVE",
                        parameters={"amount": 25, "reference": "BK-1"},
                        mode=ChildMode.SYNC,
                    )
                ),
            ),
        ],
        resources=resources,
    )


async def test_success_and_failure(resources: NodeResources) -> None:
    await check_node_type(
        SuccessNodeType(),
        [
            NodeExample(
                definition=NODES["refund-outcome"],
                parameters={"outcome": "REFUNDED", "refund": REFUND},
                check=expect(
                    status=RunStatus.COMPLETED,
                    disposition="REFUNDED",
                    output={"outcome": "REFUNDED", "refund": REFUND},
                ),
            ),
        ],
        resources=resources,
    )

    def final_view(result: NodeResult) -> None:
        assert result.view is not None
        assert result.view.layout_id == "error"
        assert result.error_message == (
            "The refund could not be processed; please try again later."
        )

    await check_node_type(
        FailureNodeType(),
        [
            NodeExample(
                definition=NODES["fail-with-reason"],
                parameters={"outcome": "PAYMENT_FAILED", "reason": "No money."},
                check=expect(
                    status=RunStatus.FAILED, disposition="PAYMENT_FAILED", error_message="No money."
                ),
            ),
            NodeExample(definition=NODES["refund-failed"], check=final_view),
        ],
        resources=resources,
    )


async def test_http(server: LocalHttpServer, resources: NodeResources) -> None:
    async def order(request: web.Request) -> web.Response:
        return web.json_response({**ORDER, "id": request.match_info["id"]})

    server.route("GET", "/orders/{id}", order)
    await server.start()
    context = RunContext.start({}, enum_store={"ordersServiceUrl": server.url("")})
    await check_node_type(
        HttpNodeType(),
        [
            NodeExample(
                definition=NODES["lookup-order"],
                parameters={"orderId": "o-9"},
                context=context,
                check=lambda result: _assert_equal(result.output["body"]["id"], "o-9"),
            ),
            NodeExample(
                definition=NODES["lookup-order"],
                parameters={"orderId": "o-9"},
                expect_error=ValueRenderError,
                name="no service address in the enum store",
            ),
        ],
        resources=resources,
    )


def _assert_equal(found: object, wanted: object) -> None:
    assert found == wanted, f"{found!r} != {wanted!r}"


async def test_the_kit_reports_every_broken_promise(resources: NodeResources) -> None:
    class Sloppy(NodeType[Any]):
        definition = NODES["route-refund"].__class__

        async def execute(self, definition: Any, call: Any) -> NodeResult:
            del definition, call
            return NodeResult(output={1, 2}, next_node="nowhere")

    with pytest.raises(NodeConformanceError) as caught:
        await check_node_type(
            Sloppy(),
            [NodeExample(definition=NODES["route-refund"], parameters={"refund": REFUND})],
            resources=resources,
        )
    failures = "\n".join(caught.value.failures)
    assert "Sloppy needs a docstring" in failures
    assert "loads drift_nodes.builtins.branch.BranchNodeType" in failures
    assert "changes on a JSON round trip" in failures
    assert "next_node 'nowhere' is not a target" in failures


async def test_errors_are_typed(resources: NodeResources) -> None:
    assert issubclass(ParameterError, PermanentNodeError)
    with pytest.raises(NodeConformanceError, match="expected ScriptError, but execute answered"):
        await check_node_type(
            ScriptNodeType(),
            [
                NodeExample(
                    definition=inline({"type": "SCRIPT", "config": {"script": "1"}}),
                    expect_error=ScriptError,
                )
            ],
            resources=resources,
        )
