"""The REST bodies: each one encodes to camelCase JSON and decodes back to itself, strictly.

One sample per body type, every field set away from its default; a test checks that
the samples cover every body the REST modules export, so a new body needs a sample.
"""

from __future__ import annotations

import datetime as dt
import types
from typing import Any

import msgspec
import pytest

from drift_models import (
    ActivateRequest,
    ApiKeyCreated,
    ApiKeyInfo,
    BulkJob,
    CreateApiKey,
    DefinitionPage,
    DefinitionSummaryBody,
    EventRequest,
    HealthBody,
    NodeStatus,
    PointersBody,
    PossibleValue,
    Problem,
    ProblemDetails,
    PublishedDefinition,
    RedriveRequest,
    RenderedInstruction,
    ResumeRequest,
    RunHistory,
    RunHistoryEntry,
    RunPage,
    RunStatus,
    RunSummary,
    SavedDefinition,
    Severity,
    StartRequest,
    Tag,
    TerminateRequest,
    ThreadContext,
    UtilityRequest,
    UtilityResponse,
    ValidationReport,
    VersionBody,
    View,
    ViewOption,
    ViewResponse,
    WorkflowResponse,
    definition_bodies,
    operator_bodies,
    problems,
    requests,
    run_list,
    runs,
    views,
)
from drift_models._base import AnswerStruct, ApiStruct

_AT = dt.datetime(2026, 12, 1, 14, 5, 7, 250_000, tzinfo=dt.UTC)
_LATER = _AT + dt.timedelta(minutes=3)
_WARNING = Problem(
    path="$.states.x", message="unreachable", code="unreachable", severity=Severity.WARNING
)
_OPTION = ViewOption(
    id="decision",
    parent_id="order",
    description="Refund 80.0 EUR?",
    tags=[Tag(name="widget", value="dropdown")],
    instructions=[RenderedInstruction(template_id="hint", template_variables={"n": 1})],
    possible_values=[PossibleValue(display_value="Yes", value="approve", meta_data={"i": "ok"})],
    possible_dynamic_values=[PossibleValue(display_value="Later", value="later")],
    possible_dependent_values={"A-1": [PossibleValue(display_value="No", value="decline")]},
    meta_data={"width": 2},
)
_VIEW = View(
    node="confirm", layout_id="confirm", input_options=[_OPTION], disposition="ASK", status="open"
)
_STATE = WorkflowResponse(
    workflow_id="r1",
    workflow_status=RunStatus.WAITING,
    workflow_definition_id="refund",
    workflow_version=3,
    current_node="confirm",
    disposition="ASK",
    error_message="none yet",
    view=_VIEW,
    output={"refund": {"amount": 80.0}},
    created_at=_AT,
    updated_at=_LATER,
)
_KEY = ApiKeyInfo(tenant_id="t1", key_id="k1", description="ci", created_at=_AT, revoked_at=_LATER)
_SUMMARY = RunSummary(
    workflow_id="r1",
    workflow_definition_id="refund",
    workflow_version=2,
    workflow_status=RunStatus.FAILED,
    current_node="failed",
    started_at=_AT,
    closed_at=_LATER,
    redrives=1,
)
_THREAD = ThreadContext(tenant_id="t1", client_id="cli", user_id="ann")

SAMPLES: list[Any] = [
    # runs (/v3/workflow)
    StartRequest(
        workflow_definition_id="refund",
        version=2,
        params={"orderId": "A-1"},
        workflow_id="r1",
        callback_url="https://example.org/cb",
        thread_context=_THREAD,
    ),
    ResumeRequest(
        view_response=ViewResponse(selected_options={"decision": ["approve"]}),
        node="confirm",
        callback_url="https://example.org/cb",
        thread_context=_THREAD,
    ),
    TerminateRequest(reason="duplicate"),
    RedriveRequest(callback_url="https://example.org/cb"),
    EventRequest(payload={"paid": True}),
    UtilityRequest(node="lookup", parameters={"orderId": "A-1"}),
    UtilityResponse(
        node="lookup", status=NodeStatus.FAILED, response={"s": 500}, error_message="HTTP 500"
    ),
    _STATE,
    RunHistory(
        workflow_id="r1",
        entries=[
            RunHistoryEntry(
                at=_AT,
                event="STEP",
                nodes=["lookup", "compute"],
                outcome="VIEW",
                detail="confirm",
                attempt=1,
                superseded=True,
            )
        ],
    ),
    RunPage(items=[_SUMMARY], next_page_token="tok", total=7),
    BulkJob(job_id="t1:job", action="redrive", state="RUNNING", total=9, done=4, failed=1),
    # definitions
    DefinitionPage(
        items=[DefinitionSummaryBody(id="refund", latest=3, active=2, updated_at=_AT)],
        next_cursor="refund",
    ),
    [VersionBody(version=1, published_at=_AT, is_latest=False, is_active=True)],
    PointersBody(id="refund", latest=3, active=2, previously_active=[1]),
    ActivateRequest(version=2),
    ValidationReport(valid=True, problems=[_WARNING]),
    SavedDefinition(definition={"id": "refund", "version": "SNAPSHOT"}, problems=[_WARNING]),
    PublishedDefinition(id="refund", version=4),
    # operator
    HealthBody(status="degraded", checks={"temporal": "ok", "redis": "down: refused"}),
    CreateApiKey(tenant_id="t1", key_id="k1", description="ci"),
    _KEY,
    ApiKeyCreated(**msgspec.structs.asdict(_KEY), key="secret"),
    # errors
    ProblemDetails(
        title="Invalid",
        status=422,
        type="https://drift.dev/problems/invalid",
        detail="2 problems",
        instance="/v3/workflow/start",
        errors=[Problem(path="$.params", message="missing", code="required")],
        extensions={"workflowStatus": "FAILED"},
    ),
]

