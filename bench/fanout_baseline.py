"""Hand-written plain-Temporal fan-out (the baseline of bench/fanout.py).

What an engineer would write by hand for the same work: the workflow gathers one
activity per branch (per item, at most ``concurrency`` at a time) doing the HTTP call,
then saves every output to the same context store with one local activity.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec
from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from drift_models import RunContext, RunStatus
    from drift_store import ContextStore

__all__ = ["FanoutActivities", "FanoutInput", "HandMap", "HandParallel"]

_TIMEOUT = dt.timedelta(seconds=30)


class FanoutInput(msgspec.Struct, kw_only=True):
    """A fan-out run: its id, the addresses to GET, how many at a time."""

    tenant: str
    run_id: str
    urls: list[str]
    concurrency: int = 10


class SaveInput(msgspec.Struct, kw_only=True):
    """The outputs to save as the run's context."""

    tenant: str
    run_id: str
    outputs: list[Any]


@dataclass
class FanoutActivities:
    """The baseline's activities: one GET each, and one context write at the end."""

    contexts: ContextStore
    session: aiohttp.ClientSession

    @activity.defn(name="hand.get")
    async def get(self, url: str) -> dict[str, Any]:
        """GET ``url``; answer its status and JSON body."""
        async with self.session.get(url) as response:
            return {"status": response.status, "body": await response.json()}

    @activity.defn(name="hand.save")
    async def save(self, request: SaveInput) -> None:
        """Write every output into a new context, once."""
        context = RunContext.start({})
        context.set_output("results", request.outputs)
        await self.contexts.create(
            request.tenant, request.run_id, context, current_node="done",
            status=RunStatus.COMPLETED,
        )  # fmt: skip

    def all(self) -> list[Any]:
        """Every activity, for ``Worker(activities=...)``."""
        return [self.get, self.save]


async def _gather(run: FanoutInput) -> list[Any]:
    results: list[Any] = [None] * len(run.urls)
    cursor = 0

    async def lane() -> None:
        nonlocal cursor
        while cursor < len(run.urls):
            index = cursor
            cursor += 1
            results[index] = await workflow.execute_activity(
                "hand.get", run.urls[index], start_to_close_timeout=_TIMEOUT
            )

    await asyncio.gather(*(lane() for _ in range(min(run.concurrency, len(run.urls)))))
    await workflow.execute_local_activity(
        "hand.save",
        SaveInput(tenant=run.tenant, run_id=run.run_id, outputs=results),
        start_to_close_timeout=_TIMEOUT,
    )
    return results


@workflow.defn(name="hand.map")
class HandMap:
    """GET every address, ``concurrency`` at a time; save; answer the outputs in order."""

    @workflow.run
    async def run(self, run: FanoutInput) -> list[Any]:
        """Run the fan-out."""
        return await _gather(run)


@workflow.defn(name="hand.parallel")
class HandParallel:
    """GET every address at once (the branches); save; answer the outputs."""

    @workflow.run
    async def run(self, run: FanoutInput) -> list[Any]:
        """Run the fan-out."""
        return await _gather(msgspec.structs.replace(run, concurrency=len(run.urls)))
