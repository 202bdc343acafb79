"""Sync calls under overload: a bound per process, 429 at once, every answer in time.

Real Temporal, real worker, the real app over HTTP; the orders service the refund
example calls is slowed down, so sync starts wait and pile up in the API.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
)

from drift_api import ApiSettings, create_app
from drift_api.main import serving
from drift_nodes import HttpSettings, NodeSettings
from drift_worker.devserver import free_port
from drift_worker.runtime import RunningWorker
from tests.api.conftest import asgi, lifespan
from tests.api.harness import EXAMPLES, Api, new_run_id, publish_examples, tenant_key
from tests.peers import Services

REFUND = {"orderId": "A-100", "reason": "damaged"}
# A correctness bound, not a speed goal: an answer within the sync timeout plus the
# late budget, with a generous allowance for a busy test machine.
SLACK_SECONDS = 5.0


class _CountingQueries(Interceptor):
    """Counts the queries the API's Temporal client sends."""

    def __init__(self) -> None:
        self.queries = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:  # noqa: A002
        counter = self

        class _Outbound(OutboundInterceptor):
            async def query_workflow(self, input: QueryWorkflowInput) -> Any:  # noqa: A002
                counter.queries += 1
                return await super().query_workflow(input)

        return _Outbound(next)


@asynccontextmanager
async def _api(
    examples: Api, client: Client, worker: RunningWorker, settings: ApiSettings
) -> AsyncIterator[Api]:
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    app = create_app(store=worker.store, client=client, settings=settings, node_settings=nodes)
    async with (
        lifespan(app),
        httpx.AsyncClient(transport=asgi(app), base_url="http://api", timeout=120) as http,
    ):
        yield Api(http=http, tenant=examples.tenant, key=tenant_key(examples.tenant)[0])


async def _timed(call: Any) -> tuple[httpx.Response, float, float]:
    begun = time.monotonic()
    answer = await call
    return answer, time.monotonic() - begun, time.monotonic()


async def test_sync_starts_beyond_the_bound_answer_429_at_once_and_start_nothing(
    examples: Api,
    api_client: Client,
    settings: ApiSettings,
    worker: RunningWorker,
    services: Services,
) -> None:
    services.delay_seconds = 2.0
    bounded = msgspec.structs.replace(
        settings, max_sync_waits=2, overload_retry_after_seconds=3, sync_timeout_seconds=10
    )
    run_ids = [new_run_id() for _ in range(7)]
    async with _api(examples, api_client, worker, bounded) as api:
        answers = await asyncio.gather(
            *(_timed(api.start("refund", REFUND, workflowId=run_id)) for run_id in run_ids)
        )
        statuses = sorted(answer.status_code for answer, _, _ in answers)
        assert statuses == [200, 200, 429, 429, 429, 429, 429], [a.text for a, _, _ in answers]
        admitted = [(a, took, at) for a, took, at in answers if a.status_code == 200]
        refused = [(a, took, at) for a, took, at in answers if a.status_code == 429]
        # At once: every refusal came before the first admitted call was answered.
        assert max(at for _, _, at in refused) < min(at for _, _, at in admitted)
        for answer, _, _ in refused:
            assert answer.headers["retry-after"] == "3"
            assert answer.headers["content-type"] == "application/problem+json"
            assert "nothing was sent" in answer.json()["detail"]
        for answer, took, _ in admitted:
            assert answer.json()["workflowStatus"] == "WAITING", answer.text
            assert took < bounded.sync_timeout_seconds + bounded.late_answer_seconds + SLACK_SECONDS
        # Nothing was created for a refused call: neither Temporal nor the store knows it.
        for answer, run_id in zip((a for a, _, _ in answers), run_ids, strict=True):
            if answer.status_code == 429:
                assert (await api.get(f"/v3/workflow/{run_id}")).status_code == 404
                assert await worker.store.contexts.get(examples.tenant, run_id) is None
        # The places are free again: the same refused request now goes through.
        services.delay_seconds = 0
        retried = next(
            run_id
            for (a, _, _), run_id in zip(answers, run_ids, strict=True)
            if a.status_code == 429
        )
        again = await api.start("refund", REFUND, workflowId=retried)
        assert again.status_code == 200, again.text
        assert services.calls.count("GET /orders/A-100") == 3


