"""The checked-in JSON Schema, definition files, contexts and versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest

from drift_models import (
    SCENARIO_FILE_SUFFIX,
    NodeTypes,
    PathNotFoundError,
    RunContext,
    RunStatus,
    ThreadContext,
    ViewResponse,
    load_definitions,
    parse_path,
    parse_version_ref,
)
from drift_models.schema import SCHEMA_FILES, generate_schemas, main

PACKAGE = Path(__file__).resolve().parents[1]
EXAMPLES = PACKAGE.parents[1] / "examples"


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_checked_in_schema_is_current(name: str) -> None:
    generated = generate_schemas()[name]
    checked_in = (PACKAGE / "schema" / name).read_bytes()
    assert checked_in == generated, (
        f"schema/{name} is stale: run `uv run python -m drift_models.schema "
        "packages/drift-models/schema` and commit the result"
    )


def test_schema_generator_writes_files(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SCHEMA_FILES)
    assert main([]) == 2


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((PACKAGE / "schema" / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_examples_match_the_json_schema() -> None:
    nodes = _validator("node-definition.schema.json")
    workflows = _validator("workflow-definition.schema.json")
    files = sorted(
        file for file in EXAMPLES.rglob("*.json") if not file.name.endswith(SCENARIO_FILE_SUFFIX)
    )
    assert len(files) > 20
    for file in files:
        document = json.loads(file.read_text())
        validator = workflows if "states" in document else nodes
        errors = [e.message for e in validator.iter_errors(document)]
        assert errors == [], f"{file}: {errors}"


def test_the_schema_rejects_what_the_decoder_rejects() -> None:
    workflows = _validator("workflow-definition.schema.json")
    bad = {"id": "w", "startNode": "a", "states": {"a": {"nextnode": "b"}}}
    assert not workflows.is_valid(bad)


def test_loading_files_reports_every_bad_file(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(
        json.dumps({"type": "SUCCESS", "id": "done", "name": "Done"})
    )
    (tmp_path / "broken.json").write_text('{"type": "SUCCESS",\n "id": }')
    (tmp_path / "odd.json").write_text("[1, 2]")
    (tmp_path / "bad-field.json").write_text(
        json.dumps({"id": "w", "startNode": "a", "states": {"a": {"nxt": "b"}}})
    )
    files = load_definitions([tmp_path, tmp_path / "missing.json"], NodeTypes())
    assert [node.id for _, node in files.nodes] == ["done"]
    reported = sorted((p.file.name, p.problem.path, p.problem.message) for p in files.problems)
    assert reported == [
        (
            "bad-field.json",
            "$.states.a",
            (
                "unknown field 'nxt' (allowed: instanceName, resourceId, resourceVersion, "
                "nodeDefinition, parameters, nextNode, onError, timeoutSeconds, retry, utility, "
                "parallel, map)"
            ),
        ),
        (
            "broken.json",
            "$",
            (
                "the file is not valid JSON: JSON is malformed: invalid character "
                "at line 2, column 8"
            ),
        ),
        ("missing.json", "$", "no such file or folder"),
        (
            "odd.json",
            "$",
            "not a definition: a workflow has 'states', a node definition has 'type'",
        ),
    ]


def test_context_document_keeps_the_wire_names() -> None:
    context = RunContext.start(
        {"orderId": "A-1"},
        ThreadContext(tenant_id="acme", client_id="support-ui"),
        {"ordersServiceUrl": "http://orders"},
    )
    context.set_output("lookup", {"body": {"total": 10}})
    context.set_view_response("confirm", ViewResponse(selected_options={"decision": ["approve"]}))
    encoded: dict[str, Any] = msgspec.to_builtins(context)
    assert encoded == {
        "_global": {
            "params": {"orderId": "A-1"},
            "threadContext": {"tenantId": "acme", "clientId": "support-ui", "userId": None},
            "lookup": {"body": {"total": 10}},
            "confirm:viewResponse": {"selectedOptions": {"decision": ["approve"]}},
        },
        "_enum_store": {"ordersServiceUrl": "http://orders"},
    }
    assert msgspec.json.decode(msgspec.json.encode(context), type=RunContext) == context
    assert context.lookup(parse_path("$.lookup.body.total")) == 10
    assert context.lookup(parse_path("$._enum_store.ordersServiceUrl")) == "http://orders"
    assert (
        context.lookup(parse_path("$.confirm:viewResponse.selectedOptions.decision[0]"))
        == "approve"
    )
    with pytest.raises(PathNotFoundError, match="has no field 'missing'"):
        context.lookup(parse_path("$.missing"))


def test_statuses_know_what_is_stable_and_final() -> None:
    stable = {s for s in RunStatus if s.is_stable}
    final = {s for s in RunStatus if s.is_final}
    assert final == {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.TERMINATED}
    assert stable == final | {RunStatus.WAITING, RunStatus.SCHEDULER_WAITING}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", 3), ("latest", "LATEST"), (" ACTIVE ", "ACTIVE"), ("Snapshot", "SNAPSHOT")],
)
def test_version_references_parse(text: str, expected: object) -> None:
    assert parse_version_ref(text) == expected


@pytest.mark.parametrize("text", ["0", "-1", "newest", "1.5", ""])
def test_bad_version_references_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        parse_version_ref(text)


def test_a_folders_scenario_files_are_passed_over_but_a_named_one_is_read(
    tmp_path: Path,
) -> None:
    (tmp_path / "done.json").write_text(json.dumps({"type": "SUCCESS", "id": "d", "name": "D"}))
    scenarios = tmp_path / "scenarios" / f"done{SCENARIO_FILE_SUFFIX}"
    scenarios.parent.mkdir()
    scenarios.write_text(json.dumps({"workflow": "w", "scenarios": []}))
    from_folder = load_definitions([tmp_path], NodeTypes())
    assert [file.name for file, _ in from_folder.nodes] == ["done.json"]
    assert from_folder.problems == []
    named = load_definitions([scenarios], NodeTypes())
    assert [str(problem) for problem in named.problems] == [
        f"{scenarios}: $: not a definition: a workflow has 'states', a node definition has 'type'"
    ]
