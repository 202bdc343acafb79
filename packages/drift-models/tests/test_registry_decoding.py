"""The open node-type union, and decoding errors that say exactly where."""

from __future__ import annotations

import msgspec
import pytest

from drift_models import (
    DocumentError,
    DuplicateNodeTypeError,
    NodeDefinition,
    NodeTarget,
    NodeTypes,
    Value,
    WorkflowDefinition,
    WorkflowGraph,
    WorkflowNode,
    define_node_type,
    iter_value_fields,
)


class SlackConfig(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True, rename="camel"
):
    channel: str
    text: Value = None
    on_failure: NodeTarget | None = None


class SlackNode(NodeDefinition, tag="acme.SLACK", frozen=True, kw_only=True):
    config: SlackConfig


SLACK = (
    b'{"type":"acme.SLACK","id":"notify","name":"Notify",'
    b'"config":{"channel":"#ops","text":"{{ msg }}"}}'
)


def test_plugin_types_join_the_union_at_run_time() -> None:
    types = NodeTypes()
    with pytest.raises(DocumentError) as caught:
        types.decode_node(SLACK)
    assert caught.value.problems[0].path == "$.type"
    assert "unknown type 'acme.SLACK'" in caught.value.problems[0].message

    types.register(SlackNode, source="acme-drift-nodes")
    node = types.decode_node(SLACK)
    assert isinstance(node, SlackNode)
    assert node.config.channel == "#ops"
    assert node.type_name == "acme.SLACK"
    assert "acme.SLACK" in types
    assert types.source("acme.SLACK") == "acme-drift-nodes"

    workflow = types.decode_workflow(
        b'{"id":"w","startNode":"a","states":{"a":{"nodeDefinition":' + SLACK + b"}}}"
    )
    assert isinstance(workflow.states["a"].node_definition, SlackNode)


def test_plugin_fields_are_found_like_built_in_ones() -> None:
    types = NodeTypes()
    types.register(SlackNode, source="acme")
    node = SlackNode(
        id="n", name="N", config=SlackConfig(channel="#x", text="hi {{ a }}", on_failure="oops")
    )
    assert list(iter_value_fields(node)) == [(("config", "text"), "hi {{ a }}")]
    workflow = WorkflowDefinition(
        id="w", start_node="a", states={"a": WorkflowNode(node_definition=node)}
    )
    graph = WorkflowGraph(workflow, {"a": node})
    assert [(e.target, e.path) for e in graph.edges_from("a")] == [
        ("oops", ("config", "onFailure"))
    ]


def test_two_packages_claiming_one_type_are_both_named() -> None:
    types = NodeTypes()
    types.register(SlackNode, source="acme-drift-nodes")
    other = define_node_type("acme.SLACK", SlackConfig, class_name="OtherSlack")
    with pytest.raises(DuplicateNodeTypeError) as caught:
        types.register(other, source="slack-for-drift")
    message = str(caught.value)
    assert "'acme-drift-nodes'" in message
    assert "'slack-for-drift'" in message
    types.register(SlackNode, source="acme-drift-nodes")  # the same class again is harmless