async def test_a_late_start_the_run_accepted_answers_202_without_a_query(
    examples: Api,
    api_client: Client,
    settings: ApiSettings,
    worker: RunningWorker,
    services: Services,
) -> None:
    services.delay_seconds = 4.0
    counting = _CountingQueries()
    config = api_client.config()
    config["interceptors"] = [*config["interceptors"], counting]
    client = Client(**config)
    late = msgspec.structs.replace(settings, sync_timeout_seconds=1, late_answer_seconds=1)
    async with _api(examples, client, worker, late) as api:
        run_ids = [new_run_id() for _ in range(4)]
        answers = await asyncio.gather(
            *(_timed(api.start("refund", REFUND, workflowId=run_id)) for run_id in run_ids)
        )
        for (answer, took, _), run_id in zip(answers, run_ids, strict=True):
            assert answer.status_code == 202, answer.text
            body = answer.json()
            assert body["workflowId"] == run_id
            assert body["workflowStatus"] == "RUNNING", body
            assert (body["workflowDefinitionId"], body["workflowVersion"]) == ("refund", 1)
            assert took < late.sync_timeout_seconds + late.late_answer_seconds + SLACK_SECONDS
        # The run accepted the start's update: its acceptance told the state.
        assert counting.queries == 0
        # And the runs went on to their views.
        for run_id in run_ids:
            read: dict[str, Any] = {}
            for _ in range(100):
                read = (await api.get(f"/v3/workflow/{run_id}")).json()
                if read["workflowStatus"] == "WAITING":
                    break
                await asyncio.sleep(0.1)
            assert read["workflowStatus"] == "WAITING", read


async def test_over_real_http_the_bound_not_the_server_decides_who_waits(
    worker: RunningWorker,
    settings: ApiSettings,
    store_url: str,
    services: Services,
    tenant: str,
) -> None:
    # A bound above granian's default of 128 requests in Python at once: the server must
    # still hand every request over, so the excess is refused at once, not left waiting.
    del worker  # runs the starts in the background
    real = msgspec.structs.replace(
        settings,
        store_url=store_url,
        host="127.0.0.1",
        app_port=free_port(),
        admin_port=free_port(),
        metrics_port=0,
        sync_timeout_seconds=8,
        max_sync_waits=150,
    )
    async with serving(real):
        base = f"http://127.0.0.1:{real.app_port}"
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            for _ in range(100):
                try:
                    await http.get("/")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            api = Api(http=http, tenant=tenant, key=tenant_key(tenant)[0])
            await publish_examples(api)
            services.delay_seconds = 6.0
            answers = await asyncio.gather(
                *(api.start("refund", REFUND, workflowId=new_run_id()) for _ in range(200))
            )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(429) == 50, statuses
    assert set(statuses) <= {200, 202, 429}, statuses


SLOW_ORDER = {
    "id": "slow-order",
    "name": "Look up an order (slow)",
    "type": "HTTP",
    "parameters": [],
    "timeoutSeconds": 20,
    "config": {"url": "{{ _enum_store.ordersServiceUrl }}/orders/A-100"},
}


async def _publish_with_slow_utility(api: Api) -> str:
    """account-verification with one more utility state, which calls the orders service."""
    node = await api.post("/nodeDefinition", json=SLOW_ORDER)
    assert node.status_code == 201, node.text
    assert (await api.post("/nodeDefinition/slow-order/publish")).status_code == 200
    source = EXAMPLES / "account-verification" / "workflows" / "account-verification.json"
    workflow = json.loads(source.read_text())
    workflow["id"] = "verification-with-lookup"
    workflow["states"]["lookUpOrder"] = {"resourceId": "slow-order", "utility": True}
    created = await api.post("/workflowDefinition", json=workflow)
    assert created.status_code == 201, created.text
    published = await api.post("/workflowDefinition/verification-with-lookup/publish")
    assert published.status_code == 200, published.text
    activated = await api.post(
        "/workflowDefinition/verification-with-lookup/activate",
        json={"version": published.json()["version"]},
    )
    assert activated.status_code == 200, activated.text
    return "verification-with-lookup"


async def test_a_late_utility_call_answers_the_state_the_run_stays_in(
    examples: Api, api_client: Client, settings: ApiSettings, worker: RunningWorker,
    services: Services,
) -> None:  # fmt: skip
    # A utility call does not move its run: accepted but late, it is not RUNNING.
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    app = create_app(store=worker.store, client=api_client, settings=settings, node_settings=nodes)
    async with (
        lifespan(app),
        httpx.AsyncClient(transport=asgi(app), base_url="http://api", timeout=120) as http,
    ):
        api = Api(http=http, tenant=examples.tenant, key=tenant_key(examples.tenant)[0])
        workflow = await _publish_with_slow_utility(api)
        run_id = new_run_id()
        first = await api.start(workflow, {"accountId": "acc-1"}, workflowId=run_id)
        assert first.status_code == 200, first.text
        assert first.json()["workflowStatus"] == "WAITING", first.text
        services.delay_seconds = 4.0
        app.state["services"].runs._sync_timeout = 1
        url = f"/v3/workflow/{run_id}/disconnected-node/execute"
        late = await api.post(url, json={"node": "lookUpOrder"})
        assert late.status_code == 202, late.text
        body = late.json()
        assert (body["workflowStatus"], body["currentNode"]) == ("WAITING", "askCode"), body
