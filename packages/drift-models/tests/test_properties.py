"""Property tests: every generated document survives a round trip; every broken one is
rejected at the right place."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift_models import (
    DocumentError,
    NodeTypes,
    ResumeRequest,
    StartRequest,
    UtilityResponse,
    WorkflowResponse,
    decode_strict,
)
from drift_models.testing import Mutation, MutationKind, instances, mutations

NODE_TYPES = NodeTypes()
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(instances(NODE_TYPES.union))
def test_node_definitions_round_trip(node: Any) -> None:
    encoded = msgspec.json.encode(node)
    assert NODE_TYPES.decode_node(encoded) == node


@PROPERTY_SETTINGS
@given(instances(NODE_TYPES.workflow_type))
def test_workflow_definitions_round_trip(workflow: Any) -> None:
    encoded = msgspec.json.encode(workflow)
    decoded = NODE_TYPES.decode_workflow(encoded)
    assert decoded == workflow
    assert msgspec.json.encode(decoded) == encoded


@PROPERTY_SETTINGS
@given(
    st.one_of(
        instances(StartRequest),
        instances(ResumeRequest),
        instances(WorkflowResponse),
        instances(UtilityResponse),
    )
)
def test_api_bodies_round_trip(body: Any) -> None:
    assert decode_strict(msgspec.json.encode(body), type(body)) == body


def _check_rejected(mutation: Mutation, type_: Any) -> None:
    with pytest.raises(DocumentError) as caught:
        decode_strict(msgspec.json.encode(mutation.document), type_)
    (problem,) = caught.value.problems
    assert problem.path == mutation.path, (mutation.kind, problem.message)
    expected = {
        MutationKind.UNKNOWN_FIELD: "unknown field 'zzUnknownField'",
        MutationKind.MISSING_REQUIRED: f"missing required field `{mutation.field}`",
        MutationKind.BAD_ENUM: "'NOT_A_VALID_CHOICE'",
        MutationKind.WRONG_TYPE: "Expected",
    }[mutation.kind]
    assert expected in problem.message


@PROPERTY_SETTINGS
@given(mutations(NODE_TYPES.union))
def test_broken_node_definitions_are_rejected_at_the_right_path(mutation: Mutation) -> None:
    _check_rejected(mutation, NODE_TYPES.union)


@PROPERTY_SETTINGS
@given(mutations(NODE_TYPES.workflow_type))
def test_broken_workflows_are_rejected_at_the_right_path(mutation: Mutation) -> None:
    _check_rejected(mutation, NODE_TYPES.workflow_type)


@PROPERTY_SETTINGS
@given(mutations(StartRequest))
def test_broken_start_requests_are_rejected_at_the_right_path(mutation: Mutation) -> None:
    _check_rejected(mutation, StartRequest)