def test_a_plugin_cannot_replace_a_built_in() -> None:
    hijack = define_node_type("HTTP", SlackConfig)
    with pytest.raises(DuplicateNodeTypeError, match="'drift-models'"):
        NodeTypes().register(hijack, source="evil")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (SlackConfig, "is not a subclass of drift_models.NodeDefinition"),
        (define_node_type("bad name!", SlackConfig), "must match"),
    ],
)
def test_bad_registrations_are_refused(bad: type, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        NodeTypes().register(bad, source="x")


def test_a_node_type_needs_config_and_an_explicit_name() -> None:
    class NoConfig(NodeDefinition, tag="acme.X", frozen=True, kw_only=True):
        pass

    class NoTag(NodeDefinition, frozen=True, kw_only=True):
        config: SlackConfig

    with pytest.raises(TypeError, match="has no 'config' field"):
        NodeTypes().register(NoConfig, source="x")
    with pytest.raises(TypeError, match="needs an explicit type name"):
        NodeTypes().register(NoTag, source="x")


def test_decoded_workflows_equal_hand_built_ones() -> None:
    types = NodeTypes()
    built = WorkflowDefinition(id="w", start_node="a", states={"a": WorkflowNode(next_node="b")})
    decoded = types.decode_workflow(msgspec.json.encode(built))
    assert decoded == built
    assert built == decoded
    assert isinstance(decoded, WorkflowDefinition)


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        (
            b'{"id":"w","startNode":"a",\n  "states":{"a":{"nextNode": }}}',
            "$",
            (
                "the workflow definition is not valid JSON: JSON is malformed: invalid character "
                "at line 2, column 30"
            ),
        ),
        (
            b'{"id":"w","startNode":"a","states":{"ok":{},"not ok":{}}}',
            '$.states["not ok"]',
            (
                "'not ok' is not allowed here: A state of a workflow: a letter or '_' then "
                "letters, digits, '_' or '-'."
            ),
        ),
        (
            b'{"id":"w","startNode":"a","states":{"a":{},"b":{"retry":{"maximumAttempts":-1}}}}',
            "$.states.b.retry.maximumAttempts",
            "Expected `int` >= 0",
        ),
        (
            b'{"id":"w","startNode":"a","states":{"a":{"resourceVersion":"NEWEST"}}}',
            "$.states.a.resourceVersion",
            "'NEWEST' is not one of a number, SNAPSHOT, LATEST, ACTIVE",
        ),
        (
            b'{"id":"w","startNode":"a","states":{"a":{"nextnode":"b"}}}',
            "$.states.a",
            (
                "unknown field 'nextnode' (allowed: instanceName, resourceId, resourceVersion, "
                "nodeDefinition, parameters, nextNode, onError, timeoutSeconds, retry, utility, "
                "parallel, map)"
            ),
        ),
        (
            (
                b'{"id":"w","startNode":"a","states":{"a":{"nodeDefinition":{"type":"HTTP",'
                b'"id":"h","name":"H","config":{"url":"u","method":"FETCH"}}}}}'
            ),
            "$.states.a.nodeDefinition.config.method",
            "'FETCH' is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
        ),
        (
            b'{"id":"w","startNode":"a"}',
            "$",
            "missing required field `states`",
        ),
        (
            (
                b'{"id":"wf","startNode":"a","states":{"a":{"nodeDefinition":{"type":"INSTRUCTION",'
                b'"id":"i","name":"I","config":{"layoutId":"l","inputOptions":[{"id":"o",'
                b'"possibleDependentValues":{"x":[{"value":"1"}]}}]}}}}}'
            ),
            "$.states.a.nodeDefinition.config.inputOptions[0].possibleDependentValues.x[0]",
            "missing required field `displayValue`",
        ),
    ],
)
def test_decoding_errors_name_the_exact_place(document: bytes, path: str, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        NodeTypes().decode_workflow(document)
    (problem,) = caught.value.problems
    assert (problem.path, problem.message) == (path, message)


def test_unicode_survives_decoding() -> None:
    node = NodeTypes().decode_node(
        '{"type":"SCRIPT","id":"remboursé","name":"Calcul 計算","config":{"script":"\'ü\'"}}'
    )
    assert node.id == "remboursé"
    assert node.name == "Calcul 計算"


def test_convert_reports_paths_like_decode() -> None:
    with pytest.raises(DocumentError) as caught:
        NodeTypes().convert_workflow(
            {"id": "w", "startNode": "a", "states": {"a": {"timeoutSeconds": "soon"}}}
        )
    assert caught.value.problems[0].path == "$.states.a.timeoutSeconds"


@pytest.mark.parametrize("bad_id", ["refund\n", "", "has space", "a/b", "x" * 129])
def test_ids_are_whole_words(bad_id: str) -> None:
    document = msgspec.json.encode({"type": "SUCCESS", "id": bad_id, "name": "N"})
    with pytest.raises(DocumentError) as caught:
        NodeTypes().decode_node(document)
    assert caught.value.problems[0].path == "$.id"
