"""Error mapping, settings and pictures (unit tests: fakes stand in for Temporal)."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from drift_api import ApiSettings
from drift_api.engine_errors import refused as _refused
from drift_api.engine_errors import rpc_error as _rpc_error
from drift_api.pictures import PictureError, PictureFormat, render_dot
from drift_models.settings import SettingsError, load_settings


def refusal(kind: str, *details: object) -> WorkflowUpdateFailedError:
    return WorkflowUpdateFailedError(ApplicationError("the reason", *details, type=kind))


def test_invalid_answers_are_422_with_every_path() -> None:
    problem = {"path": "$.viewResponse.selectedOptions.x", "message": "no", "code": "c"}
    mapped = _refused(refusal("InvalidResume", problem, problem), "r1")
    assert mapped.status == 422
    assert [p.path for p in mapped.errors] == [problem["path"]] * 2


@pytest.mark.parametrize(
    ("kind", "status"),
    [("NotWaiting", 409), ("WrongView", 409), ("AlreadyEnded", 409), ("NotStarted", 409),
     ("UnknownState", 422), ("Surprise", 409)],
)  # fmt: skip
def test_refusals_map_to_precise_statuses(kind: str, status: int) -> None:
    assert _refused(refusal(kind), "r1").status == status


def test_rpc_errors() -> None:
    ended = RPCError("workflow execution already completed", RPCStatusCode.NOT_FOUND, b"")
    assert _rpc_error(ended, "r").status == 409
    missing = RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")
    assert _rpc_error(missing, "r").status == 404
    down = RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")
    mapped = _rpc_error(down, "r")
    assert (mapped.status, mapped.headers) == (503, {"Retry-After": "1"})


def test_settings_come_from_the_environment() -> None:
    settings = load_settings(
        ApiSettings,
        environ={
            "DRIFT_SYNC_TIMEOUT_SECONDS": "2.5",
            "DRIFT_API_KEYS": "acme:k1:abc,globex:k2:def",
            "DRIFT_AUTH": "false",
            "DRIFT_TRACING": "false",
        },
    )
    assert settings.tracing is False
    assert settings.request_metrics is True
    assert settings.sync_timeout_seconds == 2.5
    assert settings.api_keys == ["acme:k1:abc", "globex:k2:def"]
    assert settings.auth is False
    assert (settings.app_port, settings.admin_port, settings.metrics_port) == (8000, 8001, 9090)
    with pytest.raises(SettingsError, match="DRIFT_SYNC_TIMEOUT_SECONDS"):
        load_settings(ApiSettings, environ={"DRIFT_SYNC_TIMEOUT_SECONDS": "-1"})


async def test_pictures_render_and_failures_are_reported() -> None:
    svg = await render_dot('digraph { "a" -> "b"; }', PictureFormat.SVG)
    assert b"<svg" in svg
    png = await render_dot("digraph { a; }", PictureFormat.PNG)
    assert png.startswith(b"\x89PNG")
    assert PictureFormat.PNG.media_type == "image/png"
    with pytest.raises(PictureError, match="graphviz-pure failed"):
        await render_dot("this is not dot", PictureFormat.SVG)


def test_temporal_refusing_the_request_is_4xx_without_retry_after() -> None:
    too_big = RPCError("Blob data size exceeds limit.\nmore", RPCStatusCode.INVALID_ARGUMENT, b"")
    mapped = _rpc_error(too_big, "r", path="$.params")
    assert mapped.status == 422
    assert "Retry-After" not in mapped.headers
    assert [p.path for p in mapped.errors] == ["$.params"]
    assert mapped.detail.endswith("Blob data size exceeds limit.")
    precondition = RPCError("nope", RPCStatusCode.FAILED_PRECONDITION, b"")
    assert _rpc_error(precondition, "r").status == 409
    busy = RPCError("namespace rate limit exceeded", RPCStatusCode.RESOURCE_EXHAUSTED, b"")
    assert _rpc_error(busy, "r").status == 503
    assert _rpc_error(busy, "r").headers["Retry-After"] == "1"
