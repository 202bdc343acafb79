"""The CLI's typed reading of the API against the API served for real.

Every answer a ``drift`` command decodes (into the body types of drift-models) is
checked against the bytes the API really sent: encoded back, the decoded body must be
exactly what came over the wire (no field dropped, none misread), and together the
commands below read every body type the CLI knows.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgspec
import pytest

from drift_api import ApiSettings
from drift_cli.client import ApiAnswer, ApiClient
from drift_cli.main import main
from drift_models import (
    PointersBody,
    PublishedDefinition,
    RunHistory,
    RunPage,
    SavedDefinition,
    ValidationReport,
    VersionBody,
    WorkflowResponse,
)
from tests.api.harness import EXAMPLES, new_run_id, tenant_key

_EVERY_BODY_READ: dict[Any, str] = {
    WorkflowResponse: "WorkflowResponse",
    RunHistory: "RunHistory",
    RunPage: "RunPage",
    ValidationReport: "ValidationReport",
    SavedDefinition: "SavedDefinition",
    PublishedDefinition: "PublishedDefinition",
    list[VersionBody]: "list[VersionBody]",
    PointersBody: "PointersBody",
}


def _as_sent(into: Any, decoded: Any, data: bytes) -> None:
    """Assert that ``decoded`` is exactly the JSON the API sent, read as ``into``."""
    sent = json.loads(data)
    if into is PublishedDefinition:
        # A view of the published DSL document: its id and number, the rest left alone.
        assert (decoded.id, decoded.version) == (sent["id"], sent["version"])
        return
    assert msgspec.to_builtins(decoded) == sent, into


@pytest.fixture
def checked_answers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record the type of every answer the CLI decodes, each checked against the bytes."""
    seen: list[Any] = []
    decode = ApiClient.answer

    async def answer(self: ApiClient, method: str, path: str, into: Any, **kw: Any) -> Any:
        answered: ApiAnswer[Any] = await decode(self, method, path, into, **kw)
        _as_sent(into, answered.body, answered.data)
        seen.append(into)
        return answered

    monkeypatch.setattr(ApiClient, "answer", answer)
    return seen


async def _drift(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_every_answer_the_cli_reads_is_what_the_api_sends(
    served: ApiSettings,
    tenant: str,
    checked_answers: list[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = f"http://127.0.0.1:{served.app_port}"
    cli = ["--api", base, "--api-key", tenant_key(tenant)[0], "--tenant", tenant]

    # apply: validate, write, publish, read the versions, activate.
    assert await _drift("apply", str(EXAMPLES / "refund"), "--activate", *cli) == 0
    assert "activated workflow refund v1" in capsys.readouterr().out

    assert await _drift("publish", "workflow", "refund", *cli) == 0
    assert capsys.readouterr().out == "published workflow refund v2\n"
    assert await _drift("activate", "refund", "2", "--json", *cli) == 0
    pointers = json.loads(capsys.readouterr().out)
    assert (pointers["active"], pointers["previouslyActive"]) == (2, [1])
    assert await _drift("activate", "refund", *cli) == 0  # a rollback
    assert capsys.readouterr().out == "workflow refund: ACTIVE is v1\n"

    run_id = new_run_id()
    start = ["start", "refund", "--param", "orderId=A-100", "--param", "reason=damaged"]
    assert await _drift(*start, "--run-id", run_id, "--json", *cli) == 0
    started = json.loads(capsys.readouterr().out)
    assert (started["workflowId"], started["workflowStatus"]) == (run_id, "WAITING")
    assert started["currentNode"] == "confirmRefund"

    assert await _drift("status", run_id, *cli) == 0
    shown = capsys.readouterr().out
    assert f"run {run_id}: WAITING at confirmRefund" in shown
    assert "    decision — Refund 80.0 EUR for order A-100?" in shown

    assert await _drift("resume", run_id, "--answer", "decision=approve", *cli) == 0
    resumed = capsys.readouterr().out
    assert f"run {run_id}: COMPLETED at " in resumed
    assert "  disposition: REFUNDED" in resumed

    assert await _drift("logs", run_id, *cli) == 0
    logs = capsys.readouterr().out.splitlines()
    assert logs[0].split()[1] == "STARTED"
    assert any(line.split()[1] == "RESUMED" for line in logs)

    assert await _drift("runs", "--workflow", "refund", *cli) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith(f"{run_id}  refund v1  COMPLETED  ")
    assert listed[-1] == "1 of 1 runs"

    assert {_EVERY_BODY_READ[into] for into in checked_answers} == set(_EVERY_BODY_READ.values())
