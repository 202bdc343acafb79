"""The runs search, bulk actions and redrive on the cluster's SQL visibility.

The dev server's visibility is SQLite; the cluster's is PostgreSQL through Temporal's
SQL visibility plugin, which holds a fixed number of custom attributes per type and
refuses ``ORDER BY``. The tests of tests/api run here unchanged against two API
processes and two workers: the listing against its ground truth (at a smaller scale),
injection attempts, bulk terminate, and redrive with its refusals, its listing, bulk
redrive and two redrives at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

import tests.api.test_run_list as run_list
from drift_worker.testing.temporal_cluster import TemporalCluster
from tests.api.charging import Backend, charge_workflow, publish_workflow
from tests.api.harness import Api, tenant_key
from tests.api.test_redrive import (
    test_a_redriven_run_is_listed_once_with_its_new_status,
    test_bulk_redrive_takes_exactly_the_failed_runs_of_the_filter,
    test_redrive_refusals,
    test_two_redrives_at_once_redrive_once,
)
from tests.api.test_run_bulk import test_bulk_terminate_ends_exactly_the_filtered_runs
from tests.api.test_run_list import (
    test_a_bad_filter_is_a_400_with_where,
    test_listing_matches_the_ground_truth,
)
from tests.cluster.platform import Platform

__all__ = [
    "test_a_bad_filter_is_a_400_with_where",
    "test_a_redriven_run_is_listed_once_with_its_new_status",
    "test_bulk_redrive_takes_exactly_the_failed_runs_of_the_filter",
    "test_bulk_terminate_ends_exactly_the_filtered_runs",
    "test_listing_matches_the_ground_truth",
    "test_redrive_refusals",
    "test_two_redrives_at_once_redrive_once",
]

LIST_SCALE = 6
"""Runs per tenant, workflow and status here (126 runs): the dev-server tier runs 1,008."""


@pytest.fixture(autouse=True)
def _smaller_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_list, "SCALE", LIST_SCALE)


@pytest.fixture
def temporal_server(temporal_cluster: TemporalCluster) -> TemporalCluster:
    """The listing test asks ``temporal workflow list`` at this address: the cluster's."""
    return temporal_cluster


@pytest.fixture
async def api(platform: Platform) -> AsyncIterator[Api]:
    """A fresh tenant over one of the API processes (they take turns)."""
    tenant = next(platform.tenants)
    async with httpx.AsyncClient(base_url=platform.next_api().url, timeout=60) as http:
        yield Api(http=http, tenant=tenant, key=tenant_key(tenant)[0])


@pytest.fixture
async def charging(api: Api, backend: Backend) -> Api:
    await publish_workflow(api, charge_workflow(backend.url))
    return api
