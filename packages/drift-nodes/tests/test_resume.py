"""Resume validation: an answer must fit the view as shown and the node's rules."""

from __future__ import annotations

from typing import Any

from drift_models import InstructionNode, NodeTypes, RunContext, View, ViewResponse
from drift_nodes import NodeResources, validate_resume
from drift_nodes.builtins import InstructionNodeType
from drift_nodes.testing import run_node

CASCADE: dict[str, Any] = {
    "type": "INSTRUCTION",
    "id": "pick",
    "name": "Pick an order and a reason",
    "parameters": ["orders"],
    "config": {
        "layoutId": "pick",
        "inputOptions": [
            {
                "id": "order",
                "possibleDynamicValues": {
                    "source": "{{ orders }}",
                    "displayField": "label",
                    "valueField": "id",
                },
            },
            {
                "id": "kind",
                "possibleValues": [
                    {"displayValue": "Damaged", "value": "damaged"},
                    {"displayValue": "Late", "value": "late"},
                ],
            },
            {
                "id": "detail",
                "parentId": "kind",
                "possibleDependentValues": {
                    "damaged": [{"displayValue": "Box", "value": "box"}],
                    "late": [{"displayValue": "A week", "value": "week"}],
                },
            },
            {"id": "note"},
        ],
        "rules": {"required": ["order", "kind"], "single": ["order", "kind", "note"]},
    },
}


async def _view(resources: NodeResources) -> tuple[InstructionNode, View]:
    definition = NodeTypes().convert_node(CASCADE)
    assert isinstance(definition, InstructionNode)
    orders = [{"id": "o-1", "label": "Order 1"}, {"id": "o-2", "label": "Order 2"}]
    result = await run_node(
        InstructionNodeType(),
        definition,
        resources,
        parameters={"orders": orders},
        context=RunContext.start({}),
        instance="pickOrder",
    )
    assert result.view is not None
    return definition, result.view


async def test_dynamic_and_dependent_values_are_rendered(resources: NodeResources) -> None:
    _, view = await _view(resources)
    order = view.option("order")
    assert order is not None
    assert [(v.display_value, v.value) for v in order.possible_dynamic_values] == [
        ("Order 1", "o-1"),
        ("Order 2", "o-2"),
    ]
    detail = view.option("detail")
    assert detail is not None
    assert sorted(detail.possible_dependent_values) == ["damaged", "late"]


async def test_a_good_answer_passes(resources: NodeResources) -> None:
    definition, view = await _view(resources)
    answer = ViewResponse(
        selected_options={"order": ["o-2"], "kind": ["late"], "detail": ["week"], "note": ["x"]}
    )
    assert validate_resume(definition, view, answer) == []
    assert validate_resume(definition.config.rules, view, answer) == []


async def test_every_problem_is_reported_with_its_path(resources: NodeResources) -> None:
    definition, view = await _view(resources)
    answer = ViewResponse(
        selected_options={
            "order": ["o-9", "o-1"],
            "detail": ["box"],
            "colour": ["red"],
        }
    )
    problems = {(p.path, p.code) for p in validate_resume(definition, view, answer)}
    assert problems == {
        ("$.viewResponse.selectedOptions.colour", "resume-unknown-option"),
        ("$.viewResponse.selectedOptions.kind", "resume-required"),
        ("$.viewResponse.selectedOptions.order", "resume-single"),
        ("$.viewResponse.selectedOptions.order[0]", "resume-value"),
    }
    messages = [p.message for p in validate_resume(definition, view, answer)]
    assert "'o-9' is not a choice of widget 'order' (choices: 'o-1', 'o-2')" in messages


async def test_dependent_values_follow_the_parent_answer(resources: NodeResources) -> None:
    definition, view = await _view(resources)
    answer = ViewResponse(selected_options={"order": ["o-1"], "kind": ["late"], "detail": ["box"]})
    (problem,) = validate_resume(definition, view, answer)
    assert problem.path == "$.viewResponse.selectedOptions.detail[0]"
    assert "for the answer to 'kind'" in problem.message


async def test_without_the_view_the_definition_s_own_widgets_are_used() -> None:
    definition = NodeTypes().convert_node(CASCADE)
    assert isinstance(definition, InstructionNode)
    # Dynamic choices were never rendered: any order id is accepted; fixed ones still count.
    good = ViewResponse(selected_options={"order": ["o-77"], "kind": ["late"]})
    assert validate_resume(definition, None, good) == []
    bad = ViewResponse(selected_options={"order": ["o-77"], "kind": ["lost"]})
    (problem,) = validate_resume(definition, None, bad)
    assert problem.path == "$.viewResponse.selectedOptions.kind[0]"
