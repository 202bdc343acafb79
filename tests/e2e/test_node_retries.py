"""HTTP node retries through real Temporal: retryable statuses are tried again as the
node's retry policy says (hit counts prove it), other failing statuses are not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from drift_models import RunStatus
from tests.e2e.engine import Engine
from tests.e2e.test_engine_features import _node, _publish


@dataclass
class FlakyService:
    """An HTTP peer answering scripted statuses, then 200 with ``{"ok": true}``."""

    answers: list[int] = field(default_factory=list)
    hits: int = 0
    runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/flaky"

    async def handle(self, _request: web.Request) -> web.Response:
        self.hits += 1
        status = self.answers.pop(0) if self.answers else 200
        return web.json_response({"ok": status == 200, "hit": self.hits}, status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/flaky", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        assert sockets
        self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """The embedded store: retries do not touch the store backend."""
    return f"sqlite:///{tmp_path / 'drift.db'}"


@pytest.fixture
async def flaky() -> AsyncIterator[FlakyService]:
    running = FlakyService()
    await running.start()
    yield running
    await running.stop()


def _calling(
    url: str, workflow_id: str, retry: dict[str, Any] | None, **config: Any
) -> dict[str, Any]:
    """A workflow of one HTTP call: OK with the answer's hit number, or GAVE_UP.

    ``retry=None`` leaves the node on the HTTP type's default policy.
    """
    node = _node("HTTP", "call", {"url": url, **config})
    if retry is not None:
        node["retry"] = retry
    return {
        "id": workflow_id,
        "startNode": "call",
        "states": {
            "call": {
                "nodeDefinition": node,
                "nextNode": "done",
                "onError": "gave-up",
            },
            "done": {
                "nodeDefinition": _node(
                    "SUCCESS", "done", {"disposition": "OK", "output": "{{ hit }}"}, ("hit",)
                ),
                "parameters": {"hit": "$.call.body.hit"},
            },
            "gave-up": {"nodeDefinition": _node("SUCCESS", "gave-up", {"disposition": "GAVE_UP"})},
        },
    }


FAST_THREE = {"maximumAttempts": 3, "initialIntervalSeconds": 0.05, "backoffCoefficient": 1.0}


@pytest.mark.parametrize(
    ("answers", "disposition", "hits"),
    [
        ([503], "OK", 2),
        ([500, 502], "OK", 3),
        ([429, 408], "OK", 3),
        ([503, 503, 503], "GAVE_UP", 3),  # the third attempt is the last one allowed
        ([404], "GAVE_UP", 1),  # not a retryable status: never tried again
        ([400, 503], "GAVE_UP", 1),
    ],
)
async def test_an_http_node_is_retried_as_its_policy_says(
    engine: Engine,
    flaky: FlakyService,
    answers: list[int],
    disposition: str,
    hits: int,
) -> None:
    flaky.answers = list(answers)
    await _publish(engine, _calling(flaky.url, "flaky", FAST_THREE))
    final = await engine.start("flaky", {}, run_id="retry-1")
    assert final.workflow_status is RunStatus.COMPLETED, final
    assert final.disposition == disposition
    assert flaky.hits == hits
    if disposition == "OK":
        assert final.output == hits  # the answer taken is the last attempt's


async def test_a_state_retry_override_replaces_the_node_policy(
    engine: Engine, flaky: FlakyService
) -> None:
    flaky.answers = [503, 503, 503, 503]
    document = _calling(flaky.url, "flaky-five", FAST_THREE)
    document["states"]["call"]["retry"] = {**FAST_THREE, "maximumAttempts": 5}
    await _publish(engine, document)
    final = await engine.start("flaky-five", {}, run_id="retry-5")
    assert final.disposition == "OK"
    assert flaky.hits == 5
    assert final.output == 5


async def test_a_single_attempt_policy_is_never_retried(
    engine: Engine, flaky: FlakyService
) -> None:
    flaky.answers = [503]
    await _publish(engine, _calling(flaky.url, "flaky-once", {**FAST_THREE, "maximumAttempts": 1}))
    final = await engine.start("flaky-once", {}, run_id="retry-once")
    assert final.disposition == "GAVE_UP"
    assert flaky.hits == 1


async def test_the_http_default_policy_makes_four_attempts(
    engine: Engine, flaky: FlakyService
) -> None:
    flaky.answers = [503, 503, 503, 503, 503]
    await _publish(engine, _calling(flaky.url, "flaky-default", None))
    final = await engine.start("flaky-default", {}, run_id="retry-default")
    assert final.disposition == "GAVE_UP"
    assert flaky.hits == 4  # HttpNodeType.default_retry: 4 attempts in all


@pytest.mark.parametrize(
    ("retryable", "answers", "disposition", "hits"),
    [
        ([], [503], "GAVE_UP", 1),  # nothing is retryable: a 503 is final
        ([404], [404], "OK", 2),  # a 404 named retryable is tried again
        (["4xx"], [409, 418], "OK", 3),
    ],
)
async def test_retryable_statuses_decide_what_is_tried_again(
    engine: Engine,
    flaky: FlakyService,
    *,
    retryable: list[Any],
    answers: list[int],
    disposition: str,
    hits: int,
) -> None:
    flaky.answers = list(answers)
    document = _calling(flaky.url, "flaky-statuses", FAST_THREE, retryableStatuses=retryable)
    await _publish(engine, document)
    final = await engine.start("flaky-statuses", {}, run_id="retry-statuses")
    assert final.disposition == disposition
    assert flaky.hits == hits
