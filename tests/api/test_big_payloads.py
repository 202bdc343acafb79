"""Megabytes of parameters and answers work, and they do not ride in Temporal.

The real app with a body limit of 8 MiB, a real worker and Temporal: a start with
3 MB of parameters and a resume with a 3 MB answer reach their stable points; the run's
history holds only claim-check references (the bytes are in the store's blobs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from litestar import Litestar
from temporalio.client import Client

from drift_api import ApiSettings, create_app
from drift_models import temporal_workflow_id
from drift_nodes import HttpSettings, NodeSettings
from drift_store import CLAIM_ENCODING
from drift_worker.runtime import RunningWorker
from tests.api.conftest import asgi, lifespan
from tests.api.harness import Api, new_run_id, tenant_key

MEGABYTES = 3 * 1024 * 1024


@pytest.fixture
def big_app(worker: RunningWorker, api_client: Client, settings: ApiSettings) -> Litestar:
    roomy = msgspec.structs.replace(settings, max_body_bytes=8 * 1024 * 1024)
    nodes = NodeSettings(http=HttpSettings(allow_hosts=("127.0.0.1",)))
    return create_app(store=worker.store, client=api_client, settings=roomy, node_settings=nodes)


@pytest.fixture
async def big(big_app: Litestar, examples: Api) -> AsyncIterator[Api]:
    async with (
        lifespan(big_app),
        httpx.AsyncClient(transport=asgi(big_app), base_url="http://api", timeout=120) as http,
    ):
        yield Api(http=http, tenant=examples.tenant, key=tenant_key(examples.tenant)[0])


async def test_megabytes_of_params_and_answers_travel_by_reference(
    big: Api, temporal_client: Client
) -> None:
    run_id = new_run_id()
    params = {"orderId": "A-100", "reason": "r" * MEGABYTES}
    started = await big.start("refund", params, workflowId=run_id)
    assert started.status_code == 200, started.text[:2000]
    assert started.json()["workflowStatus"] == "WAITING"

    again = await big.start("refund", params, workflowId=run_id)
    assert again.status_code == 200, again.text[:2000]
    assert again.json()["currentNode"] == "confirmRefund"

    resumed = await big.resume(run_id, {"decision": ["approve"], "note": ["n" * MEGABYTES]})
    assert resumed.status_code == 200, resumed.text[:2000]
    assert resumed.json()["workflowStatus"] == "COMPLETED"

    history = await temporal_client.get_workflow_handle(
        temporal_workflow_id(big.tenant, run_id)
    ).fetch_history()
    sizes = [event.ByteSize() for event in history.events]
    assert max(sizes) < 256 * 1024, sizes
    started_event = history.events[0].workflow_execution_started_event_attributes
    encodings = {p.metadata["encoding"].decode() for p in started_event.input.payloads}
    assert encodings == {CLAIM_ENCODING}


async def test_a_body_over_the_limit_is_413_not_503(big: Api) -> None:
    huge = {"orderId": "A-100", "reason": "r" * (9 * 1024 * 1024)}
    refused = await big.start("refund", huge)
    assert refused.status_code == 413, refused.text[:500]
    assert refused.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in refused.headers
