"""Deep, broken and hostile JSON at every JSON endpoint of the real app: never a 5xx.

Every operation of the app's own OpenAPI document that takes a body is sent
Hypothesis-generated bodies: arrays and objects nested far past any decoder's
recursion limit, bytes that are not UTF-8, truncated documents, huge numbers,
duplicate keys, lone surrogates, and the wrong content types. Each answer must be a
problem document below 500 (or a success, for the few bodies that happen to be valid).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift_api.json_guard import MAX_JSON_DEPTH
from tests.api.harness import Api, new_run_id

_EXAMPLES_PER_OPERATION = 40


def _deep(depth: int, opener: str) -> bytes:
    closer = {"[": "]", "{": "}"}[opener]
    if opener == "[":
        return (opener * depth + closer * depth).encode()
    return ('{"a":' * depth + "1" + "}" * depth).encode()


_NESTING = st.builds(
    lambda depth, opener, wrap: (
        b'{"workflowDefinitionId": "x", "params": ' + _deep(depth, opener) + b"}"
        if wrap
        else _deep(depth, opener)
    ),
    st.sampled_from([MAX_JSON_DEPTH + 1, 1_000, 5_000, 100_000]),
    st.sampled_from(["[", "{"]),
    st.booleans(),
)
_NOT_UTF8 = st.builds(
    lambda prefix, junk: b'{"id": "' + prefix.encode() + junk + b'"}',
    st.text(max_size=20),
    st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"]),
)
_VALID = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_TRUNCATED = st.builds(
    lambda value, cut: json.dumps(value).encode()[: max(cut, 1)],
    _VALID,
    st.integers(min_value=1, max_value=40),
)
_NUMBERS = st.sampled_from(
    [
        b'{"version": 1e999999}',
        b'{"version": -1e999999}',
        b'{"version": ' + b"9" * 5000 + b"}",
        b'{"params": {"n": ' + b"1" * 4000 + b"}}",
        b'{"version": 1.' + b"0" * 4000 + b"1}",
        b"NaN",
        b'{"version": Infinity}',
    ]
)
_DUPLICATES = st.sampled_from(
    [
        b'{"workflowDefinitionId": "a", "workflowDefinitionId": "b", "params": {}}',
        b'{"id": "x", "id": "y", "name": "n", "type": "SCRIPT"}',
        b'{"viewResponse": {"selectedOptions": {}}, "viewResponse": 1}',
    ]
)
_SURROGATES = st.sampled_from(
    [
        b'{"id": "\\ud800"}',
        b'{"params": {"\\udfff": 1}}',
        b'{"workflowDefinitionId": "\\ud83d", "params": {}}',
        b'"\\u00"',
    ]
)
_RANDOM = st.binary(max_size=200)
BODIES = _NESTING | _NOT_UTF8 | _TRUNCATED | _NUMBERS | _DUPLICATES | _SURROGATES | _RANDOM
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "",
    ]
)


async def _operations(api: Api, run_id: str) -> list[tuple[str, str]]:
    document = (await api.http.get("/schema/openapi.json")).json()
    found: list[tuple[str, str]] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            url = re.sub(r"\{run_id\}", run_id, path)
            url = re.sub(r"\{name\}", "documentsUploaded", url)
            url = re.sub(r"\{definition_id\}", "refund", url)
            url = re.sub(r"\{[^}]+\}", "x", url)
            found.append((method.upper(), url))
    return found


async def test_every_json_endpoint_answers_hostile_bodies_with_a_problem(examples: Api) -> None:
    api = examples
    run_id = new_run_id()
    started = await api.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert started.status_code == 200, started.text
    operations = await _operations(api, run_id)
    assert len(operations) >= 8, operations
    loop = asyncio.get_running_loop()
    answers: list[tuple[str, str, int]] = []

    async def send(method: str, url: str, body: bytes, content_type: str) -> httpx.Response:
        headers = {"Content-Type": content_type} if content_type else {}
        return await api.request(method, url, content=body, headers=headers)

    @settings(
        max_examples=_EXAMPLES_PER_OPERATION * len(operations),
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation=st.sampled_from(operations), body=BODIES, content_type=CONTENT_TYPES)
    def check(operation: tuple[str, str], body: bytes, content_type: str) -> None:
        method, url = operation
        future = asyncio.run_coroutine_threadsafe(send(method, url, body, content_type), loop)
        answer = future.result(timeout=60)
        answers.append((method, url, answer.status_code))
        assert answer.status_code < 500, (method, url, body[:200], answer.text[:500])
        if answer.status_code >= 400:
            assert answer.headers["content-type"] == "application/problem+json", answer.text
            problem: dict[str, Any] = answer.json()
            assert problem["status"] == answer.status_code
            assert problem["detail"]
            assert "Traceback" not in answer.text

    await asyncio.to_thread(check)
    assert {(m, u) for m, u, _ in answers} == set(operations)


async def test_deep_and_non_utf8_bodies_are_400_with_a_clear_message(examples: Api) -> None:
    api = examples
    deep = (
        b'{"workflowDefinitionId": "refund", "params": {"x": ' + b"[" * 2000 + b"]" * 2000 + b"}}"
    )
    for method, url in (
        ("POST", "/v3/workflow/start"),
        ("POST", "/nodeDefinition"),
        ("POST", "/workflowDefinition/validate"),
        ("PUT", "/v3/workflow/resume/some-run"),
    ):
        answer = await api.request(method, url, content=deep)
        assert answer.status_code == 400, (url, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert f"deeper than the {MAX_JSON_DEPTH} accepted" in problem["detail"]
        assert problem["errors"][0]["path"] == "$"
    latin = '{"workflowDefinitionId": "caf\u00e9", "params": {}}'.encode("latin-1")
    answer = await api.request("POST", "/v3/workflow/start", content=latin)
    assert answer.status_code == 400, answer.text
    assert "not UTF-8" in answer.json()["detail"]
    assert "byte 29" in answer.json()["detail"]
    shallow = b'{"workflowDefinitionId": "refund", "params": {"x": "[[[[{{{{"}}'
    answer = await api.request("POST", "/v3/workflow/start", content=shallow)
    assert answer.status_code == 422, answer.text  # decoded: only the parameters are missing


async def test_a_whole_number_written_with_a_fraction_is_an_integer(examples: Api) -> None:
    node = {
        "id": "whole",
        "name": "Whole",
        "type": "SCRIPT",
        "version": "SNAPSHOT",
        "parameters": [],
        "retry": {"maximumAttempts": 3.0},
        "config": {"script": "1"},
    }
    answer = await examples.post("/nodeDefinition/validate", json=node)
    assert answer.status_code == 200, answer.text
    assert answer.json()["valid"] is True
    node["retry"] = {"maximumAttempts": 3.5}
    answer = await examples.post("/nodeDefinition/validate", json=node)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["path"] == "$.retry.maximumAttempts"