REST_MODULES: list[types.ModuleType] = [
    requests,
    runs,
    run_list,
    definition_bodies,
    operator_bodies,
    problems,
    views,
]


def _type_of(sample: Any) -> Any:
    return list[type(sample[0])] if isinstance(sample, list) else type(sample)  # type: ignore[misc]


def _struct_of(sample: Any) -> type[msgspec.Struct]:
    return type(sample[0]) if isinstance(sample, list) else type(sample)


def _parts(value: Any) -> set[type[msgspec.Struct]]:
    """The body types a sample holds, itself and every struct nested in it."""
    if isinstance(value, msgspec.Struct):
        found = {type(value)}
        for field in value.__struct_fields__:
            found |= _parts(getattr(value, field))
        return found
    if isinstance(value, list):
        return set().union(*(_parts(item) for item in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(_parts(item) for item in value.values())) if value else set()
    return set()


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: _struct_of(s).__name__)
def test_a_body_decodes_back_to_itself(sample: Any) -> None:
    wire = msgspec.json.encode(sample)
    assert msgspec.json.decode(wire, type=_type_of(sample), strict=True) == sample


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: _struct_of(s).__name__)
def test_a_body_speaks_camel_case_and_the_api_ones_send_every_field(sample: Any) -> None:
    body = sample[0] if isinstance(sample, list) else sample
    sent = msgspec.json.decode(msgspec.json.encode(body))
    names = set(body.__struct_encode_fields__)
    assert all("_" not in name for name in names)
    if isinstance(body, ApiStruct):
        assert set(sent) == names  # explicit nulls and defaults: one stable shape
    else:
        assert set(sent) <= names


@pytest.mark.parametrize(
    "sample",
    [s for s in SAMPLES if isinstance(s, ApiStruct) and not isinstance(s, AnswerStruct)],
    ids=lambda s: type(s).__name__,
)
def test_a_body_the_api_reads_refuses_a_field_it_does_not_know(sample: Any) -> None:
    sent = msgspec.to_builtins(sample) | {"surprise": 1}
    with pytest.raises(msgspec.ValidationError, match="unknown field `surprise`"):
        msgspec.convert(sent, type(sample), strict=True)


@pytest.mark.parametrize(
    "sample",
    [s for s in SAMPLES if isinstance(s, AnswerStruct)],
    ids=lambda s: type(s).__name__,
)
def test_an_answer_passes_over_a_field_a_newer_api_added(sample: Any) -> None:
    sent = msgspec.to_builtins(sample) | {"surprise": 1}
    assert msgspec.convert(sent, type(sample), strict=True) == sample


def test_a_wrong_type_is_named_by_its_wire_path() -> None:
    sent = msgspec.to_builtins(RunPage(items=[_SUMMARY]))
    sent["items"][0]["workflowVersion"] = "2"
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.json.decode(msgspec.json.encode(sent), type=RunPage, strict=True)
    assert str(raised.value) == "Expected `int | null`, got `str` - at `$.items[0].workflowVersion`"


def test_a_published_definition_reads_a_whole_document_but_never_a_draft() -> None:
    document = {"id": "refund", "version": 4, "name": "Refund", "states": {}}
    read = msgspec.convert(document, PublishedDefinition, strict=True)
    assert (read.id, read.version) == ("refund", 4)
    with pytest.raises(msgspec.ValidationError, match=r"at `\$.version`"):
        msgspec.convert(document | {"version": "SNAPSHOT"}, PublishedDefinition, strict=True)


def test_the_samples_cover_every_rest_body() -> None:
    exported = {
        value
        for module in REST_MODULES
        for name in module.__all__
        if isinstance(value := getattr(module, name), type) and issubclass(value, msgspec.Struct)
    }
    covered = set().union(*(_parts(sample) for sample in SAMPLES))
    assert exported - covered == set()


def test_each_body_has_one_name() -> None:
    names = [
        name
        for module in REST_MODULES
        for name in module.__all__
        if isinstance(getattr(module, name), type)
    ]
    assert len(names) == len(set(names))
