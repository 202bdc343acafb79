"""Assemble a running worker: store, cache, nodes, HTTP session, Redis, Temporal.

:func:`running_worker` opens everything a worker needs in the right order and closes it
in the reverse order; the ``drift-worker`` command, ``drift dev`` and the tests all use
it, so they run the same composition.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import msgspec
from temporalio.client import Client
from temporalio.worker import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    Worker,
)

from drift_models import SIGNATURE_HEADER
from drift_models import engine as engine_contract
from drift_models.temporal import connect_temporal as connect_engine
from drift_models.temporal import prepare_decoders, with_claim_check
from drift_nodes import (
    NodeRegistry,
    NodeResources,
    NodeSettings,
    discover_auth_providers,
    discover_nodes,
)
from drift_store import (
    BlobStore,
    ClaimCheck,
    DefinitionCache,
    Store,
    blob_store,
    connect_redis,
    open_store,
    redis_address,
)
from drift_worker import fanout_plan, plan
from drift_worker.activities import EngineActivities
from drift_worker.callbacks import CallbackSender
from drift_worker.enum_store import EnumStore
from drift_worker.events import RunEvents
from drift_worker.fanout_batch import DriftMapBatchWorkflow
from drift_worker.metrics import Metrics
from drift_worker.redrive_steps import RedriveSteps
from drift_worker.sandbox import workflow_runner
from drift_worker.settings import WorkerSettings
from drift_worker.tracing import worker_interceptors
from drift_worker.workflow import DriftRunWorkflow

__all__ = ["RunningWorker", "connect_temporal", "running_worker"]

_LOG = logging.getLogger(__name__)


@dataclass
class RunningWorker:
    """A worker and the parts it runs on.

    Attributes:
        settings: its settings.
        client: its Temporal client.
        worker: the Temporal worker (running while the context is open).
        store: the store of definitions and contexts.
        cache: the definition cache in front of the store.
        registry: the node types it runs.
        activities: the engine's activities.
        metrics: its Prometheus metrics.
        enum_store: each tenant's lookup values.
    """

    settings: WorkerSettings
    client: Client
    worker: Worker
    store: Store
    cache: DefinitionCache
    registry: NodeRegistry
    activities: EngineActivities
    metrics: Metrics
    enum_store: EnumStore


async def connect_temporal(settings: WorkerSettings) -> Client:
    """A Temporal client with Drift's data converter.

    The client carries no tracing interceptor: the worker's ``Worker`` carries it.
    """
    return await connect_engine(settings, tracing=False)


def _blobs_of(store: Store) -> BlobStore | None:
    try:
        return blob_store(store)
    except TypeError:
        return None


def _with_claim_check(client: Client, store: Store) -> Client:
    """The client over the same connection, sending big payloads through the store.

    The claim check is patient: while the store is away, a payload that cannot be read
    or written delays its task instead of failing it.
    """
    try:
        blobs = blob_store(store)
    except TypeError:
        _LOG.warning("the store %s keeps no blobs: big payloads ride in Temporal", store)
        return client
    return with_claim_check(client, ClaimCheck(blobs, patient=True))


@contextlib.asynccontextmanager
async def running_worker(
    settings: WorkerSettings,
    *,
    client: Client | None = None,
    node_settings: NodeSettings | None = None,
    enum_store: EnumStore | None = None,
) -> AsyncIterator[RunningWorker]:
    """Run a worker for the duration of the ``async with`` block.

    Args:
        settings: the worker's settings.
        client: a Temporal client to use (one is connected from ``settings`` otherwise).
        node_settings: the node runtime's settings (read from the environment otherwise).
        enum_store: tenant lookup values (read from ``settings.enum_store_file`` otherwise).
    """
    nodes = node_settings or NodeSettings.from_env()
    registry = discover_nodes(allow=nodes.allow)
    values = enum_store or (
        EnumStore.from_file(Path(settings.enum_store_file))
        if settings.enum_store_file
        else EnumStore()
    )
    metrics = Metrics()
    redis_target = redis_address(
        url=settings.redis_url,
        sentinels=settings.redis_sentinels,
        master=settings.redis_master,
        password=settings.redis_password,
    )
    temporal = client or await connect_temporal(settings)
    async with contextlib.AsyncExitStack() as stack:
        store = await stack.enter_async_context(
            open_store(settings.store_url, node_types=registry.node_types)
        )
        temporal = _with_claim_check(temporal, store)
        cache = await stack.enter_async_context(
            DefinitionCache(store.definitions, redis_url=redis_target)
        )
        resources = await stack.enter_async_context(
            NodeResources(nodes, auth_providers=discover_auth_providers())
        )
        events = None
        if redis_target is not None:
            redis = connect_redis(redis_target, timeout=1.0)
            stack.push_async_callback(redis.aclose)
            events = RunEvents(redis)
        activities = EngineActivities(
            definitions=cache,
            contexts=store.contexts,
            registry=registry,
            resources=resources,
            enum_store=values,
            events=events,
            metrics=metrics,
            history_limit=settings.history_limit,
        )
        redrive = RedriveSteps(store.contexts, _blobs_of(store), activities.outages)
        callbacks = CallbackSender(resources.http, resources.guard, settings.callback_secret)
        # Every payload type's decoder is built here, before workflow threads need them.
        prepare_decoders(payload_types())
        worker = Worker(
            temporal,
            task_queue=settings.task_queue,
            workflows=[DriftRunWorkflow, DriftMapBatchWorkflow],
            activities=[*activities.all(), *redrive.all(), callbacks.send],
            workflow_runner=workflow_runner(),
            interceptors=worker_interceptors(tracing=settings.tracing),
            max_concurrent_activities=settings.max_concurrent_activities,
            max_concurrent_local_activities=settings.max_concurrent_local_activities,
            max_cached_workflows=settings.max_cached_runs,
            workflow_task_poller_behavior=poller_behavior(settings.pollers),
            activity_task_poller_behavior=poller_behavior(settings.pollers),
            graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace_seconds),
        )
        running = RunningWorker(
            settings=settings,
            client=temporal,
            worker=worker,
            store=store,
            cache=cache,
            registry=registry,
            activities=activities,
            metrics=metrics,
            enum_store=values,
        )
        if not settings.callback_secret:
            _LOG.warning(
                "DRIFT_CALLBACK_SECRET is not set: callbacks are sent without the %s header "
                "and receivers cannot tell them from forgeries; set a secret shared with them",
                SIGNATURE_HEADER,
            )
        async with worker:
            _LOG.info("worker polling %s on %s", settings.task_queue, settings.temporal_address)
            yield running


def poller_behavior(pollers: int) -> PollerBehavior:
    """How one kind of task is polled: scaled by the SDK (``0``) or ``pollers`` at once."""
    if pollers == 0:
        return PollerBehaviorAutoscaling()
    return PollerBehaviorSimpleMaximum(maximum=pollers)


def payload_types() -> list[type[msgspec.Struct]]:
    """The Structs of the engine contract and of the worker's plan (workflow payloads)."""
    return [
        value
        for module in (engine_contract, plan, fanout_plan)
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, msgspec.Struct)
    ]
