"""The engine connected on first use: 503 + Retry-After until it connects, then through."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

import pytest
from litestar.testing import AsyncTestClient

from drift_api import ApiSettings, create_app
from drift_api.engine import BulkActions, Engine, RunListing
from drift_api.engine_connection import ConnectingEngine
from drift_api.problems import ApiError
from drift_api.run_query import RunFilter
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


async def test_the_listing_and_the_bulk_actions_are_made_once_when_connected() -> None:
    temporal = Temporal()
    temporal.up = True
    made: list[str] = []
    fake = temporal.engine
    listing = fake.listing
    jobs = cast("BulkActions", object())  # the fake has no bulk actions: a stand-in

    def counted_listing(*, secret: bytes | None) -> RunListing:
        made.append(f"listing {secret!r}")
        return listing(secret=secret)

    def counted_bulk() -> BulkActions:
        made.append("bulk")
        return jobs

    fake.listing = counted_listing  # type: ignore[method-assign]
    fake.bulk = counted_bulk  # type: ignore[method-assign]
    engine = ConnectingEngine(temporal.connect)
    outer = engine.listing(secret=b"k")
    assert made == []  # nothing is connected before the first call
    for _ in range(2):
        page = await outer.page("acme", RunFilter(), limit=5, page_token=None, total=True)
        assert page.total == 0
    assert await engine.listing(secret=b"k").count("acme", RunFilter()) == 0
    # Page tokens and bulk jobs live in the engine's objects: one each, kept.
    assert made == ["listing b'k'"]
    first, second = await engine.bulk_of(), await engine.bulk_of()
    assert first is second is jobs
    assert made == ["listing b'k'", "bulk"]
