"""The three example workflows, executed node by node as the worker will (without Temporal).

A small interpreter resolves each state's parameters, executes its node, records the
output and asks ``transition`` where to go, as the worker's step does; views are
answered, timers fire at once, events arrive, and SYNC children run through the same
interpreter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from drift_models import (
    NodeCatalog,
    NodeTypes,
    RunContext,
    RunStatus,
    ViewResponse,
    WorkflowDefinition,
    load_definitions,
    resolve_states,
    validate_workflow,
)
from drift_nodes import (
    Child,
    End,
    Failed,
    NodeResources,
    NodeResult,
    ViewShown,
    Wait,
    check_script,
    discover_nodes,
    resolve_parameters,
    transition,
    validate_resume,
)
from drift_nodes.testing import LocalHttpServer, make_call

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
REGISTRY = discover_nodes()
FILES = load_definitions([EXAMPLES], REGISTRY.node_types)
CATALOG = NodeCatalog([node for _, node in FILES.nodes], drafts_stand_in=True)
WORKFLOWS = {workflow.id: workflow for _, workflow in FILES.workflows}

Answers = dict[str, dict[str, list[str]]]


async def run_workflow(
    workflow: WorkflowDefinition,
    params: dict[str, Any],
    resources: NodeResources,
    *,
    answers: Answers | None = None,
    enum_store: dict[str, Any] | None = None,
) -> tuple[NodeResult, RunContext, list[str]]:
    """Run ``workflow`` to its end; return the terminal result, the context and the path."""
    definitions = resolve_states(workflow, CATALOG)
    context = RunContext.start(params, enum_store=enum_store)
    state, path = workflow.start_node, []
    while True:
        path.append(state)
        node = definitions[state]
        assert node is not None, state
        spec = workflow.states[state]
        parameters = resolve_parameters(state, spec.parameters, context, declared=node.parameters)
        call = make_call(resources, parameters=parameters, context=context, instance=state)
        result = await REGISTRY.for_definition(node).execute(node, call)
        context.set_output(state, result.output)
        decided = transition(workflow, state, node, result)
        if isinstance(decided, End):
            return result, context, path
        following: str | None
        if isinstance(decided, ViewShown):
            response = ViewResponse(selected_options=(answers or {})[state])
            assert validate_resume(node, result.view, response) == []  # type: ignore[arg-type]
            context.set_view_response(state, response)
            following = decided.next_node
        elif isinstance(decided, Wait):
            if decided.event is not None:
                context.set_output(state, {"documents": 2})  # the event's payload
            assert decided.until is None or decided.until.tzinfo is not None
            following = decided.next_node
        elif isinstance(decided, Child):
            child = WORKFLOWS[decided.workflow_id]
            outcome, _, _ = await run_workflow(child, decided.params, resources)
            context.set_output(state, outcome.output)
            following = decided.next_node
        else:
            assert not isinstance(decided, Failed), decided.error
            following = decided.state
        assert following is not None, f"{state} leads nowhere"
        state = following


def test_the_examples_validate_with_the_real_script_checker() -> None:
    assert not FILES.problems
    for workflow in WORKFLOWS.values():
        problems = validate_workflow(workflow, CATALOG, check_script=check_script)
        assert [p for p in problems if p.severity == "ERROR"] == [], workflow.id


async def test_refund(server: LocalHttpServer, resources: NodeResources) -> None:
    async def order(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "id": request.match_info["id"],
                "status": "DELIVERED",
                "total": 80.0,
                "currency": "EUR",
                "daysSinceDelivery": 12,
            }
        )

    server.route("GET", "/orders/{id}", order)
    await server.start()
    result, context, path = await run_workflow(
        WORKFLOWS["refund"],
        {"orderId": "o-1", "reason": "broken"},
        resources,
        answers={"confirmRefund": {"decision": ["approve"], "note": ["sorry"]}},
        enum_store={"ordersServiceUrl": server.url("")},
    )
    assert path == [
        "lookupOrder",
        "computeRefund",
        "routeRefund",
        "confirmRefund",
        "routeDecision",
        "refunded",
    ]
    assert result.status is RunStatus.COMPLETED
    assert result.disposition == "REFUNDED"
    assert result.output["refund"]["amount"] == 80.0
    assert context.output("computeRefund")["eligible"] is True


async def test_account_verification(server: LocalHttpServer, resources: NodeResources) -> None:
    async def account(request: web.Request) -> web.Response:
        return web.json_response(
            {"id": request.match_info["id"], "holder": "Ada", "phone": "+44 20 7946 0958"}
        )

    async def verify(request: web.Request) -> web.Response:
        body = await request.json()
        if body["code"] == "1234":
            return web.json_response({"valid": True, "attemptsLeft": 3})
        return web.json_response({"valid": False, "attemptsLeft": 2}, status=422)

    server.route("GET", "/accounts/{id}", account)
    server.route("POST", "/accounts/{id}/verifications", verify)
    await server.start()
    result, context, path = await run_workflow(
        WORKFLOWS["account-verification"],
        {"accountId": "a-1"},
        resources,
        answers={"askCode": {"code": ["1234"], "outcome": ["verified"]}},
        enum_store={"accountsServiceUrl": server.url("")},
    )
    assert path[-1] == "verified"
    assert result.output == {"accountId": "a-1", "verified": True}
    assert context.output("fetchAccount") == {
        "id": "a-1",
        "holder": "Ada",
        "maskedPhone": "***0958",
    }
    view = context.output("askCode")
    assert view["inputOptions"][0]["description"].startswith("Ask Ada for the code sent to ***0958")


async def test_appointment_with_a_timer_an_event_and_a_sync_child(
    resources: NodeResources,
) -> None:
    result, context, path = await run_workflow(
        WORKFLOWS["appointment"],
        {
            "patientId": "p7",
            "slot": "2026-12-01T09:30",
            "fee": 25,
            "remindAt": "2026-11-30T09:00:00+00:00",
        },
        resources,
    )
    assert path == [
        "prepareBooking",
        "waitForReminder",
        "awaitDocuments",
        "collectPayment",
        "routePayment",
        "booked",
    ]
    assert result.disposition == "BOOKED"
    assert result.output == {"status": "PAID", "amount": 25, "receiptId": "R-BK-p7-20261201T0930"}
    assert context.output("collectPayment")["status"] == "PAID"


def test_registry_decodes_what_the_store_will_hold() -> None:
    assert isinstance(REGISTRY.node_types, NodeTypes)
    assert set(REGISTRY.node_types.names()) >= {"HTTP", "SCRIPT", "WAIT"}
