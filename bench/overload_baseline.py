"""The hand-written baseline of bench/overload.py: its workflow and worker.

The best plain-Temporal code for the refund flow that Drift runs, written by hand (its
HTTP service is bench/overload_baseline_service.py): the order lookup (HTTP), the
refund computation and the view in one activity with one context write to the same
kind of store Drift uses (SQLite) — as Drift chains the states up to a stable point
into one step with one write; the resume is one local activity with one write; the
workflow module is passed through the sandbox, as Drift's own is, so it is not
re-imported for every run; its task polls are scaled by the SDK or fixed as Drift's are
(``BASELINE_POLLERS``, as ``DRIFT_POLLERS``).

Usage (started by bench/overload.py): ``python bench/overload_baseline.py``, configured
by the environment (``BASELINE_*``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any

import aiohttp
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    Worker,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

with workflow.unsafe.imports_passed_through():
    from drift_models import RunContext, RunStatus
    from drift_store import ContextStore, open_store

__all__ = ["LeanActivities", "RefundLean"]

_TIMEOUT = dt.timedelta(seconds=30)
TENANT = "baseline"


@dataclass
class LeanActivities:
    """The flow's work: one activity up to the view, one local activity to the end."""

    contexts: ContextStore
    session: aiohttp.ClientSession
    orders_url: str

    @activity.defn(name="lean.to_view")
    async def to_view(self, run_id: str, order_id: str) -> dict[str, Any]:
        """GET the order, compute the refund, render the view; one context write."""
        async with self.session.get(f"{self.orders_url}/orders/{order_id}") as response:
            order = await response.json()
        days = order["daysSinceDelivery"]
        refund = {
            "orderId": order["id"],
            "eligible": order["status"] == "DELIVERED" and days <= 90,
            "amount": round(order["total"] * (1.0 if days <= 30 else 0.5) * 100) / 100,
        }
        view = {
            "layoutId": "refund-confirmation",
            "inputOptions": [{"id": "decision", "description": f"Refund {refund['amount']}?"}],
        }
        context = RunContext.start({"orderId": order_id})
        context.set_output("lookup", {"status": response.status, "body": order})
        context.set_output("compute", refund)
        await self.contexts.create(
            TENANT, run_id, context, current_node="confirm", status=RunStatus.WAITING
        )
        return {"runId": run_id, "status": "WAITING", "view": view, "refund": refund}

    @activity.defn(name="lean.finish")
    async def finish(self, run_id: str, decision: str) -> dict[str, Any]:
        """Record the outcome; one context write."""
        outcome = {"outcome": "REFUNDED" if decision == "approve" else "DECLINED"}
        record = await self.contexts.require(TENANT, run_id)
        record.context.set_output("done", outcome)
        await self.contexts.update(
            TENANT,
            run_id,
            expected_revision=record.revision,
            context=record.context,
            current_node="done",
            status=RunStatus.COMPLETED,
        )
        return {"runId": run_id, "status": "COMPLETED", "output": outcome}


@workflow.defn(name="lean.refund")
class RefundLean:
    """Lookup + compute + view in one activity; the resume's end in one local activity."""

    def __init__(self) -> None:
        self.view: dict[str, Any] | None = None
        self.decision: str | None = None
        self.result: dict[str, Any] | None = None

    @workflow.run
    async def run(self, run_id: str, order_id: str) -> dict[str, Any]:
        """Run the flow."""
        self.view = await workflow.execute_activity(
            "lean.to_view", args=[run_id, order_id], start_to_close_timeout=_TIMEOUT
        )
        await workflow.wait_condition(lambda: self.decision is not None)
        self.result = await workflow.execute_local_activity(
            "lean.finish", args=[run_id, self.decision], start_to_close_timeout=_TIMEOUT
        )
        return self.result

    @workflow.update
    async def state(self) -> dict[str, Any] | None:
        """Answer at the view."""
        await workflow.wait_condition(lambda: self.view is not None)
        return self.view

    @workflow.update
    async def resume(self, decision: str) -> dict[str, Any] | None:
        """Take the decision; answer at the end."""
        self.decision = decision
        await workflow.wait_condition(lambda: self.result is not None)
        return self.result


def poller_behavior() -> PollerBehavior:
    """``BASELINE_POLLERS``: ``0`` (unset) lets the SDK scale the polls, a number fixes them."""
    pollers = int(os.environ.get("BASELINE_POLLERS", "0"))
    return PollerBehaviorAutoscaling() if pollers == 0 else PollerBehaviorSimpleMaximum(pollers)


async def work() -> None:
    """The baseline's worker, until it is stopped."""
    client = await Client.connect(os.environ["BASELINE_TEMPORAL"])
    runner = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            "msgspec", "drift_models", "drift_store", "aiohttp", "overload_baseline"
        )
    )
    async with (
        open_store(os.environ["BASELINE_STORE"]) as store,
        aiohttp.ClientSession() as session,
    ):
        lean = LeanActivities(store.contexts, session, os.environ["BASELINE_ORDERS"])
        worker = Worker(
            client,
            task_queue=os.environ["BASELINE_QUEUE"],
            workflows=[RefundLean],
            activities=[lean.to_view, lean.finish],
            workflow_runner=runner,
            workflow_task_poller_behavior=poller_behavior(),
            activity_task_poller_behavior=poller_behavior(),
        )
        await worker.run()


def main() -> int:
    """Run the worker until it is stopped."""
    # From the module by its name (not __main__), so the sandbox passes it through.
    asyncio.run(importlib.import_module("overload_baseline").work())
    return 0


if __name__ == "__main__":
    sys.exit(main())
