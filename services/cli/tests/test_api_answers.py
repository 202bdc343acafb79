"""An API answer that is not the shape the API promises: a clear CLI error, exit code 1.

A small local HTTP server (a fake of the API, this is a unit test) answers each request
with a canned status and body; the real CLI (``drift_cli.main.main``) talks to it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from drift_cli.main import EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE, main

_STATE: dict[str, Any] = {
    "workflowId": "r1",
    "workflowStatus": "WAITING",
    "workflowDefinitionId": "refund",
    "workflowVersion": 1,
    "currentNode": "confirmRefund",
    "disposition": None,
    "errorMessage": None,
    "view": {
        "node": "confirmRefund",
        "layoutId": "confirm",
        "inputOptions": [],
        "disposition": None,
        "status": None,
    },
    "output": None,
    "createdAt": "2026-12-01T14:00:00Z",
    "updatedAt": "2026-12-01T14:00:01.250000Z",
}


class _Canned(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, str, bytes]]] = {}

    def _answer(self) -> None:
        status, kind, body = self.answers.get(self.path.split("?")[0], (404, "text/plain", b"?"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer  # noqa: N815 - http.server's names

    def log_message(self, *_: object) -> None:
        """Quiet."""


@pytest.fixture
def api() -> Iterator[tuple[str, dict[str, tuple[int, str, bytes]]]]:
    """The fake's address and its answers by path (set by each test)."""
    _Canned.answers = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Canned.answers
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _json(body: Any, status: int = 200) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(body).encode()


def _drift(url: str, *argv: str) -> int:
    return main([*argv, "--api", url, "--tenant", "t1"])


def test_a_well_formed_state_is_shown(
    api: tuple[str, dict[str, tuple[int, str, bytes]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, answers = api
    answers["/v3/workflow/r1"] = _json(_STATE)
    assert _drift(url, "status", "r1") == EXIT_OK
    assert capsys.readouterr().out.startswith("run r1: WAITING at confirmRefund\n")
    assert _drift(url, "status", "r1", "--json") == EXIT_OK
    assert json.loads(capsys.readouterr().out) == _STATE


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"workflowStatus": "ASLEEP"}, "$.workflowStatus", "Invalid enum value 'ASLEEP'"),
        ({"workflowVersion": "1"}, "$.workflowVersion", "Expected `int | null`, got `str`"),
        ({"createdAt": "yesterday"}, "$.createdAt", "Invalid RFC3339"),
        ({"view": {"layoutId": "confirm"}}, "$.view", "missing required field `node`"),
    ],
)
def test_a_malformed_state_names_the_field_and_exits_1(
    api: tuple[str, dict[str, tuple[int, str, bytes]]],
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    field: str,
    says: str,
) -> None:
    url, answers = api
    answers["/v3/workflow/r1"] = _json(_STATE | change)
    assert _drift(url, "status", "r1") == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        "drift status: the API answered GET /v3/workflow/r1 with a body that is not a "
        "WorkflowResponse: "
    )
    assert f"at `{field}`" in captured.err
    assert says in captured.err


def test_a_field_the_cli_does_not_know_is_passed_over(
    api: tuple[str, dict[str, tuple[int, str, bytes]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, answers = api
    newer = _STATE | {"surprise": 1, "view": _STATE["view"] | {"surprise": 2}}
    answers["/v3/workflow/r1"] = _json(newer)
    assert _drift(url, "status", "r1") == EXIT_OK
    assert capsys.readouterr().out.startswith("run r1: WAITING at confirmRefund\n")
    assert _drift(url, "status", "r1", "--json") == EXIT_OK
    assert json.loads(capsys.readouterr().out) == newer  # the answer as sent


def test_a_missing_field_of_a_listing_and_a_body_that_is_not_json(
    api: tuple[str, dict[str, tuple[int, str, bytes]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, answers = api
    answers["/v3/workflow"] = _json({"items": [{"workflowId": "r1"}], "nextPageToken": None})
    assert _drift(url, "runs") == EXIT_FAILED
    err = capsys.readouterr().err
    assert "not a RunPage" in err
    assert "missing required field `workflowDefinitionId` - at `$.items[0]`" in err

    answers["/workflowDefinition/refund/publish"] = (200, "text/html", b"<html>proxy</html>")
    assert _drift(url, "publish", "workflow", "refund") == EXIT_FAILED
    err = capsys.readouterr().err
    assert "POST /workflowDefinition/refund/publish" in err
    assert "not a PublishedDefinition: JSON is malformed" in err

    answers["/workflowDefinition/refund/publish"] = _json({"id": "refund", "version": "SNAPSHOT"})
    assert _drift(url, "publish", "workflow", "refund") == EXIT_FAILED
    assert "at `$.version`" in capsys.readouterr().err


def test_an_api_error_keeps_its_exit_codes(
    api: tuple[str, dict[str, tuple[int, str, bytes]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, answers = api
    problem = {"title": "Not Found", "status": 404, "detail": "no run r1"}
    answers["/v3/workflow/r1"] = _json(problem, 404)
    assert _drift(url, "status", "r1") == EXIT_FAILED
    assert "HTTP 404 Not Found\nno run r1" in capsys.readouterr().err
    answers["/v3/workflow/r1"] = (503, "application/problem+json", b"{not json")
    assert _drift(url, "status", "r1") == EXIT_UNREACHABLE
    assert "HTTP 503: {not json" in capsys.readouterr().err
