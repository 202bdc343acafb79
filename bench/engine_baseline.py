"""Hand-written plain-Temporal versions of the benchmark workflows (the baseline).

The best code an engineer would write by hand for the same work, never a strawman:
update-with-start for the sync start; every node up to a stable point chained in one
activity with one context write to the same store (as the engine chains states) — an
ordinary activity where a node does I/O (the refund's order lookup), a local activity
where all are pure (the five-node flow); the resume as an update whose end is one local
activity with one write. bench/engine.py passes this module through the workflow
sandbox (as the engine's worker passes its own), so it is not re-imported per run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec
from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from drift_models import RunContext, RunStatus
    from drift_store import ContextStore

__all__ = ["BaselineActivities", "PureFive", "RefundByHand", "Step"]

_TIMEOUT = dt.timedelta(seconds=30)


class Step(msgspec.Struct, kw_only=True):
    """One node's work: which run, which node, its input."""

    tenant: str
    run_id: str
    node: str
    value: Any = None
    create: bool = False


@dataclass
class BaselineActivities:
    """The baseline's activities: each runs every node up to a stable point, one write."""

    contexts: ContextStore
    session: aiohttp.ClientSession
    orders_url: str

    @activity.defn(name="baseline.pure5")
    async def pure_five(self, step: Step) -> Any:
        """The five pure nodes chained, as the engine chains pure states; one write."""
        context = RunContext.start({"input": step.value})
        value = step.value or 0
        for index in range(5):
            value = value * 2 + 1
            context.set_output(f"n{index}", {"value": value})
        await self.contexts.create(
            step.tenant, step.run_id, context, current_node="n4", status=RunStatus.COMPLETED
        )
        return value

    @activity.defn(name="baseline.to_view")
    async def to_view(self, step: Step) -> Any:
        """GET the order, compute the refund, render the view; one context write."""
        async with self.session.get(f"{self.orders_url}/orders/{step.value}") as response:
            order = await response.json()
        days = order["daysSinceDelivery"]
        refund = {
            "orderId": order["id"],
            "eligible": order["status"] == "DELIVERED" and days <= 90,
            "amount": round(order["total"] * (1.0 if days <= 30 else 0.5) * 100) / 100,
        }
        context = RunContext.start({"orderId": step.value})
        context.set_output("lookup", {"status": response.status, "body": order})
        context.set_output("compute", refund)
        if not refund["eligible"]:
            await self.contexts.create(
                step.tenant, step.run_id, context, current_node="done",
                status=RunStatus.COMPLETED,
            )  # fmt: skip
            return {"outcome": "NOT_ELIGIBLE"}
        view = {
            "layoutId": "refund-confirmation",
            "inputOptions": [{"id": "decision", "description": f"Refund {refund['amount']}?"}],
        }
        await self.contexts.create(
            step.tenant, step.run_id, context, current_node="confirm", status=RunStatus.WAITING
        )
        return {"view": view}

    @activity.defn(name="baseline.finish")
    async def finish(self, step: Step) -> Any:
        """The terminal node: record the outcome; one context write."""
        output = {"outcome": "REFUNDED" if step.value == "approve" else "DECLINED"}
        record = await self.contexts.require(step.tenant, step.run_id)
        record.context.set_output(step.node, output)
        await self.contexts.update(
            step.tenant,
            step.run_id,
            expected_revision=record.revision,
            context=record.context,
            current_node=step.node,
            status=RunStatus.COMPLETED,
        )
        return output

    def all(self) -> list[Any]:
        """Every activity."""
        return [self.pure_five, self.to_view, self.finish]


@workflow.defn(name="baseline.pure5")
class PureFive:
    """Five pure nodes in one local activity; the sync caller waits for the end."""

    def __init__(self) -> None:
        self.result: Any = None

    @workflow.run
    async def run(self, step: Step) -> Any:
        """Run the five nodes."""
        self.result = await workflow.execute_local_activity(
            "baseline.pure5",
            Step(tenant=step.tenant, run_id=step.run_id, node="n0", value=step.value),
            result_type=int,
            start_to_close_timeout=_TIMEOUT,
        )
        return self.result

    @workflow.update
    async def state(self) -> Any:
        """Answer at the end."""
        await workflow.wait_condition(lambda: self.result is not None)
        return self.result


@workflow.defn(name="baseline.refund")
class RefundByHand:
    """The refund flow by hand: lookup + compute + view in one activity; resume; finish."""

    def __init__(self) -> None:
        self.view: Any = None
        self.decision: str | None = None
        self.result: Any = None

    @workflow.run
    async def run(self, step: Step) -> Any:
        """Run the flow."""
        tenant, run_id = step.tenant, step.run_id
        first = await workflow.execute_activity(
            "baseline.to_view",
            Step(tenant=tenant, run_id=run_id, node="confirm", value=step.value),
            start_to_close_timeout=_TIMEOUT,
        )
        if "view" not in first:
            self.result = first
            return self.result
        self.view = first["view"]
        await workflow.wait_condition(lambda: self.decision is not None)
        self.result = await workflow.execute_local_activity(
            "baseline.finish",
            Step(tenant=tenant, run_id=run_id, node="done", value=self.decision),
            start_to_close_timeout=_TIMEOUT,
        )
        return self.result

    @workflow.update
    async def state(self) -> Any:
        """Answer at the view (or the end)."""
        await workflow.wait_condition(lambda: self.view is not None or self.result is not None)
        return self.view or self.result

    @workflow.update
    async def resume(self, decision: str) -> Any:
        """Take the decision; answer at the end."""
        self.decision = decision
        await workflow.wait_condition(lambda: self.result is not None)
        return self.result
