"""Hostile scripts through the API's save-time checks, over HTTP into the real app.

Every script field the API checks — a SCRIPT node's ``config.script``, a BRANCH rule,
an inline SCRIPT state of a workflow — gets scripts of every shape up to the default
body limit (4 MiB). The answer is always a 2xx report or a 4xx problem at the script's
path, never a 5xx, and the app answers ordinary requests afterwards. (Before the fix, a
200 KB operator chain overflowed the native stack in the compile check and killed the
process.)
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from drift_api import ApiSettings
from drift_nodes.testing import SHAPES, WRAPPERS, huge_cases, nest
from tests.api.harness import Api, tenant_key

BODY_LIMIT = 4 * 1024 * 1024
ISSUE_CHAIN = "1+" * 100_000 + "1"  # 200 KB: killed the API in the compile check
SCRIPT_CODES = {"script-too-deep", "script-too-long", "script-syntax"}


@pytest.fixture
def settings(settings: ApiSettings) -> ApiSettings:
    """The API's default body limit (the shared fixture lowers it)."""
    return msgspec.structs.replace(settings, max_body_bytes=BODY_LIMIT)


def script_node(source: str) -> dict[str, Any]:
    return {"id": "hostile", "name": "Hostile", "type": "SCRIPT", "config": {"script": source}}


def branch_node(source: str) -> dict[str, Any]:
    return {
        "id": "hostile-branch",
        "name": "Hostile branch",
        "type": "BRANCH",
        "config": {"choices": [{"rule": source, "nextNode": "a"}], "defaultNode": "b"},
    }


def inline_workflow(source: str) -> dict[str, Any]:
    return {
        "id": "hostile-flow",
        "startNode": "run",
        "states": {
            "run": {"nodeDefinition": script_node(source), "nextNode": "end"},
            "end": {"nodeDefinition": {"id": "end", "name": "End", "type": "SUCCESS"}},
        },
    }


TARGETS = (
    ("/nodeDefinition/validate", script_node, "$.config.script"),
    ("/nodeDefinition/validate", branch_node, "$.config.choices[0].rule"),
    ("/workflowDefinition/validate", inline_workflow, "$.states.run.nodeDefinition.config.script"),
)


async def _validate(api: Api, source: str) -> list[dict[str, Any]]:
    """Validate ``source`` in every place a script goes; return the script problems."""
    found: list[dict[str, Any]] = []
    for url, build, path in TARGETS:
        answer = await api.post(url, json=build(source))
        assert answer.status_code < 500, (url, answer.status_code, answer.text[:500])
        if answer.status_code == 413:  # the document is over the body limit as a whole
            continue
        assert answer.status_code == 200, (url, answer.text[:500])
        problems = [p for p in answer.json()["problems"] if p["code"] in SCRIPT_CODES]
        for problem in problems:
            assert problem["path"] == path, (url, problem)
            assert "Traceback" not in problem["message"]
        found.extend(problems)
    return found


async def _still_answers(api: Api) -> None:
    small = await api.post("/nodeDefinition/validate", json=script_node("x = 1\nx + 1"))
    assert small.status_code == 200
    assert small.json() == {"valid": True, "problems": []}


async def test_the_200_kb_chain_is_a_422_at_its_path_and_the_api_goes_on(api: Api) -> None:
    found = await _validate(api, ISSUE_CHAIN)
    assert [p["code"] for p in found] == ["script-too-deep"] * len(TARGETS)
    assert "at most 1000 are allowed" in found[0]["message"]
    created = await api.post("/nodeDefinition", json=script_node(ISSUE_CHAIN))
    assert created.status_code == 422, created.text
    (problem,) = created.json()["errors"]
    assert problem["path"] == "$.config.script"
    assert problem["code"] == "script-too-deep"
    flow = await api.post("/workflowDefinition", json=inline_workflow(ISSUE_CHAIN))
    assert flow.status_code == 201  # a draft keeps its problems; publishing refuses it
    refused = await api.post("/workflowDefinition/hostile-flow/publish")
    assert refused.status_code == 422
    assert {p["code"] for p in refused.json()["errors"]} == {"script-too-deep"}
    await _still_answers(api)


async def test_the_200_kb_chain_over_real_http_and_granian(
    served: ApiSettings, tenant: str
) -> None:
    base = f"http://127.0.0.1:{served.app_port}"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        api = Api(http=http, tenant=tenant, key=tenant_key(tenant)[0])
        found = await _validate(api, ISSUE_CHAIN)
        assert [p["code"] for p in found] == ["script-too-deep"] * len(TARGETS)
        await _still_answers(api)
        live = await http.get(f"http://127.0.0.1:{served.admin_port}/healthz")
        assert live.status_code == 200


async def test_huge_scripts_of_every_shape_are_answered_without_a_5xx(api: Api) -> None:
    for name, source in huge_cases(BODY_LIMIT - 1024):
        if len(source) < 1000:
            continue
        try:
            await _validate(api, source)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
    await _still_answers(api)


scripts = st.one_of(
    st.builds(
        nest,
        st.lists(
            st.tuples(st.sampled_from(sorted(WRAPPERS)), st.integers(1, 30_000)),
            min_size=1,
            max_size=4,
        ),
    ),
    st.builds(
        lambda name, size: SHAPES[name](min(size, 1400) if name.startswith("nested ") else size),
        st.sampled_from(sorted(SHAPES)),
        st.integers(0, 200_000),
    ),
)


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(source=scripts)
async def test_generated_scripts_get_a_report_never_a_5xx(api: Api, source: str) -> None:
    await _validate(api, source)
    await _still_answers(api)
