"""The engine connected on first use: 503 + Retry-After until it connects, then through."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from drift_api import ApiSettings, create_app
from drift_api.engine import Engine
from drift_api.engine_connection import ConnectingEngine
from drift_api.problems import ApiError
from drift_nodes import discover_nodes
from drift_store import open_store

from .fake_engine import FakeEngine


class Temporal:
    """Where a connect goes: away (refused) until ``up``."""

    def __init__(self) -> None:
        self.up = False
        self.tries = 0
        self.engine = FakeEngine()

    async def connect(self) -> Engine:
        self.tries += 1
        if not self.up:
            raise ConnectionRefusedError("connection refused")
        return self.engine


async def test_calls_answer_503_until_the_engine_connects() -> None:
    temporal = Temporal()
    engine = ConnectingEngine(temporal.connect, retry_seconds=0.05)
    with pytest.raises(ApiError) as away:
        await engine.read_state("acme", "run-1")
    assert away.value.status == 503
    assert away.value.headers == {"Retry-After": "1"}
    assert "ConnectionRefusedError: connection refused" in away.value.detail
    # Within retry_seconds of a failed try, no new try is made.
    with pytest.raises(ApiError):
        await engine.health()
    assert temporal.tries == 1
    temporal.up = True
    await asyncio.sleep(0.06)
    await engine.health()
    assert engine.connected
    with pytest.raises(ApiError) as unknown:
        await engine.read_state("acme", "run-1")
    assert unknown.value.status == 404  # the engine's own answer now
    assert temporal.tries == 2


async def test_a_try_that_hangs_is_bounded() -> None:
    async def hang() -> Engine:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    engine = ConnectingEngine(hang, attempt_seconds=0.05)
    with pytest.raises(ApiError) as away:
        await engine.health()
    assert away.value.status == 503
    assert "TimeoutError" in away.value.detail


async def test_the_app_answers_503_while_temporal_is_away_then_runs(tmp_path: Path) -> None:
    temporal = Temporal()
    engine = ConnectingEngine(temporal.connect, retry_seconds=0.0)
    registry = discover_nodes()
    settings = ApiSettings(auth=False)
    headers = {"X-Tenant-Id": "acme", "X-Client-Id": "unit"}
    async with open_store(
        f"sqlite:///{tmp_path / 'drift.db'}", node_types=registry.node_types
    ) as store:
        app = create_app(store=store, engine=engine, settings=settings)
        async with AsyncTestClient(app=app) as client:
            away = await client.get("/v3/workflow/run-1", headers=headers)
            assert away.status_code == 503, away.text
            assert away.headers["retry-after"] == "1"
            assert away.json()["title"] == "Engine Unavailable"
            listed = await client.get("/v3/workflow", headers=headers)
            assert listed.status_code == 503, listed.text
            temporal.up = True
            listed = await client.get("/v3/workflow", headers=headers)
            assert listed.status_code == 200, listed.text
            assert listed.json()["items"] == []
