"""Hand-written plain-Temporal versions of the benchmark workflows (the baseline).

What an engineer would write by hand for the same work, the way the facts of this
machine suggest: update-with-start for the sync start, HTTP as an ordinary activity, the
rest as local activities, the resume as an update, and one context write to the same
store after every node.
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
    """The baseline's activities: a little work and one context write each."""

    contexts: ContextStore
    session: aiohttp.ClientSession
    orders_url: str

    async def _save(self, step: Step, output: Any, status: RunStatus = RunStatus.RUNNING) -> None:
        if step.create:
            context = RunContext.start({"input": step.value})
            context.set_output(step.node, output)
            await self.contexts.create(
                step.tenant, step.run_id, context, current_node=step.node, status=status
            )
            return
        record = await self.contexts.require(step.tenant, step.run_id)
        record.context.set_output(step.node, output)
        await self.contexts.update(
            step.tenant,
            step.run_id,
            expected_revision=record.revision,
            context=record.context,
            current_node=step.node,
            status=status,
        )

    @activity.defn(name="baseline.compute")
    async def compute(self, step: Step) -> Any:
        """A pure node: a little arithmetic."""
        output = {"value": (step.value or 0) * 2 + 1}
        await self._save(step, output)
        return output["value"]

    @activity.defn(name="baseline.lookup")
    async def lookup(self, step: Step) -> Any:
        """The HTTP node: GET the order."""
        async with self.session.get(f"{self.orders_url}/orders/{step.value}") as response:
            body = await response.json()
        await self._save(step, {"status": response.status, "body": body})
        return body

    @activity.defn(name="baseline.refund")
    async def refund(self, step: Step) -> Any:
        """The script node: compute the refund."""
        order = step.value
        days = order["daysSinceDelivery"]
        share = 1.0 if days <= 30 else 0.5
        output = {
            "orderId": order["id"],
            "eligible": order["status"] == "DELIVERED" and days <= 90,
            "amount": round(order["total"] * share * 100) / 100,
        }
        await self._save(step, output)
        return output

    @activity.defn(name="baseline.view")
    async def view(self, step: Step) -> Any:
        """The view node: render what the agent sees."""
        refund = step.value
        output = {
            "layoutId": "refund-confirmation",
            "inputOptions": [{"id": "decision", "description": f"Refund {refund['amount']}?"}],
        }
        await self._save(step, output, RunStatus.WAITING)
        return output

    @activity.defn(name="baseline.finish")
    async def finish(self, step: Step) -> Any:
        """The terminal node: record the outcome."""
        output = {"outcome": "REFUNDED" if step.value == "approve" else "DECLINED"}
        await self._save(step, output, RunStatus.COMPLETED)
        return output

    def all(self) -> list[Any]:
        """Every activity."""
        return [self.compute, self.lookup, self.refund, self.view, self.finish]


@workflow.defn(name="baseline.pure5")
class PureFive:
    """Five pure nodes as five local activities; the sync caller waits for the end."""

    def __init__(self) -> None:
        self.result: Any = None

    @workflow.run
    async def run(self, step: Step) -> Any:
        """Run the five nodes."""
        value = step.value
        for index in range(5):
            value = await workflow.execute_local_activity(
                "baseline.compute",
                Step(
                    tenant=step.tenant,
                    run_id=step.run_id,
                    node=f"n{index}",
                    value=value,
                    create=index == 0,
                ),
                result_type=int,
                start_to_close_timeout=_TIMEOUT,
            )
        self.result = value
        return value

    @workflow.update
    async def state(self) -> Any:
        """Answer at the end."""
        await workflow.wait_condition(lambda: self.result is not None)
        return self.result


@workflow.defn(name="baseline.refund")
class RefundByHand:
    """The refund flow written by hand: lookup, compute, branch, view; resume; finish."""

    def __init__(self) -> None:
        self.view: Any = None
        self.decision: str | None = None
        self.result: Any = None

    @workflow.run
    async def run(self, step: Step) -> Any:
        """Run the flow."""
        tenant, run_id = step.tenant, step.run_id
        order = await workflow.execute_activity(
            "baseline.lookup",
            Step(tenant=tenant, run_id=run_id, node="lookup", value=step.value, create=True),
            start_to_close_timeout=_TIMEOUT,
        )
        refund = await workflow.execute_local_activity(
            "baseline.refund",
            Step(tenant=tenant, run_id=run_id, node="compute", value=order),
            start_to_close_timeout=_TIMEOUT,
        )
        if not refund["eligible"]:
            self.result = {"outcome": "NOT_ELIGIBLE"}
            return self.result
        self.view = await workflow.execute_local_activity(
            "baseline.view",
            Step(tenant=tenant, run_id=run_id, node="confirm", value=refund),
            start_to_close_timeout=_TIMEOUT,
        )
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
